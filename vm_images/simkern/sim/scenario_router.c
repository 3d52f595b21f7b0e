/*
 * router: a NAT router (ng_nat + libalias) under steady traffic.  Each tick:
 *  - packets cross the ng_nat node: a "NetGraph data items" item and an mbuf with a cluster
 *    (mbuf_packet) per packet, allocated and freed, on whichever CPU handles the packet;
 *  - a ring of mbufs and clusters stays queued in interfaces (in use, steady);
 *  - new flows make libalias add alias links, which are never expired: M_ALIAS ("libalias")
 *    grows by 128-byte malloc items without bound -- the planted leak;
 *  - netgraph control messages pile up faster than the node drains them, so "NetGraph items"
 *    sits at net.graph.maxalloc and M_NOWAIT requests fail;
 *  - a few TCP connections come and go, and an occasional large malloc(9).
 * The leak rate fills kmem near the last tick; memory pressure then makes UMA fail bucket
 * allocations, the leak's own M_NOWAIT mallocs fail, and a M_WAITOK request panics the kernel
 * (<= 11: kmem_map too small; 12+: the deadlock detector sees threads stuck waiting for memory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define RING_MBUFS	256
#define RING_CLUSTERS	128
#define PACKETS		200
#define CTL_TRIES	300
#define CTL_DRAIN	100
#define MAX_CTL		8192
#define NCONN		32
#define NLARGE		3
#define LARGE_SIZE	(80 * 1024)

static void *ring_m[RING_MBUFS], *ring_c[RING_CLUSTERS];
static void *ctl[MAX_CTL];
static int nctl;
static void *conn[NCONN];
static void *large[NLARGE];
static void *blocked_td;
static unsigned long links_per_tick, link_fails;
static int total_ticks = 60;

/*
 * Memory the steady traffic takes once it is up (NetGraph items at their limit, the rings,
 * per-CPU bucket caches); the leak gets the rest of kmem.
 */
#define STEADY_RESERVE	(1536ul * 1024)
/* Panic once the leak has failed for about two ticks' worth of new flows. */
#define FAILS_BEFORE_PANIC	(2 * links_per_tick)

static void
router_setup(void)
{
	int i;

	unsigned long avail;

	/*
	 * Spread the leak so kmem runs out a couple of ticks before the last default tick: the
	 * pages still free after boot, minus the steady traffic's share, over 128-byte items
	 * packed about 31 to a 4 KB slab.
	 */
	avail = sim_pages_free() * SIM_PAGE_SIZE;
	avail = avail > STEADY_RESERVE ? avail - STEADY_RESERVE : avail / 2;
	links_per_tick = avail / 132 / (total_ticks - 3);
	if (links_per_tick == 0)
		links_per_tick = 1;
	for (i = 0; i < NCONN; i++) {
		sim_cpu_pick();
		conn[i] = sim_tcp_connect();
	}
	for (i = 0; i < 8; i++) {
		sim_cpu_pick();
		blocked_td = sim_proc_fork(2);
	}
	for (i = 0; i < 64; i++) {
		sim_cpu_pick();
		(void)sim_vnode_get(1);
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
	int k;

	(void)t;
	for (i = 0; i < PACKETS; i++) {
		sim_cpu_pick();
		sim_modops.nat_packet();
	}
	for (k = 0; k < RING_MBUFS / 4; k++) {
		int j = sim_randn(RING_MBUFS);

		sim_cpu_pick();
		if (ring_m[j] != NULL)
			sim_mbuf_free(ring_m[j]);
		ring_m[j] = sim_mbuf_get(SIM_M_NOWAIT);
	}
	for (k = 0; k < RING_CLUSTERS / 4; k++) {
		int j = sim_randn(RING_CLUSTERS);

		sim_cpu_pick();
		if (ring_c[j] != NULL)
			sim_cluster_free(ring_c[j]);
		ring_c[j] = sim_cluster_get(SIM_M_NOWAIT);
	}
	/* Control messages: queued faster than drained; failures once at the limit. */
	for (k = 0; k < CTL_TRIES; k++) {
		void *it;

		sim_cpu_pick();
		it = sim_ng_item_get(0);
		if (it != NULL && nctl < MAX_CTL)
			ctl[nctl++] = it;
	}
	for (k = 0; k < CTL_DRAIN && nctl > 0; k++) {
		sim_cpu_pick();
		sim_ng_item_free(ctl[--nctl], 0);
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
	}
	/* The leak: new flows, links never expired. */
	for (i = 0; i < (getenv("SIM_NOLEAK") ? 0 : links_per_tick); i++) {
		sim_cpu_pick();
		if (sim_modops.alias_link_new() == NULL)
			link_fails++;
	}
	if (link_fails > 0) {
		/*
		 * Under memory pressure the driver resets its rings: every queued mbuf and cluster
		 * goes back at once, then the rings refill.  The frees need fresh buckets from the
		 * bucket zones, which fail now that kmem is exhausted.
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
		}
		/* ng_nat's node is reset too: its whole control queue is flushed. */
		while (nctl > 0) {
			sim_cpu_pick();
			sim_ng_item_free(ctl[--nctl], 0);
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
	fprintf(f, ", \"item_size\": %lu, \"items_per_tick\": %lu, \"in_use\": %llu, "
	    "\"failed\": %lu}", sim_malloc_zone_size(sim_modops.alias_link_size), links_per_tick,
	    (unsigned long long)sim_malloc_type_inuse("libalias"), link_fails);
}

static const char *const router_modules[] = { "libalias.ko", "ng_nat.ko", NULL };

const struct sim_scenario scenario_router = {
	.name = "router",
	.default_ticks = 60,
	.default_cpus = 4,
	.kmem_size = (SIM_ERA >= 13 ? 6ul : 4ul) << 20,	/* 13+ boots bigger (CPU-sized zones) */
	.setup = router_setup,
	.tick = router_tick,
	.crash = router_panic,
	.write_leak = router_leak,
	.modules = router_modules,
};
