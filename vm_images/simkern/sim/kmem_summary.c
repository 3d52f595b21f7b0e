/*
 * The kmem-summary categories of expected.json (GROUND_TRUTH.md), from the ledgers: every page
 * UMA holds is split into items in use (malloc zones | UMA's own zones | other zones), free
 * items (per-CPU buckets | bucket caches | keg slabs) and slab overhead; malloc(9) large
 * allocations and cache-only zones come beside them.  The zone kinds are what the simulator
 * knows of each zone (kmemzones[], bucket zones, internal kegs), not names read back.
 */
#include <stdio.h>
#include <inttypes.h>

#include <sys/_sim_kern.h>
#include <sys/smp.h>
#include "scenario.h"
#include "sim/uma_ledger.h"

enum { MALLOC_SMALL, MALLOC_LARGE, ZONE_ITEMS, UMA_OWN, FREE_CPU, FREE_ZONE, FREE_KEG, OVERHEAD,
        CACHE_ONLY, NCATEGORIES };

/* The keys kmem-summary --format json prints, in its order. */
static const char *const category_keys[NCATEGORIES] = {
        "malloc_small", "malloc_large", "zone_items", "uma_own", "free_cpu", "free_zone",
        "free_keg", "overhead", "cache_only",
};

void
sim_write_kmem_summary(FILE *f)
{
        uint64_t cat[NCATEGORIES] = { 0 }, accounted = 0;
        struct lzone *lz;
        int k, i;

        for (k = 0; k < nlkegs; k++) {
                struct lkeg *lk = lkegs[k];
                uint64_t items = 0;

                for (i = 0; i < lk->nzones; i++) {
                        uint64_t fc, fz, fk;

                        lz = lk->zones[i];
                        fc = sum_cpus(lz->cpu_free, MAXCPU);
                        fz = lz->zone_free + lz->cross_free;
                        fk = i == 0 ? lk->free_items : 0;       /* keg free on the primary zone */
                        items += lz->used + fc + fz + fk;
                        if (sim_malloc_is_zone(lz->zone))
                                cat[MALLOC_SMALL] += lz->used * lk->size;
                        else if ((lk->flags & UMA_ZFLAG_INTERNAL) || lz->bucketzone)
                                cat[UMA_OWN] += lz->used * lk->size;
                        else
                                cat[ZONE_ITEMS] += lz->used * lk->size;
                        cat[FREE_CPU] += fc * lk->size;
                        cat[FREE_ZONE] += fz * lk->size;
                        cat[FREE_KEG] += fk * lk->size;
                }
                cat[OVERHEAD] += lk->pages * SIM_PAGE_SIZE - items * lk->size;
        }
        for (lz = lcache_first; lz != NULL; lz = lz->next_cache)
                cat[CACHE_ONLY] += (lz->used + sum_cpus(lz->cpu_free, MAXCPU) + lz->zone_free +
                    lz->cross_free) * lz->size;
        cat[MALLOC_LARGE] = sim_malloc_large_bytes();
        fputs("{\"categories\": {", f);
        for (i = 0; i < NCATEGORIES; i++) {
                fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", category_keys[i], cat[i]);
                accounted += cat[i];
        }
        fprintf(f, "}, \"accounted\": %" PRIu64 "}", accounted);
}
