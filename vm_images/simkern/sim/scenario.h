/*
 * Interface between the simulated kernel's subsystems
 * (sys/...), the scenarios (sim/scenario_*.c), sim/main.c and sim/expected.c.  Host-side code
 * (main.c, expected.c, scenario_*.c) must not include sys/malloc.h: it redefines malloc/free.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "sim.h"

/* ---- era facts (sim/expected.c, sys/kern/kern_mib.c) -------------------------------------- */

#if SIM_ERA == 6
#define SIM_ERA_NAME "fbsd6"
#elif SIM_ERA == 9
#define SIM_ERA_NAME "fbsd9"
#elif SIM_ERA == 11
#define SIM_ERA_NAME "fbsd11"
#elif SIM_ERA == 12
#define SIM_ERA_NAME "fbsd12"
#elif SIM_ERA == 13
#define SIM_ERA_NAME "fbsd13"
#elif SIM_ERA == 14
#define SIM_ERA_NAME "fbsd14"
#elif SIM_ERA == 15
#define SIM_ERA_NAME "fbsd15"
#else
#error "unknown SIM_ERA"
#endif

#if defined(__i386__)
#define SIM_ARCH "i386"
#else
#define SIM_ARCH "amd64"
#endif

/* ---- malloc ledger extras (sys/kern/kern_malloc.c) ---------------------------------------- */

/* JSON array of {"type","symbol","file","module"} in registration order. */
void sim_malloc_write_owners(FILE *f);
/* JSON object {"count","bytes"} of live large (> KMEM_ZMAX) allocations. */
void sim_malloc_write_large(FILE *f);
/* JSON object of the era's kmem accounting globals. */
void sim_malloc_write_kmem(FILE *f);
/* Live items / bytes of a type by name (ledger), for scenarios and the leak record. */
uint64_t sim_malloc_type_inuse(const char *name);
/* Size in bytes of the malloc zone serving a request of `size` (0 for large). */
unsigned long sim_malloc_zone_size(unsigned long size);
/* Name of that zone ("128" or "malloc-128"). */
const char *sim_malloc_zone_name(unsigned long size);
/* Whether `zone` (a uma_zone_t) is one of kmemzones[]' zones. */
int sim_malloc_is_zone(const void *zone);
/* Bytes of live large allocations (malloc ledger). */
unsigned long sim_malloc_large_bytes(void);
/*
 * The "kmem-summary" object of expected.json: the kmem-summary categories from the UMA and
 * malloc ledgers (sim/kmem_summary.c).
 */
void sim_write_kmem_summary(FILE *f);
/* kmem in use from the ledgers: keg slab pages + large allocations. */
unsigned long sim_kmem_ledger_bytes(void);
/* Update kmem_map->size / kmem_arena->vm_inuse from the page arena (before a dump). */
void sim_kmem_sync(void);
/* Bytes allocated from kmem as the era reports it (kmem_map->size, vm_inuse, ...). */
unsigned long sim_kmem_allocated(void);
/* The era's kmem size limit in bytes (vm_kmem_size). */
unsigned long sim_kmem_limit(void);

/* ---- kernel globals kept by sys/kern files (kern_clock.c, kern_shutdown.c, ...) ----------- */

void sim_clock_tick(void);	/* ticks += hz / 10 style advance: one simulated tick */
int sim_ticks(void);
void sim_set_panic(const char *msg);
const char *sim_panicstr(void);
const char *sim_version(void);
int sim_osreldate(void);

/* ---- subsystems (each defined in the file mirroring FreeBSD's) ---------------------------- */

struct sim_reach_kind;		/* sim/reach.h */

void sim_kernel_sysinit(void);	/* all kernel subsystems' zone / type setup, in boot order */
int sim_load_module(const char *path);	/* dlopen + the module's SYSINIT; 0 on success */

/* mbufs (sys/kern/kern_mbuf.c, uipc_mbuf.c) */
void *sim_mbuf_get(int how);			/* zone_mbuf */
void *sim_mbuf_getcl(int how);			/* zone_pack (mbuf + cluster) */
void *sim_cluster_get(int how);			/* zone_clust */
void *sim_jumbop_get(int how);			/* zone_jumbop */
void sim_mbuf_free(void *m);
void sim_mbuf_freecl(void *m);
void sim_cluster_free(void *c);
void sim_jumbop_free(void *c);

#if SIM_ERA >= 8
/* netisr (sys/net/netisr.c): the current CPU's workstream (DPCPU nws), IP's queue */
void sim_netisr_queue(void *m);			/* queue an mbuf (dropped when full) */
void sim_netisr_run(void);			/* every CPU's swi: consume the queued mbufs */
#endif

/* sockets and TCP (sys/kern/uipc_socket.c, sys/netinet/tcp_subr.c, in_pcb.c) */
void *sim_tcp_connect(void);			/* socket + tcp_inpcb + tcpcb + soname */
void sim_tcp_close(void *conn);

/* netgraph (sys/netgraph/ng_base.c) */
void *sim_ng_item_get(int data);		/* ng_qzone / ng_qdzone, M_NOWAIT */
void sim_ng_item_free(void *item, int data);
void *sim_ng_node_create(const char *type);	/* M_NETGRAPH_NODE + hooks, on ng_ID_hash */
void sim_ng_node_set_private(void *node, void *priv, const struct sim_reach_kind *k);
uint32_t sim_ng_node_id(void *node);
void *sim_ng_node_private(uint32_t id);		/* nd_private of node `id` (ng_ID2noderef) */

/* files (vfs_subr.c, vfs_cache.c, ffs_vfsops.c, vm_object.c) */
void *sim_vnode_get(int ffs2);			/* vnode + inode + dinode + VM object */
void sim_vnode_put(void *vp);
void *sim_namecache_enter(int namelen);
void sim_namecache_remove(void *ncp);
void *sim_vnode_datap(void *vp);		/* &vp->v_data */
void *sim_vnode_objectp(void *vp);		/* &vp->v_object */
/* vnlru takes vp off vnode_list and sleeps: only td's kernel stack holds it (slot: stack slot) */
void sim_vnode_reclaim_sleep(void *vp, void *td, int slot);

/* processes (kern_proc.c, kern_thread.c) */
void *sim_proc_fork(int nthreads);
void sim_proc_exit(void *p);
void *sim_proc_thread(void *p);			/* its first thread */
void *sim_thread_alloc(void);
void sim_thread_free(void *td);
void sim_thread_link(void *p, void *head, void *td);	/* onto p's p_threads at `head` */
void sim_thread_unlink(void *head, void *td);
void sim_thread_park_dead(void *td, int cpu);	/* CPU cpu's pc_deadthread holds td */
void *sim_thread_last(void *head);		/* last thread on a p_threads list */
/* The last thread of p exits (p keeps running), parked on CPU cpu until reaped; 0 or -1. */
int sim_proc_thread_exit(void *p, int cpu);
/* A frame on td's kernel stack holds `item` (slot counted down from the top); 0 or -1. */
int sim_thread_stack_hold(void *td, int slot, void *item, const struct sim_reach_kind *k);

/* generic malloc/free by type symbol name (scenarios are host code) */
void *sim_kmalloc(const char *type, unsigned long size, int nowait);
void sim_kfree(const char *type, void *p);

/* module hooks, resolved at run time from the loaded modules */
struct sim_module_ops {
	void *(*alias_link_new)(void);		/* ng_nat: a new flow, one alias link (malloc 128-ish) */
	void (*alias_link_free)(void *);
	void *(*libalias_init)(void);		/* libalias: LibAliasInit(NULL), a new instance */
	void *(*libalias_addlink)(void *la);	/* libalias: AddLink on instance `la` */
	void (*nat_packet)(void);		/* ng_nat: translate one packet */
	unsigned long alias_link_size;		/* sizeof(struct alias_link) */
};

/* malloc(9)/uma(9) wait flags for host code (same values as sys/malloc.h). */
#define SIM_M_NOWAIT	0x0001
#define SIM_M_WAITOK	0x0002
extern struct sim_module_ops sim_modops;

/* ---- scenarios ------------------------------------------------------------------------------ */

struct sim_scenario {
	const char *name;
	int default_ticks;
	int default_cpus;
	unsigned long kmem_size;		/* vm_kmem_size for this scenario */
	unsigned long live_kmem_size;		/* with --live (0: kmem_size) */
	void (*setup)(void);			/* after boot and module loads */
	int (*tick)(int t);			/* one tick; nonzero: the kernel panicked */
	void (*crash)(void);			/* --crash: set the era's panic message */
	void (*write_leak)(FILE *f);		/* ledger "leak" value (JSON), or NULL */
	const char *const *modules;		/* NULL-terminated module file names */
};

extern const struct sim_scenario scenario_router, scenario_fileserver, scenario_idle,
    scenario_scale, scenario_bigheap;
extern int sim_scale_zones, sim_scale_types;
/* Set by main before the scenario's setup: 1 with --live (the run has no planned end). */
extern int sim_live;

/* Deterministic PRNG (xorshift64*) shared by the scenarios. */
void sim_srand(uint64_t seed);
uint64_t sim_rand(void);
static inline unsigned sim_randn(unsigned n) { return n ? (unsigned)(sim_rand() % n) : 0; }

/* Run `fn` on each present CPU in turn (sim_set_cpu), as work spreads over CPUs. */
int sim_ncpus(void);
void sim_cpu_pick(void);	/* make a pseudo-random present CPU current */

#endif /* SIM_SCENARIO_H */
