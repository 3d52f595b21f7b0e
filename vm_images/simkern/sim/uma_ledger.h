/*
 * The UMA ledger: what the simulated allocator (sys/vm/uma_core.c) counts beside the kernel
 * structures as items move between a keg's slabs, a zone's bucket cache, the per-CPU buckets
 * and the caller.  Ground truth (sim/uma_views.c, sim/kmem_summary.c) and the invariant checks
 * (sim/uma_check.c) are computed from it, never from the structures a debugger reads.
 */
#ifndef SIM_UMA_LEDGER_H
#define SIM_UMA_LEDGER_H

#include <stdint.h>

#include <sys/_sim_kern.h>
#include <vm/uma.h>
#include <vm/uma_int.h>

enum fail_reason { FR_NONE, FR_LIMIT, FR_NOMEM };

struct lkeg;

/* One zone (keg-backed or cache-only). */
struct lzone {
        uma_zone_t      zone;
        struct lkeg     *lk;            /* NULL for cache-only zones */
        const char      *name;
        uint32_t        size;           /* item size (cache zones) */
        int             nocache;        /* internal: no per-CPU caching */
        int             bucketzone;     /* one of bucket_zones[] */
        uint64_t        used;           /* items handed out, not yet freed */
        uint64_t        zone_free;      /* items in full buckets of the bucket cache */
        uint64_t        cross_free;     /* 13+: items in the domains' uzd_cross buckets */
        uint64_t        imported;       /* cache zones: items held from the import function */
        uint64_t        sleeps;
        uint64_t        fail_limit;     /* failures at the limit */
        uint64_t        fail_nomem;     /* failures for lack of memory */
        uint64_t        max_items;      /* 13+: uz_max_items */
        uint64_t        items_out;      /* 13+: uz_items (only with a limit) */
        /* per CPU id 0..mp_maxid */
        uint64_t        *cpu_free;      /* items in this CPU's buckets */
        uint64_t        *cpu_cross;     /* 13+: of them, in its cross-domain bucket */
        uint64_t        *uc_allocs;     /* cache counters */
        uint64_t        *uc_frees;
        uint64_t        *zl_allocs;     /* zone-level counter increments done on this CPU */
        uint64_t        *zl_frees;
        uint64_t        *zl_fails;
        uint64_t        *zl_xdomain;
        struct lzone    *next_cache;    /* creation order of cache zones */
};

/* One keg and its zones. */
struct lkeg {
        uma_keg_t       keg;
        const char      *name;
        uint32_t        size, rsize, ipers, ppera, flags, maxpages;
        uint64_t        pages, slabs, carved, free_items;
        int             nzones;
        struct lzone    *zones[16];     /* in uk_zones order: primary first */
        int             secondary;      /* has secondary zones */
};

extern struct lkeg *lkegs[];            /* creation order */
extern int nlkegs;
extern struct lzone *lcache_first;      /* cache-only zones, creation order */

/* A zone's ledger, registered under the zone's address. */
struct lzone *lz_new(uma_zone_t z, const char *name);
/* The ledger of `z`; aborts for an unknown zone. */
struct lzone *lz_find(uma_zone_t z);
/* Append a cache-only zone to the creation-order list. */
void lz_add_cache(struct lzone *lz);
/* A keg's ledger, copied from the constructed keg; appended in creation order. */
struct lkeg *lk_new(uma_keg_t keg, const char *name);
/* The ledger of `keg`; aborts for an unknown keg. */
struct lkeg *lk_find(uma_keg_t keg);

/* Σ v[i] for CPU ids i < upto_excl (and <= mp_maxid). */
uint64_t sum_cpus(const uint64_t *v, u_int upto_excl);
/* Σ v[i] over CPUs present in all_cpus (libmemstat's per-CPU cache loop). */
uint64_t sum_present(const uint64_t *v);

#endif /* SIM_UMA_LEDGER_H */
