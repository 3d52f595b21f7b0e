/*
 * bigheap: the reachability scan's scale image (make bench only).  A flow table like libalias's
 * link tables: a static hash table of list heads (in the kernel's bss), each bucket a list of
 * 256-byte "links" from their own UMA zone, each link pointing at a 128-byte "state" item from a
 * second zone.  Millions of items, over 1 GiB of kmem, all held from kernel data through those
 * chains, except a planted fraction: links taken off their bucket list but never freed (a leak),
 * which also leaves their state item unreachable.  The ledger (reach.json, and the "leak"
 * record of expected.json from this file's own counts) says exactly which.
 *
 * Built only into the bench's own kernel (-DSIM_BIGHEAP, vm_images/Makefile): the 8 MiB table
 * would otherwise sit in the bss of every simulated kernel, and every scan would read it.
 */
#ifdef SIM_BIGHEAP
#include <vm/uma.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reach.h"
#include "scenario.h"

#define BH_BUCKETS	(1 << 20)
#define BH_LEAK_EVERY	100		/* about one link in BH_LEAK_EVERY is leaked */

int sim_bigheap_links = 3000000;

struct bh_state {
	uint64_t	bs_bytes;
	uint64_t	bs_pkts;
	char		bs_pad[112];
};

struct bh_link {
	struct bh_link	*bl_next;	/* LIST_ENTRY: next, then &prev->next */
	struct bh_link	**bl_prevp;
	struct bh_state	*bl_state;
	uint64_t	bl_key;
	char		bl_pad[224];
};

static struct bh_link *bh_table[BH_BUCKETS];
static unsigned long bh_leaked, bh_leaked_bytes;

static const struct sim_reach_kind k_link = { "struct bh_link", NULL };
static const struct sim_reach_kind k_state = { "struct bh_state", NULL };

static void
bigheap_setup(void)
{
	uma_zone_t zl = uma_zcreate("bigheap_link", sizeof(struct bh_link), NULL, NULL, NULL,
	    NULL, UMA_ALIGN_PTR, 0);
	uma_zone_t zs = uma_zcreate("bigheap_state", sizeof(struct bh_state), NULL, NULL, NULL,
	    NULL, UMA_ALIGN_PTR, 0);
	int i;

	for (i = 0; i < sim_bigheap_links; i++) {
		unsigned b = (unsigned)sim_randn(BH_BUCKETS);
		struct bh_link *l = uma_zalloc(zl, M_WAITOK);
		struct bh_state *s = uma_zalloc(zs, M_WAITOK);

		if (l == NULL || s == NULL) {
			fprintf(stderr, "kernel: bigheap: kmem exhausted after %d links\n", i);
			exit(2);
		}
		memset(l, 0, sizeof(*l));
		memset(s, 0, sizeof(*s));
		l->bl_key = (uint64_t)i;
		l->bl_state = s;
		sim_reach_held(s, &k_state, l, NULL, &l->bl_state, "bl_state", 0);
		/* LIST_INSERT_HEAD(&bh_table[b], l, bl_link) */
		l->bl_next = bh_table[b];
		if (l->bl_next != NULL)
			l->bl_next->bl_prevp = &l->bl_next;
		bh_table[b] = l;
		l->bl_prevp = &bh_table[b];
		sim_reach_listed(l, &k_link, NULL, "bh_table", &bh_table[b],
		    offsetof(struct bh_link, bl_next), "[%d]", (int)b);
		if (sim_randn(BH_LEAK_EVERY) == 0) {
			/* LIST_REMOVE without the free: link and state leak */
			if (l->bl_next != NULL)
				l->bl_next->bl_prevp = l->bl_prevp;
			*l->bl_prevp = l->bl_next;
			sim_reach_unlinked(l);
			bh_leaked += 2;
			bh_leaked_bytes += uma_zone_size(zl) + uma_zone_size(zs);
		}
	}
}

static int
bigheap_tick(int t)
{
	(void)t;
	return (0);
}

static void
bigheap_crash(void)
{
	sim_set_panic("kdb_sysctl_panic");
}

static void
bigheap_leak(FILE *f)
{
	fprintf(f, "{\"type\": null, \"zones\": [\"bigheap_link\", \"bigheap_state\"], "
	    "\"unreachable\": {\"count\": %lu, \"bytes\": %lu}}", bh_leaked, bh_leaked_bytes);
}

const struct sim_scenario scenario_bigheap = {
	.name = "bigheap",
	.default_ticks = 1,
	.default_cpus = 4,
	.kmem_size = (sizeof(void *) == 8 ? 2048ul : 256ul) << 20,
	.setup = bigheap_setup,
	.tick = bigheap_tick,
	.crash = bigheap_crash,
	.write_leak = bigheap_leak,
	.modules = NULL,
};
#endif /* SIM_BIGHEAP */
