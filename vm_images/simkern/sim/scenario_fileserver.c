/*
 * fileserver: an NFS/Samba-like box walking a large tree.  vnodes (with their FFS inode,
 * dinode and VM object) and name cache entries are created continuously but recycled beyond a
 * target, as vnlru and the name cache's LRU do, so every count reaches a plateau: no unbounded
 * growth.  A few processes come and go, temporary buffers are malloc'ed and freed.
 */
#include <stdio.h>

#include "reach.h"
#include "scenario.h"

#define VNODE_TARGET	400
#define NCACHE_TARGET	800
#define NPROC		24
#define NTEMP		64

static void *vn[VNODE_TARGET], *nc[NCACHE_TARGET], *procs[NPROC], *tmp[NTEMP];
static const struct sim_reach_kind k_temp = { "buffer", "temp" };

static void
fs_setup(void)
{
	int i;

	for (i = 0; i < NPROC; i++) {
		sim_cpu_pick();
		procs[i] = sim_proc_fork(1 + i % 3);
	}
}

static int
fs_tick(int t)
{
	int k, j;

	(void)t;
	for (k = 0; k < 150; k++) {		/* lookups of files not in core */
		j = sim_randn(VNODE_TARGET);
		sim_cpu_pick();
		if (vn[j] != NULL)
			sim_vnode_put(vn[j]);	/* vnlru recycles a victim */
		vn[j] = sim_vnode_get(sim_randn(10) != 0);
	}
	for (k = 0; k < 250; k++) {
		j = sim_randn(NCACHE_TARGET);
		sim_cpu_pick();
		if (nc[j] != NULL)
			sim_namecache_remove(nc[j]);
		nc[j] = sim_namecache_enter(sim_randn(10) == 0 ? 40 + sim_randn(60) :
		    4 + sim_randn(24));
	}
	for (k = 0; k < 4; k++) {
		j = sim_randn(NPROC);
		sim_cpu_pick();
		if (procs[j] != NULL)
			sim_proc_exit(procs[j]);
		procs[j] = sim_proc_fork(1 + sim_randn(3));
	}
	for (k = 0; k < 32; k++) {
		j = sim_randn(NTEMP);
		sim_cpu_pick();
		if (tmp[j] != NULL)
			sim_kfree("temp", tmp[j]);
		tmp[j] = sim_kmalloc("temp", 16 + sim_randn(3000), 0);
		sim_reach_held(tmp[j], &k_temp, NULL, "tmp", &tmp[j], "[%d]", j);
	}
	return (0);
}

static void
fs_crash(void)
{
	sim_set_panic("kdb_sysctl_panic");	/* sysctl debug.kdb.panic=1 */
}

const struct sim_scenario scenario_fileserver = {
	.name = "fileserver",
	.default_ticks = 30,
	.default_cpus = 4,
	.kmem_size = 16ul << 20,
	.setup = fs_setup,
	.tick = fs_tick,
	.crash = fs_crash,
	.write_leak = NULL,
	.modules = NULL,
};
