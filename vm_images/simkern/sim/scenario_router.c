/*
 * router: a NAT router (ng_nat + libalias) under steady traffic.  Each tick:
 *  - packets cross the ng_nat node: a "NetGraph data items" item and an mbuf with a cluster
 *    (mbuf_packet) per packet, allocated and freed, on whichever CPU handles the packet;
 *  - a ring of mbufs and clusters stays queued in interfaces (in use, steady);
 *  - 8+: each CPU's netisr thread consumes the packets queued on its workstream, then new ones
 *    are queued on the CPUs that receive them, held only by those CPUs' DPCPU copies of nws;
 *  - new flows make libalias add alias links, which are never expired: M_ALIAS ("libalias")
 *    grows by 128-byte malloc items without bound -- the planted leak;
 *  - netgraph control messages pile up faster than the node drains them, so "NetGraph items"
 *    sits at net.graph.maxalloc and M_NOWAIT requests fail;
 *  - a few TCP connections come and go, and an occasional large malloc(9).
 * The leak rate fills kmem a few ticks before the last tick.  When a leak allocation first
 * fails, the low-memory handler runs uma_reclaim (sim_uma_reclaim): zones' cached buckets and
 * every keg's free slabs, the bucket zones' included, go back to the system; the flows that
 * waited for memory take it all again, and the driver resets its rings and ng_nat flushes its
 * control queue -- frees that need fresh buckets, which the bucket zones cannot get now (their
 * M_NOVM slab allocations fail): bucket-zone failures.  Once the leak has failed for about two
 * ticks' worth of flows a M_WAITOK request panics the kernel (<= 11: kmem_map too small; 12+:
 * the deadlock detector sees threads stuck waiting for memory).
 *
 * Live (--live): kmem is much larger and the run is planned for LIVE_TICKS ticks, so the leak
 * grows at a similar rate for about an hour at --interval 1 before kmem runs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reach.h"
#include "scenario.h"

#define RING_MBUFS	256
#define RING_CLUSTERS	128
#define PACKETS		200
#define NETISR_PACKETS	6		/* packets queued for netisr per tick */
#define CTL_TRIES	300
#define CTL_DRAIN	100
#define MAX_CTL		8192
#define NCONN		32
#define NLARGE		3
#define LARGE_SIZE	(80 * 1024)
#define MAX_BACKLOG	1000000		/* bound on the flows waiting for memory */

static void *ring_m[RING_MBUFS], *ring_c[RING_CLUSTERS];
static void *ctl[MAX_CTL];
static int nctl;
static void *conn[NCONN];
static void *large[NLARGE];
static void *blocked_td;
static unsigned long links_total, link_fails, last_rate;
static int total_ticks = 60, ticks_run;

/* The driver's rings, ng_nat's control queue and the large tables hold their items. */
static const struct sim_reach_kind k_mbuf = { "struct mbuf", NULL };
static const struct sim_reach_kind k_cluster = { "mbuf cluster", NULL };
static const struct sim_reach_kind k_item = { "struct ng_item", NULL };
static const struct sim_reach_kind k_large = { "table", "temp" };

/* A live kernel plans for this many ticks (an hour at --interval 1). */
#define LIVE_TICKS	3600
/* kmem runs out this many ticks before the planned end (the pressure phase). */
#define PRESSURE_TICKS	3
/*
 * Memory the steady traffic takes while it comes up (NetGraph items filling to their limit,
 * the rings, per-CPU bucket caches, the large allocations; up to ~1.2 MB in the 13+ eras): the
 * leak leaves room for it, less and less as the run nears its end.
 */
#define STEADY_RESERVE	(1536ul * 1024)
/* 128-byte items packed about 31 to a 4 KB slab */
#define LINK_COST	132
/* Panic once the leak has failed for about two ticks' worth of new flows. */
#define FAILS_BEFORE_PANIC	(2 * last_rate)

/*
 * New flows this tick: the kmem left, less the steady traffic's remaining share, spread over
 * the ticks left before kmem should run out.  Recomputed every tick from the pages still free,
 * so every era (whatever its boot and steady-state sizes) runs out at the same tick.
 */
static unsigned long
leak_rate(int t)
{
	long end = total_ticks - PRESSURE_TICKS, left = end - t + 1;
	unsigned long avail = sim_pages_free() * SIM_PAGE_SIZE, reserve = 0;
	unsigned long rate;

	if (left < 1)
		left = 1;
	if (t < end)
		reserve = (unsigned long)((double)STEADY_RESERVE * (end - t) / end);
	rate = avail > reserve ? (avail - reserve) / LINK_COST / left + 1 : 1;
	/* past the planned end (kmem exhausted) new flows keep coming at the last rate */
	if (t > end && rate < last_rate)
		rate = last_rate;
	return (rate);
}

static void
router_setup(void)
{
	int i;

	if (sim_live)
		total_ticks = LIVE_TICKS;
	for (i = 0; i < NCONN; i++) {
		sim_cpu_pick();
		conn[i] = sim_tcp_connect();
	}
	for (i = 0; i < 8; i++) {
		sim_cpu_pick();
		blocked_td = sim_proc_fork(2);
		/* the first process's second thread has just exited: the CPU's pc_deadthread */
		if (i == 0)
			(void)sim_proc_thread_exit(blocked_td, sim_curcpu());
	}
	/*
	 * Vnodes; vnlru has taken the first four off vnode_list to reclaim them and sleeps waiting
	 * for memory, in the first thread of the last process: only its kernel stack holds them.
	 */
	for (i = 0; i < 64; i++) {
		void *vp;

		sim_cpu_pick();
		vp = sim_vnode_get(1);
		if (i < 4)
			sim_vnode_reclaim_sleep(vp, sim_proc_thread(blocked_td), i);
	}
}

static void
router_panic(void)
{
	char msg[200];

	sim_kmem_sync();
#if SIM_ERA <= 11
	snprintf(msg, sizeof(msg), "kmem_malloc(16384): kmem_map too small: %lu total allocated",
	    sim_kmem_allocated());
#else
	snprintf(msg, sizeof(msg), "deadlres_td_sleep_q: possible deadlock detected for %p "
	    "(ng_queue0), blocked for 1800027 ticks\n", blocked_td);
#endif
	sim_set_panic(msg);
}

static int
router_tick(int t)
{
	unsigned long i;
	int k, lowmem;

	for (i = 0; i < PACKETS; i++) {
		sim_cpu_pick();
		sim_modops.nat_packet();
	}
#if SIM_ERA >= 8
	sim_netisr_run();
	for (k = 0; k < NETISR_PACKETS; k++) {
		void *m;

		sim_cpu_pick();
		if ((m = sim_mbuf_get(SIM_M_NOWAIT)) != NULL)
			sim_netisr_queue(m);
	}
#endif
	for (k = 0; k < RING_MBUFS / 4; k++) {
		int j = sim_randn(RING_MBUFS);

		sim_cpu_pick();
		if (ring_m[j] != NULL)
			sim_mbuf_free(ring_m[j]);
		ring_m[j] = sim_mbuf_get(SIM_M_NOWAIT);
		sim_reach_held(ring_m[j], &k_mbuf, NULL, "ring_m", &ring_m[j], "[%d]", j);
	}
	for (k = 0; k < RING_CLUSTERS / 4; k++) {
		int j = sim_randn(RING_CLUSTERS);

		sim_cpu_pick();
		if (ring_c[j] != NULL)
			sim_cluster_free(ring_c[j]);
		ring_c[j] = sim_cluster_get(SIM_M_NOWAIT);
		sim_reach_held(ring_c[j], &k_cluster, NULL, "ring_c", &ring_c[j], "[%d]", j);
	}
	/* Control messages: queued faster than drained; failures once at the limit. */
	for (k = 0; k < CTL_TRIES; k++) {
		void *it;

		sim_cpu_pick();
		it = sim_ng_item_get(0);
		if (it != NULL && nctl < MAX_CTL) {
			sim_reach_held(it, &k_item, NULL, "ctl", &ctl[nctl], "[%d]", nctl);
			ctl[nctl++] = it;
		}
	}
	for (k = 0; k < CTL_DRAIN && nctl > 0; k++) {
		sim_cpu_pick();
		sim_ng_item_free(ctl[--nctl], 0);
		ctl[nctl] = NULL;	/* dequeued: no stale pointer left */
	}
	/* Connections churn. */
	for (k = 0; k < 3; k++) {
		int j = sim_randn(NCONN);

		sim_cpu_pick();
		if (conn[j] != NULL)
			sim_tcp_close(conn[j]);
		conn[j] = sim_tcp_connect();
	}
	/* An occasional large allocation (firmware image, big table). */
	if (t % 10 == 5) {
		int j = (t / 10) % NLARGE;

		sim_cpu_pick();
		if (large[j] != NULL)
			sim_kfree("temp", large[j]);
		large[j] = sim_kmalloc("temp", LARGE_SIZE, 1);
		sim_reach_held(large[j], &k_large, NULL, "large", &large[j], "[%d]", j);
	}
	/* The leak: new flows, links never expired. */
	ticks_run = t;
	last_rate = getenv("SIM_NOLEAK") ? 0 : leak_rate(t);
	lowmem = 0;
	for (i = 0; i < last_rate; i++) {
		sim_cpu_pick();
		if (sim_modops.alias_link_new() != NULL) {
			links_total++;
			continue;
		}
		if (lowmem) {
			link_fails++;
			continue;
		}
		/*
		 * kmem is exhausted: the low-memory handler reclaims UMA's caches and free slabs,
		 * then the flows that were waiting for memory take it all again.
		 */
		lowmem = 1;
		sim_uma_reclaim();
		for (k = 0; k < MAX_BACKLOG; k++) {
			sim_cpu_pick();
			if (sim_modops.alias_link_new() == NULL)
				break;
			links_total++;
		}
		link_fails++;
	}
	if (link_fails > 0) {
		/*
		 * Under memory pressure the driver resets its rings: every queued mbuf and cluster
		 * goes back at once, then the rings refill.  The frees need fresh buckets from the
		 * bucket zones, which cannot get a new slab now that kmem is exhausted.
		 */
		for (k = 0; k < RING_MBUFS; k++) {
			sim_cpu_pick();
			if (ring_m[k] != NULL)
				sim_mbuf_free(ring_m[k]);
			ring_m[k] = NULL;
		}
		for (k = 0; k < RING_CLUSTERS; k++) {
			sim_cpu_pick();
			if (ring_c[k] != NULL)
				sim_cluster_free(ring_c[k]);
			ring_c[k] = NULL;
		}
		for (k = 0; k < RING_MBUFS; k++) {
			sim_cpu_pick();
			ring_m[k] = sim_mbuf_get(SIM_M_NOWAIT);
			sim_reach_held(ring_m[k], &k_mbuf, NULL, "ring_m", &ring_m[k], "[%d]", k);
		}
		/* ng_nat's node is reset too: its whole control queue is flushed. */
		while (nctl > 0) {
			sim_cpu_pick();
			sim_ng_item_free(ctl[--nctl], 0);
			ctl[nctl] = NULL;
		}
	}
	if (link_fails > FAILS_BEFORE_PANIC) {
		/* kmem is gone: the next M_WAITOK request cannot be satisfied. */
		router_panic();
		return (1);
	}
	return (0);
}

static void
router_leak(FILE *f)
{
	fputs("{\"type\": \"libalias\", \"symbol\": \"M_ALIAS\", \"module\": \"libalias.ko\", "
	    "\"zone\": ", f);
	sim_json_string(f, sim_malloc_zone_name(sim_modops.alias_link_size));
	/* items_per_tick: the mean over the ticks run (the rate is recomputed every tick) */
	fprintf(f, ", \"item_size\": %lu, \"items_per_tick\": %lu, \"in_use\": %llu, "
	    "\"failed\": %lu}", sim_malloc_zone_size(sim_modops.alias_link_size),
	    ticks_run > 0 ? links_total / ticks_run : 0,
	    (unsigned long long)sim_malloc_type_inuse("libalias"), link_fails);
}

static const char *const router_modules[] = { "libalias.ko", "ng_nat.ko", NULL };

const struct sim_scenario scenario_router = {
	.name = "router",
	.default_ticks = 60,
	.default_cpus = 4,
	.kmem_size = (SIM_ERA >= 13 ? 6ul : 4ul) << 20,	/* 13+ boots bigger (CPU-sized zones) */
	.live_kmem_size = 512ul << 20,			/* the leak lasts ~LIVE_TICKS ticks */
	.setup = router_setup,
	.tick = router_tick,
	.crash = router_panic,
	.write_leak = router_leak,
	.modules = router_modules,
};
