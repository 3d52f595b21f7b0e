/*
 * Boot: the simulated kernel's SYSINITs in FreeBSD's order (VM, malloc, processes, mbufs,
 * sockets, protocols, netgraph, VFS), then boot-time device and interface allocations, then
 * kld loading.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

struct sim_module_ops sim_modops;

void sim_malloc_startup(void);
void vm_object_init(void);
void procinit(void);
void threadinit(void);
void mbuf_init(void *);
void netisr_init(void *);
void socket_init(void *);
void in_pcbstorage_init(void *);
void tcp_init(void *);
void ngb_mod_init(void *);
void vntblinit(void *);
void nchinit(void *);
void ffs_init(void *);
void bus_attach_sim(int);
void if_attach_sim(int);
void intel_gas_init_sim(int);

#if SIM_ERA >= 12
struct uma_zone;
extern struct uma_zone *pcpu_zone_64;
void pcpu_zones_startup(void);
#endif

void
sim_kernel_sysinit(void)
{
#if SIM_ERA >= 12
	if (pcpu_zone_64 == NULL)	/* SI_SUB_VM: the per-CPU zones */
		pcpu_zones_startup();
#endif
	sim_malloc_startup();		/* SI_SUB_KMEM */
	vm_object_init();		/* SI_SUB_VM */
	procinit();			/* SI_SUB_INTRINSIC */
	threadinit();
	mbuf_init(NULL);		/* SI_SUB_MBUF */
#if SIM_ERA >= 8
	netisr_init(NULL);		/* SI_SUB_SOFTINTR */
#endif
	vntblinit(NULL);		/* SI_SUB_VFS */
	nchinit(NULL);
	ffs_init(NULL);
	socket_init(NULL);		/* SI_SUB_PROTO_DOMAININIT */
#if SIM_ERA >= 14
	in_pcbstorage_init(NULL);
#endif
	tcp_init(NULL);			/* SI_SUB_PROTO_DOMAIN */
	ngb_mod_init(NULL);		/* netgraph (compiled in) */
#if SIM_ERA >= 12 && defined(__x86_64__)
	intel_gas_init_sim(48);		/* SI_SUB_DRIVERS: DMAR, the devices' boot mappings */
#endif
	bus_attach_sim(40);		/* SI_SUB_CONFIGURE */
	if_attach_sim(3);
}

/*
 * kldload: dlopen the module from <kernel dir>/modules by absolute path (RTLD_LOCAL: a module
 * resolves kernel symbols, exported with -rdynamic, but not another module's), then run its
 * SYSINIT, the function "<name>_sim_init".
 */
int
sim_load_module(const char *file)
{
	char exe[PATH_MAX], path[PATH_MAX * 2], sym[128];
	void (*init)(const char *);
	ssize_t n;
	void *h;
	size_t len;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return (-1);
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/modules/%s", dirname(exe), file);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "kldload: %s\n", dlerror());
		return (-1);
	}
	len = strcspn(file, ".");
	snprintf(sym, sizeof(sym), "%.*s_sim_init", (int)len, file);
	init = (void (*)(const char *))dlsym(h, sym);
	if (init == NULL) {
		fprintf(stderr, "kldload: %s: no %s\n", file, sym);
		return (-1);
	}
	init(file);
	return (0);
}
