/*
 * The UMA ledger's invariants (items carved from slabs == used + every kind of free, limits
 * respected, failures only where limits bite, per-CPU sums), and the kernel structures checked
 * against the ledger.  Run before every dump: a violation stops the run without a core.
 */
#include <stdio.h>
#include <inttypes.h>

#include <sys/_sim_kern.h>
#include <sys/smp.h>
#include <sys/pcpu.h>
#include <sys/counter.h>
#include "sim/sim.h"
#include "sim/uma_ledger.h"

static int
check_zone(FILE *err, struct lzone *lz, uint64_t *held)
{
        int bad = 0;
        uint64_t allocs, frees, cpufree;
        u_int i;

        allocs = sum_cpus(lz->zl_allocs, MAXCPU) + sum_cpus(lz->uc_allocs, MAXCPU);
        frees = sum_cpus(lz->zl_frees, MAXCPU) + sum_cpus(lz->uc_frees, MAXCPU);
        cpufree = sum_cpus(lz->cpu_free, MAXCPU);
        if (allocs - frees != lz->used) {
                fprintf(err, "zone %s: used %" PRIu64 " != requests %" PRIu64 " - frees %" PRIu64 "\n",
                    lz->name, lz->used, allocs, frees);
                bad++;
        }
        for (i = 0; i <= mp_maxid; i++)
                if (CPU_ABSENT(i) && (lz->cpu_free[i] || lz->uc_allocs[i] || lz->zl_allocs[i])) {
                        fprintf(err, "zone %s: activity on absent CPU %u\n", lz->name, i);
                        bad++;
                }
        if (lz->nocache && (cpufree || sum_cpus(lz->uc_allocs, MAXCPU) || lz->zone_free)) {
                fprintf(err, "zone %s: internal zone with cached items\n", lz->name);
                bad++;
        }
        if (sum_cpus(lz->zl_fails, MAXCPU) != lz->fail_limit + lz->fail_nomem) {
                fprintf(err, "zone %s: fails not explained\n", lz->name);
                bad++;
        }
#if SIM_ERA <= 12
        if (lz->fail_limit && (lz->lk == NULL || lz->lk->maxpages == 0)) {
#else
        if (lz->fail_limit && lz->max_items == 0 && lz->lk != NULL) {
#endif
                fprintf(err, "zone %s: limit failures without a limit\n", lz->name);
                bad++;
        }
#if SIM_ERA >= 13
        if (lz->max_items && lz->items_out != lz->used + cpufree + lz->zone_free + lz->cross_free) {
                fprintf(err, "zone %s: uz_items %" PRIu64 " != items outside the keg\n",
                    lz->name, lz->items_out);
                bad++;
        }
        if (lz->max_items && lz->items_out > lz->max_items) {
                fprintf(err, "zone %s: %" PRIu64 " items over the limit %" PRIu64 "\n",
                    lz->name, lz->items_out, lz->max_items);
                bad++;
        }
#endif
        *held = lz->used + cpufree + lz->zone_free + lz->cross_free;
        return (bad);
}

/* A keg's free items as its structures record them. */
static uint64_t
keg_free_items(uma_keg_t keg)
{
#if SIM_ERA >= 13
        uint64_t n = 0;
        int d;

        for (d = 0; d < vm_ndomains; d++)
                n += keg->uk_domain[d].ud_free_items;
        return (n);
#else
        return (keg->uk_free);
#endif
}

/* Items in full buckets of a zone's bucket cache (every domain), as its structures hold them. */
static uint64_t
bucket_cache_items(uma_zone_t z)
{
        uint64_t n = 0;
        uma_bucket_t b;

#if SIM_ERA <= 9
        LIST_FOREACH(b, &z->uz_full_bucket, ub_link)
                n += b->ub_cnt;
#elif SIM_ERA <= 11
        LIST_FOREACH(b, &z->uz_buckets, ub_link)
                n += b->ub_cnt;
#else
        int d;

        for (d = 0; d < vm_ndomains; d++) {
#if SIM_ERA == 12
                LIST_FOREACH(b, &z->uz_domain[d].uzd_buckets, ub_link)
                        n += b->ub_cnt;
#else
                STAILQ_FOREACH(b, &ZDOM_GET(z, d)->uzd_buckets, ub_link)
                        n += b->ub_cnt;
#endif
        }
#endif
        return (n);
}

/* Items in one CPU's buckets (13+: the inline counts of alloc, free and cross). */
static uint64_t
cpu_cache_items(uma_cache_t c)
{
#if SIM_ERA >= 13
        return (c->uc_allocbucket.ucb_cnt + c->uc_freebucket.ucb_cnt + c->uc_crossbucket.ucb_cnt);
#else
        return ((c->uc_allocbucket ? c->uc_allocbucket->ub_cnt : 0) +
            (c->uc_freebucket ? c->uc_freebucket->ub_cnt : 0));
#endif
}

/*
 * The kernel structures of a keg-backed zone against its ledger: bucket caches, per-CPU buckets
 * and cache counters, zone-level counters.  The ledger is updated beside the structures, so any
 * difference is an allocator bug that would make the ground truth disagree with a correct plugin.
 */
static int
check_zone_structures(FILE *err, struct lzone *lz)
{
        uma_zone_t z = lz->zone;
        uint64_t al, fr;
        int bad = 0;
        u_int cpu;

        if (bucket_cache_items(z) != lz->zone_free) {
                fprintf(err, "zone %s: bucket cache holds %" PRIu64 " items, ledger %" PRIu64 "\n",
                    lz->name, bucket_cache_items(z), lz->zone_free);
                bad++;
        }
        for (cpu = 0; cpu <= mp_maxid && !lz->nocache; cpu++) {
                uma_cache_t c = &z->uz_cpu[cpu];

                if (cpu_cache_items(c) != lz->cpu_free[cpu] || c->uc_allocs != lz->uc_allocs[cpu] ||
                    c->uc_frees != lz->uc_frees[cpu]) {
                        fprintf(err, "zone %s: CPU %u cache differs from the ledger\n", lz->name, cpu);
                        bad++;
                }
        }
#if SIM_ERA >= 13
        al = counter_u64_fetch(z->uz_allocs);
        fr = counter_u64_fetch(z->uz_frees);
#else
        al = z->uz_allocs;
        fr = z->uz_frees;
#endif
        if (al != sum_cpus(lz->zl_allocs, MAXCPU) || fr != sum_cpus(lz->zl_frees, MAXCPU)) {
                fprintf(err, "zone %s: zone counters %" PRIu64 "/%" PRIu64 " differ from the ledger\n",
                    lz->name, al, fr);
                bad++;
        }
        return (bad);
}

int
sim_uma_check(FILE *err)
{
        int bad = 0, k, i;
        struct lzone *lz;
        uint64_t held;

        sim_uma_startup();
        for (k = 0; k < nlkegs; k++) {
                struct lkeg *lk = lkegs[k];
                uint64_t out = 0;

                for (i = 0; i < lk->nzones; i++) {
                        bad += check_zone(err, lk->zones[i], &held);
                        bad += check_zone_structures(err, lk->zones[i]);
                        out += held;
                }
                if (keg_free_items(lk->keg) != lk->free_items) {
                        fprintf(err, "keg %s: %" PRIu64 " free items in the keg, ledger %" PRIu64 "\n",
                            lk->name, keg_free_items(lk->keg), lk->free_items);
                        bad++;
                }
                if (lk->carved != lk->free_items + out) {
                        fprintf(err, "keg %s: %" PRIu64 " items carved != %" PRIu64 " free + %"
                            PRIu64 " in use or cached\n", lk->name, lk->carved, lk->free_items, out);
                        bad++;
                }
                if (lk->carved != lk->slabs * lk->ipers || lk->pages != lk->slabs * lk->ppera) {
                        fprintf(err, "keg %s: slab arithmetic\n", lk->name);
                        bad++;
                }
                if (lk->maxpages && lk->pages > lk->maxpages) {
                        fprintf(err, "keg %s: %" PRIu64 " pages over the limit %u\n",
                            lk->name, lk->pages, lk->maxpages);
                        bad++;
                }
        }
        for (lz = lcache_first; lz != NULL; lz = lz->next_cache) {
                bad += check_zone(err, lz, &held);
                if (held != lz->imported) {
                        fprintf(err, "cache zone %s: %" PRIu64 " imported != %" PRIu64 " held\n",
                            lz->name, lz->imported, held);
                        bad++;
                }
        }
        return (bad);
}
