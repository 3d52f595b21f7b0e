/*
 * The simulated UMA allocator: kegs, zones, per-CPU caches, bucket caches and slabs laid out
 * as the era's kernel lays them out (uma_int.h), filled by a small allocator that really runs
 * on the simulator's page arena.
 *
 * Beside the kernel structures the allocator keeps a ledger (sim/uma_ledger.h): every item
 * movement between the keg, the zone's bucket cache, the per-CPU buckets and the caller is
 * counted there as it happens.  The expected views (sim/uma_views.c, GROUND_TRUTH.md) are
 * computed from the ledger only; the kernel structures are what the debugger plugins walk.
 *
 * Flow of an allocation (every era): per-CPU alloc bucket -> swap with the per-CPU free bucket
 * -> a full bucket from the zone's bucket cache -> a new bucket filled from the keg's slabs
 * -> one item straight from the keg (counted in the zone-level counters).  Frees mirror it.
 * Zones of internal kegs (UMA_ZFLAG_INTERNAL) have no per-CPU caching.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include <sys/_sim_kern.h>
#include <sys/smp.h>
#include <sys/pcpu.h>
#include <sys/counter.h>
#include <vm/uma.h>
#include <vm/uma_int.h>
#include "sim/sim.h"
#include "sim/uma_ledger.h"
#include "sim/items_ledger.h"

int sim_cpu_domain(int cpu);
void sim_cpus_ensure(void);

struct uma_keg;
static const char *keg_name_of(struct uma_keg *keg) __unused;

/* ---- the kernel's globals ------------------------------------------------------------------- */

/* uma_core.c: every keg, newest first */
static LIST_HEAD(,uma_keg) uma_kegs = LIST_HEAD_INITIALIZER(uma_kegs);

#if SIM_ERA >= 10
/* uma_core.c 10.x+: zones without a keg (uma_zcache_create), newest first */
static LIST_HEAD(,uma_zone) uma_cachezones = LIST_HEAD_INITIALIZER(uma_cachezones);
#endif

#if SIM_ERA >= 12
/* uma_core.c 12+: bytes of kernel memory UMA manages, and the soft limit (vm.kmem_map_size) */
unsigned long uma_kmem_limit;
unsigned long uma_kmem_total;
#endif

#if SIM_ERA <= 11
/* uma_core.c <= 11.x: the zone of kegs, zone of zones and the first keg are static */
static struct uma_keg masterkeg;
static struct uma_zone masterzone_k;
static struct uma_zone masterzone_z;
static uma_zone_t kegs = &masterzone_k;
static uma_zone_t zones = &masterzone_z;
#else
/* uma_core.c 12+: carved from boot pages by uma_startup */
static uma_zone_t kegs;
static uma_zone_t zones;
#endif

#if SIM_ERA >= 13
/* "UMA Slabs 0" for up to SLABZONE0_SETSIZE items per slab, "UMA Slabs 1" above */
static uma_zone_t slabzones[2];
#define SLABZONE0_SETSIZE       (PAGE_SIZE / 16)
#define SLABZONE1_SETSIZE       SLAB_MAX_SETSIZE
#define SLABZONE_SIZE(setsize)  (sizeof(struct uma_hash_slab) + BITSET_SIZE(setsize) * SLAB_BITSETS)
#else
static uma_zone_t slabzone;
#endif
#if SIM_ERA <= 10
static uma_zone_t slabrefzone;          /* "UMA RCntSlabs" (UMA_ZONE_REFCNT kegs) */
#endif
static uma_zone_t hashzone;

/* Bucket zones of the era (uma_core.c bucket_zones[]) */
#if SIM_ERA <= 9
/* 6.x-9.x: four sizes, "N Bucket" holds N items, all internal zones */
struct uma_bucket_zone {
        uma_zone_t      ubz_zone;
        char            *ubz_name;
        int             ubz_entries;
};
#define BUCKET_MAX      128
struct uma_bucket_zone bucket_zones[] = {
        { NULL, "16 Bucket", 16 },
        { NULL, "32 Bucket", 32 },
        { NULL, "64 Bucket", 64 },
        { NULL, "128 Bucket", 128 },
        { NULL, NULL, 0 }
};
#else
struct uma_bucket_zone {
        uma_zone_t      ubz_zone;
#if SIM_ERA >= 13
        const char      *ubz_name;
#else
        char            *ubz_name;
#endif
        int             ubz_entries;    /* items a bucket holds */
        int             ubz_maxsize;    /* largest item size that uses this bucket size */
};
/* entries that fill a power-of-two sized allocation after the bucket header */
#define BUCKET_SIZE(n)  (((sizeof(void *) * (n)) - sizeof(struct uma_bucket)) / sizeof(void *))
#define BUCKET_MAX      BUCKET_SIZE(256)
#if SIM_ERA >= 13
/* 13+: small buckets hold their nominal count, larger ones fill 2^n pointers */
struct uma_bucket_zone bucket_zones[] = {
        { NULL, "2 Bucket", 2, 4096 },
        { NULL, "4 Bucket", 4, 3072 },
        { NULL, "8 Bucket", 8, 2048 },
        { NULL, "16 Bucket", 16, 1024 },
        { NULL, "32 Bucket", BUCKET_SIZE(32), 512 },
        { NULL, "64 Bucket", BUCKET_SIZE(64), 256 },
        { NULL, "128 Bucket", BUCKET_SIZE(128), 128 },
        { NULL, "256 Bucket", BUCKET_SIZE(256), 64 },
        { NULL, NULL, 0, 0 }
};
#else
/* 10.x-12.x */
struct uma_bucket_zone bucket_zones[] = {
        { NULL, "4 Bucket", BUCKET_SIZE(4), 4096 },
        { NULL, "6 Bucket", BUCKET_SIZE(6), 3072 },
        { NULL, "8 Bucket", BUCKET_SIZE(8), 2048 },
        { NULL, "12 Bucket", BUCKET_SIZE(12), 1536 },
        { NULL, "16 Bucket", BUCKET_SIZE(16), 1024 },
        { NULL, "32 Bucket", BUCKET_SIZE(32), 512 },
        { NULL, "64 Bucket", BUCKET_SIZE(64), 256 },
        { NULL, "128 Bucket", BUCKET_SIZE(128), 128 },
        { NULL, "256 Bucket", BUCKET_SIZE(256), 64 },
        { NULL, NULL, 0, 0 }
};
#endif
#endif

/* ---- era-neutral names for flags that moved --------------------------------------------- */
#if SIM_ERA >= 13
#define KF_OFFPAGE      UMA_ZFLAG_OFFPAGE
#define KF_HASH         UMA_ZFLAG_HASH
#define KF_VTOSLAB      UMA_ZFLAG_VTOSLAB
#define UMA_MAX_WASTE_BYTES(slabsize) ((slabsize) / 10)
#else
#define KF_OFFPAGE      UMA_ZONE_OFFPAGE
#define KF_HASH         UMA_ZONE_HASH
#if SIM_ERA >= 8
#define KF_VTOSLAB      UMA_ZONE_VTOSLAB
#else
#define KF_VTOSLAB      0
#endif
#define UMA_MAX_WASTE_BYTES(slabsize) ((slabsize) / 10)
#endif
#ifdef UMA_ZONE_PCPU
#define KF_PCPU         UMA_ZONE_PCPU
#else
#define KF_PCPU         0
#endif
#ifdef UMA_ZFLAG_BUCKET
#define ZF_BUCKET       UMA_ZFLAG_BUCKET
#else
#define ZF_BUCKET       0
#endif

/* Internal: bucket allocations may not dip into the last pages of the arena (M_NOVM). */
#define SIM_BUCKET_RESERVE()    MAX((size_t)32, sim_pages_total() / 64)

/* ---- small helpers ----------------------------------------------------------------------------- */

static int uma_booted;
static enum fail_reason last_fail;

static void
uma_panic(const char *msg, const char *name)
{
        fprintf(stderr, "uma: %s (%s)\n", msg, name ? name : "?");
        abort();
}

static uma_keg_t
zone_keg(uma_zone_t z)
{
#if SIM_ERA <= 7 || SIM_ERA >= 13
        return (z->uz_keg);
#else
        struct uma_klink *kl = LIST_FIRST(&z->uz_kegs);

        return (kl != NULL ? kl->kl_keg : NULL);
#endif
}

static uint32_t
zone_flags(uma_zone_t z)
{
#if SIM_ERA <= 7
        return (z->uz_keg->uk_flags);
#else
        return (z->uz_flags);
#endif
}

static uint32_t
zone_size(uma_zone_t z)
{
#if SIM_ERA <= 7
        return (z->uz_keg->uk_size);
#else
        return (z->uz_size);
#endif
}

static int
zone_count(uma_zone_t z)
{
#if SIM_ERA >= 13
        return (z->uz_bucket_size);
#else
        return (z->uz_count);
#endif
}

/* The domain whose bucket cache / slabs a CPU uses for this zone. */
static int
zone_domain(uma_zone_t z, int cpu)
{
#if SIM_ERA == 12
        if (vm_ndomains > 1 && (zone_flags(z) & UMA_ZONE_NUMA))
                return (sim_cpu_domain(cpu));
#elif SIM_ERA >= 13
        if (vm_ndomains > 1 && (zone_flags(z) & UMA_ZONE_FIRSTTOUCH))
                return (sim_cpu_domain(cpu));
#endif
        (void)z; (void)cpu;
        return (0);
}

/* ---- zone-level statistics (plain counters <= 12, counter(9) 13+) ----------------------------- */

static void
zstat_alloc(uma_zone_t z, struct lzone *lz, int n)
{
#if SIM_ERA >= 13
        counter_u64_add(z->uz_allocs, n);
#else
        z->uz_allocs += n;
#endif
        lz->zl_allocs[curcpu] += n;
}

static void
zstat_free(uma_zone_t z, struct lzone *lz, int n)
{
#if SIM_ERA >= 13
        counter_u64_add(z->uz_frees, n);
#else
        z->uz_frees += n;
#endif
        lz->zl_frees[curcpu] += n;
}

static void
zstat_fail(uma_zone_t z, struct lzone *lz, enum fail_reason why)
{
#if SIM_ERA >= 13
        counter_u64_add(z->uz_fails, 1);
#else
        z->uz_fails++;
#endif
        lz->zl_fails[curcpu]++;
        if (why == FR_LIMIT)
                lz->fail_limit++;
        else
                lz->fail_nomem++;
}

static void
zstat_sleep(uma_zone_t z, struct lzone *lz)
{
#if SIM_ERA >= 9
        z->uz_sleeps++;
#else
        (void)z;
#endif
        lz->sleeps++;
}

/* ---- keg slabs --------------------------------------------------------------------------------- */

#if SIM_ERA >= 13
static inline void *
slab_data(uma_slab_t slab, uma_keg_t keg)
{
        if ((keg->uk_flags & UMA_ZFLAG_OFFPAGE) == 0)
                return ((void *)((uintptr_t)slab - keg->uk_pgoff));
        /* off-page: the header sits at the end of a struct uma_hash_slab */
        return (((struct uma_hash_slab *)((char *)slab -
            offsetof(struct uma_hash_slab, uhs_slab)))->uhs_data);
}
#define SLAB_FREEBITS(s)        ((long *)&(s)->us_free)
#elif SIM_ERA >= 10
#define slab_data(slab, keg)    ((void *)(slab)->us_data)
#define SLAB_FREEBITS(s)        ((s)->us_free.__bits)
#else
#define slab_data(slab, keg)    ((void *)(slab)->us_data)
#endif

static int
slab_domain(uma_slab_t slab)
{
#if SIM_ERA >= 12
        return (slab->us_domain);
#else
        (void)slab;
        return (0);
#endif
}

/* slab list heads of a keg (per domain on 12+) */
#if SIM_ERA >= 12
#define KEG_PART(k, d)  (&(k)->uk_domain[(d)].ud_part_slab)
#define KEG_FREE(k, d)  (&(k)->uk_domain[(d)].ud_free_slab)
#define KEG_FULL(k, d)  (&(k)->uk_domain[(d)].ud_full_slab)
#else
#define KEG_PART(k, d)  (&(k)->uk_part_slab)
#define KEG_FREE(k, d)  (&(k)->uk_free_slab)
#define KEG_FULL(k, d)  (&(k)->uk_full_slab)
#endif

static void
keg_count_free(uma_keg_t keg, int d, int n)
{
#if SIM_ERA >= 13
        keg->uk_domain[d].ud_free_items += n;
#else
        (void)d;
        keg->uk_free += n;
#endif
}

static uma_zone_t
keg_slabzone(uma_keg_t keg)
{
#if SIM_ERA >= 13
        return (keg->uk_ipers <= SLABZONE0_SETSIZE ? slabzones[0] : slabzones[1]);
#else
        return (keg->uk_slabzone);
#endif
}

static void *zone_alloc_item(uma_zone_t zone, int flags);
static void zone_free_item(uma_zone_t zone, void *item);
static size_t slab_hdr_size(int ipers);

/*
 * Take fresh pages for a new slab in domain `d`.  <= 12 a keg with uk_maxpages stops at that
 * many pages; M_NOVM allocations (buckets) leave the last pages of the arena alone.
 */
static uma_slab_t
keg_alloc_slab(uma_keg_t keg, struct lkeg *lk, int d, int flags)
{
        uma_slab_t slab;
        uint8_t *mem;
        int i;

#if SIM_ERA <= 12
        if (keg->uk_maxpages != 0 && keg->uk_pages >= keg->uk_maxpages) {
#if SIM_ERA >= 8
                /* the keg's zones are full until items come back */
                LIST_FIRST(&keg->uk_zones)->uz_flags |= UMA_ZFLAG_FULL;
#endif
                last_fail = FR_LIMIT;
                return (NULL);
        }
#endif
        if ((flags & M_NOVM) && sim_pages_free() < SIM_BUCKET_RESERVE() + keg->uk_ppera) {
                last_fail = FR_NOMEM;
                return (NULL);
        }
        mem = sim_page_alloc(keg->uk_ppera);
        if (mem == NULL) {
                last_fail = FR_NOMEM;
                return (NULL);
        }
        if (keg->uk_flags & KF_OFFPAGE) {
                void *hdr = zone_alloc_item(keg_slabzone(keg), M_NOWAIT);

                if (hdr == NULL) {
                        sim_page_free(mem, keg->uk_ppera);
                        last_fail = FR_NOMEM;
                        return (NULL);
                }
#if SIM_ERA >= 13
                ((struct uma_hash_slab *)hdr)->uhs_data = mem;
                slab = &((struct uma_hash_slab *)hdr)->uhs_slab;
#else
                slab = hdr;
#endif
        } else
                slab = (uma_slab_t)(mem + keg->uk_pgoff);

        /* header: every item free */
#if SIM_ERA <= 9
        slab->us_keg = keg;
        slab->us_data = mem;
        slab->us_flags = 0;
        slab->us_freecount = keg->uk_ipers;
        slab->us_firstfree = 0;
        for (i = 0; i < keg->uk_ipers; i++)
                slab->us_freelist[i].us_item = i + 1;
#else
#if SIM_ERA <= 12
        slab->us_keg = keg;
        slab->us_data = mem;
        memset(&slab->us_free, 0, sizeof(slab->us_free));
#else
        memset(SLAB_FREEBITS(slab), 0, BITSET_SIZE(keg->uk_ipers));
#endif
        slab->us_freecount = keg->uk_ipers;
        slab->us_flags = 0;
        for (i = 0; i < keg->uk_ipers; i++)
                SLAB_FREEBITS(slab)[i / _BITSET_BITS] |= 1UL << (i % _BITSET_BITS);
#endif
#if SIM_ERA >= 12
        slab->us_domain = d;
#else
        d = 0;
#endif
        LIST_INSERT_HEAD(KEG_FREE(keg, d), slab, us_link);
#if SIM_ERA <= 12
        /* off-page slabs without page back-pointers are found through the keg's hash */
        if ((keg->uk_flags & KF_HASH) && keg->uk_hash.uh_slab_hash != NULL)
                SLIST_INSERT_HEAD(&keg->uk_hash.uh_slab_hash[((uintptr_t)mem >> UMA_SLAB_SHIFT) &
                    keg->uk_hash.uh_hashmask], slab, us_hlink);
#endif
        sim_page_set_slab(mem, keg->uk_ppera, LIST_FIRST(&keg->uk_zones), slab);
        sim_items_slab_new(lk->name, keg, slab, (keg->uk_flags & KF_OFFPAGE) ?
#if SIM_ERA >= 13
            (void *)((char *)slab - offsetof(struct uma_hash_slab, uhs_slab)) :
#else
            (void *)slab :
#endif
            (void *)slab, (keg->uk_flags & KF_OFFPAGE) == 0, slab_hdr_size(keg->uk_ipers), mem,
            keg->uk_ipers, keg->uk_size, keg->uk_rsize, keg->uk_ppera, SIM_ERA >= 12 ? d : -1);

        /* the keg's own counts */
#if SIM_ERA >= 13
        keg->uk_domain[d].ud_pages += keg->uk_ppera;
        keg->uk_domain[d].ud_free_slabs++;
        uma_kmem_total += (unsigned long)keg->uk_ppera * PAGE_SIZE;
#else
        keg->uk_pages += keg->uk_ppera;
#if SIM_ERA >= 12
        uma_kmem_total += (unsigned long)keg->uk_ppera * PAGE_SIZE;
#endif
#endif
        keg_count_free(keg, d, keg->uk_ipers);

        lk->pages += keg->uk_ppera;
        lk->slabs++;
        lk->carved += keg->uk_ipers;
        lk->free_items += keg->uk_ipers;
        return (slab);
}

/* Move a slab to the list matching its free count. */
static void
slab_relist(uma_keg_t keg, uma_slab_t slab)
{
        int d = slab_domain(slab);

        (void)d;

        LIST_REMOVE(slab, us_link);
        if (slab->us_freecount == 0)
                LIST_INSERT_HEAD(KEG_FULL(keg, d), slab, us_link);
        else if (slab->us_freecount == keg->uk_ipers)
                LIST_INSERT_HEAD(KEG_FREE(keg, d), slab, us_link);
        else
                LIST_INSERT_HEAD(KEG_PART(keg, d), slab, us_link);
}

static void *
slab_alloc_item(uma_keg_t keg, struct lkeg *lk, uma_slab_t slab)
{
        int idx, was_free = (slab->us_freecount == keg->uk_ipers);

#if SIM_ERA <= 9
        idx = slab->us_firstfree;
        slab->us_firstfree = slab->us_freelist[idx].us_item;
#else
        long *bits = SLAB_FREEBITS(slab);

        for (idx = 0; idx < keg->uk_ipers; idx++)
                if (bits[idx / _BITSET_BITS] & (1UL << (idx % _BITSET_BITS)))
                        break;
        if (idx == keg->uk_ipers)
                uma_panic("slab with free count but no free bit", keg_name_of(keg));
        bits[idx / _BITSET_BITS] &= ~(1UL << (idx % _BITSET_BITS));
#endif
        slab->us_freecount--;
#if SIM_ERA >= 13
        if (was_free)
                keg->uk_domain[slab_domain(slab)].ud_free_slabs--;
#else
        (void)was_free;
#endif
        keg_count_free(keg, slab_domain(slab), -1);
        lk->free_items--;
        slab_relist(keg, slab);
        return ((uint8_t *)slab_data(slab, keg) + (size_t)idx * keg->uk_rsize);
}

static void
slab_free_item(uma_keg_t keg, struct lkeg *lk, uma_slab_t slab, void *item)
{
        int idx = ((uint8_t *)item - (uint8_t *)slab_data(slab, keg)) / keg->uk_rsize;

#if SIM_ERA <= 9
        slab->us_freelist[idx].us_item = slab->us_firstfree;
        slab->us_firstfree = idx;
#else
        long *bits = SLAB_FREEBITS(slab);

        if (bits[idx / _BITSET_BITS] & (1UL << (idx % _BITSET_BITS)))
                uma_panic("double free of an item", keg_name_of(keg));
        bits[idx / _BITSET_BITS] |= 1UL << (idx % _BITSET_BITS);
#endif
        slab->us_freecount++;
        sim_items_hold(slab, item, SIM_ITEM_KEG);
#if SIM_ERA >= 13
        if (slab->us_freecount == keg->uk_ipers)
                keg->uk_domain[slab_domain(slab)].ud_free_slabs++;
#endif
        keg_count_free(keg, slab_domain(slab), 1);
        lk->free_items++;
        slab_relist(keg, slab);
}

/* A slab with a free item: wanted domain first, then a new slab there, then other domains. */
static uma_slab_t
keg_fetch_slab(uma_keg_t keg, struct lkeg *lk, int d, int flags)
{
        uma_slab_t slab;
        int nd = 1, i;

#if SIM_ERA >= 12
        nd = vm_ndomains;
#else
        d = 0;
#endif
        if ((slab = LIST_FIRST(KEG_PART(keg, d))) != NULL ||
            (slab = LIST_FIRST(KEG_FREE(keg, d))) != NULL)
                return (slab);
        if ((slab = keg_alloc_slab(keg, lk, d, flags)) != NULL)
                return (slab);
        for (i = 0; i < nd; i++) {
                if (i == d)
                        continue;
                if ((slab = LIST_FIRST(KEG_PART(keg, i))) != NULL ||
                    (slab = LIST_FIRST(KEG_FREE(keg, i))) != NULL)
                        return (slab);
        }
        return (NULL);
}

/* The domain new slabs of this keg come from (first touch, or the keg's round robin). */
static int
keg_domain(uma_keg_t keg, int cpu)
{
#if SIM_ERA == 12
        if (vm_ndomains <= 1)
                return (0);
        if (keg->uk_flags & UMA_ZONE_NUMA)
                return (sim_cpu_domain(cpu));
        return (keg->uk_dr.dr_iterator++ % vm_ndomains);
#elif SIM_ERA >= 13
        if (vm_ndomains <= 1)
                return (0);
        if (keg->uk_flags & UMA_ZONE_ROUNDROBIN) {
                static unsigned rr;
                return (rr++ % vm_ndomains);
        }
        return (sim_cpu_domain(cpu));
#else
        (void)keg; (void)cpu;
        return (0);
#endif
}

/* ---- import / release between a zone and its keg (or its import function) --------------- */

/* 13+: reserve up to `count` items against uz_max_items; returns how many may be taken. */
static int
zone_alloc_limit(uma_zone_t zone, struct lzone *lz, int count)
{
#if SIM_ERA >= 13
        uint64_t avail;

        if ((zone->uz_flags & UMA_ZFLAG_LIMIT) == 0)
                return (count);
        avail = zone->uz_max_items > lz->items_out ? zone->uz_max_items - lz->items_out : 0;
        if ((uint64_t)count > avail)
                count = (int)avail;
        lz->items_out += count;
        zone->uz_items = lz->items_out;
        if (count == 0)
                last_fail = FR_LIMIT;
        return (count);
#else
        (void)zone; (void)lz;
        return (count);
#endif
}

static void
zone_free_limit(uma_zone_t zone, struct lzone *lz, int count)
{
#if SIM_ERA >= 13
        if ((zone->uz_flags & UMA_ZFLAG_LIMIT) == 0)
                return;
        lz->items_out -= count;
        zone->uz_items = lz->items_out;
#else
        (void)zone; (void)lz; (void)count;
#endif
}

/*
 * Take up to `max` items for the zone from its keg's slabs or its import function.  The caller
 * books where they go (a bucket or the caller); this books them out of the keg / import.
 */
static int
zone_import(uma_zone_t zone, struct lzone *lz, void **store, int max, int flags)
{
        uma_keg_t keg = zone_keg(zone);
        int i, d;

        last_fail = FR_NONE;
        max = zone_alloc_limit(zone, lz, max);
        if (max == 0)
                return (0);
        if (keg == NULL) {
#if SIM_ERA >= 10
#if SIM_ERA >= 12
                i = zone->uz_import(zone->uz_arg, store, max, zone_domain(zone, curcpu), flags);
#else
                i = zone->uz_import(zone->uz_arg, store, max, flags);
#endif
                if (i < 0)
                        i = 0;
                if (i == 0)
                        last_fail = FR_NOMEM;
                lz->imported += i;
                zone_free_limit(zone, lz, max - i);
                return (i);
#else
                uma_panic("zone without keg", lz->name);
#endif
        }
        d = keg_domain(keg, curcpu);
        for (i = 0; i < max; i++) {
                uma_slab_t slab = keg_fetch_slab(keg, lz->lk, d, flags);

                if (slab == NULL)
                        break;
                store[i] = slab_alloc_item(keg, lz->lk, slab);
                sim_items_hold(slab, store[i], SIM_ITEM_OUT);
        }
        zone_free_limit(zone, lz, max - i);
        return (i);
}

/* Give items back to the keg's slabs (or the release function). */
static void
zone_release(uma_zone_t zone, struct lzone *lz, void **store, int count)
{
        uma_keg_t keg = zone_keg(zone);
        int i;

        if (count == 0)
                return;
        if (keg == NULL) {
#if SIM_ERA >= 10
                zone->uz_release(zone->uz_arg, store, count);
                lz->imported -= count;
#endif
        } else {
                for (i = 0; i < count; i++) {
                        void *z, *slab;

                        sim_page_get_slab(store[i], &z, &slab);
                        if (slab == NULL)
                                uma_panic("free of an item not from a keg", lz->name);
                        slab_free_item(keg, lz->lk, slab, store[i]);
                }
        }
        zone_free_limit(zone, lz, count);
}

/* One item straight from the keg, bypassing the caches; counted in the zone-level stats. */
static void *
zone_alloc_item(uma_zone_t zone, int flags)
{
        struct lzone *lz = lz_find(zone);
        void *item;

        if (zone_import(zone, lz, &item, 1, flags) == 1) {
                zstat_alloc(zone, lz, 1);
                lz->used++;
                if (flags & M_ZERO)
                        memset(item, 0, zone_size(zone));
                return (item);
        }
        /*
         * At the limit an M_WAITOK caller would sleep until items are freed: the simulator
         * cannot block, so it counts the sleep and the caller sees NULL and retries later.
         */
        if (last_fail == FR_LIMIT && (flags & M_WAITOK))
                zstat_sleep(zone, lz);
        else
                zstat_fail(zone, lz, last_fail == FR_LIMIT ? FR_LIMIT : FR_NOMEM);
        return (NULL);
}

static void
zone_free_item(uma_zone_t zone, void *item)
{
        struct lzone *lz = lz_find(zone);

        zone_release(zone, lz, &item, 1);
        zstat_free(zone, lz, 1);
        lz->used--;
}

/* ---- buckets ------------------------------------------------------------------------------------ */

static struct uma_bucket_zone *
bucket_zone_lookup(int entries)
{
        struct uma_bucket_zone *ubz;

        for (ubz = &bucket_zones[0]; ubz->ubz_entries != 0; ubz++)
                if (ubz->ubz_entries >= entries)
                        return (ubz);
        return (ubz - 1);
}

#if SIM_ERA >= 10
/* 10.x+: bucket size from the item size (uma_core.c bucket_select) */
static int
bucket_select(int size)
{
        struct uma_bucket_zone *ubz = &bucket_zones[0];

        if (size > ubz->ubz_maxsize)
                return (MAX((ubz->ubz_maxsize * ubz->ubz_entries) / size, 1));
        for (; ubz->ubz_entries != 0; ubz++)
                if (ubz->ubz_maxsize < size)
                        break;
        ubz--;
        return (ubz->ubz_entries);
}
#endif

static void *zalloc_internal(uma_zone_t zone, uintptr_t cookie, int flags);
static void zfree_internal(uma_zone_t zone, void *item, uintptr_t cookie);

/* cookie bit: we are already allocating a bucket for a bucket zone (no deeper recursion) */
#define COOKIE_BUCKET   1

/*
 * An empty bucket for `zone`'s caches, from the bucket zone sized for its uz_count.  Bucket
 * allocations never wait and may not take the last pages (M_NOVM); a failure is counted on the
 * bucket zone.  <= 9 the bucket zones are internal (no caching); 10+ they cache like any zone,
 * and a bucket zone gets its own buckets from the next larger bucket zone, one level deep.
 */
static uma_bucket_t
bucket_alloc(uma_zone_t zone, uintptr_t *cookie)
{
        struct uma_bucket_zone *ubz;
        uma_bucket_t b;

        if (zone_flags(zone) & ZF_BUCKET) {
                if (*cookie & COOKIE_BUCKET)
                        return (NULL);
                *cookie |= COOKIE_BUCKET;
        }
        ubz = bucket_zone_lookup(zone_count(zone));
#if SIM_ERA >= 10
        if (ubz->ubz_zone == zone && (ubz + 1)->ubz_entries != 0)
                ubz++;
#endif
        b = zalloc_internal(ubz->ubz_zone, *cookie, M_NOWAIT | M_NOVM);
        if (b != NULL) {
                b->ub_cnt = 0;
                b->ub_entries = ubz->ubz_entries;
        }
        return (b);
}

static void
bucket_free(uma_bucket_t b, uintptr_t cookie)
{
        struct uma_bucket_zone *ubz = bucket_zone_lookup(b->ub_entries);

        zfree_internal(ubz->ubz_zone, b, cookie);
}

/* ---- per-CPU cache buckets ------------------------------------------------------------------- */

enum { CB_ALLOC, CB_FREE, CB_CROSS };

#if SIM_ERA >= 13
static struct uma_cache_bucket *
cbslot(uma_cache_t c, int w)
{
        return (w == CB_ALLOC ? &c->uc_allocbucket :
            w == CB_FREE ? &c->uc_freebucket : &c->uc_crossbucket);
}
static uma_bucket_t cb_get(uma_cache_t c, int w) { return (cbslot(c, w)->ucb_bucket); }
static int cb_cnt(uma_cache_t c, int w) { return (cbslot(c, w)->ucb_cnt); }
static int cb_room(uma_cache_t c, int w)
{
        struct uma_cache_bucket *s = cbslot(c, w);

        return (s->ucb_bucket != NULL && s->ucb_cnt < s->ucb_entries);
}
static void
cb_load(uma_cache_t c, int w, uma_bucket_t b)
{
        struct uma_cache_bucket *s = cbslot(c, w);

        s->ucb_bucket = b;
        s->ucb_cnt = b->ub_cnt;
        s->ucb_entries = b->ub_entries;
        sim_items_bucket_slot(b, c, w);
}
/* the inline count is the live one while loaded; write it back on unload */
static uma_bucket_t
cb_unload(uma_cache_t c, int w)
{
        struct uma_cache_bucket *s = cbslot(c, w);
        uma_bucket_t b = s->ucb_bucket;

        if (b != NULL)
                b->ub_cnt = s->ucb_cnt;
        s->ucb_bucket = NULL;
        s->ucb_cnt = 0;
        s->ucb_entries = 0;
        return (b);
}
static void *
cb_pop(uma_cache_t c, int w)
{
        struct uma_cache_bucket *s = cbslot(c, w);
        void *item;

        s->ucb_cnt--;
        item = s->ucb_bucket->ub_bucket[s->ucb_cnt];
        s->ucb_bucket->ub_bucket[s->ucb_cnt] = NULL;
        return (item);
}
static void
cb_push(uma_cache_t c, int w, void *item)
{
        struct uma_cache_bucket *s = cbslot(c, w);

        s->ucb_bucket->ub_bucket[s->ucb_cnt++] = item;
}
static void
cb_swap(uma_cache_t c)
{
        struct uma_cache_bucket *a = &c->uc_allocbucket, *f = &c->uc_freebucket, t;

        t.ucb_bucket = a->ucb_bucket; t.ucb_cnt = a->ucb_cnt; t.ucb_entries = a->ucb_entries;
        a->ucb_bucket = f->ucb_bucket; a->ucb_cnt = f->ucb_cnt; a->ucb_entries = f->ucb_entries;
        f->ucb_bucket = t.ucb_bucket; f->ucb_cnt = t.ucb_cnt; f->ucb_entries = t.ucb_entries;
        sim_items_bucket_slot(a->ucb_bucket, c, CB_ALLOC);
        sim_items_bucket_slot(f->ucb_bucket, c, CB_FREE);
}
#else
static uma_bucket_t *
cbslot(uma_cache_t c, int w)
{
        return (w == CB_ALLOC ? &c->uc_allocbucket : &c->uc_freebucket);
}
static uma_bucket_t cb_get(uma_cache_t c, int w) { return (*cbslot(c, w)); }
static int cb_cnt(uma_cache_t c, int w) { return (*cbslot(c, w) ? (*cbslot(c, w))->ub_cnt : 0); }
static int cb_room(uma_cache_t c, int w)
{
        uma_bucket_t b = *cbslot(c, w);

        return (b != NULL && b->ub_cnt < b->ub_entries);
}
static void
cb_load(uma_cache_t c, int w, uma_bucket_t b)
{
        *cbslot(c, w) = b;
        sim_items_bucket_slot(b, c, w);
}
static uma_bucket_t
cb_unload(uma_cache_t c, int w)
{
        uma_bucket_t b = *cbslot(c, w);

        *cbslot(c, w) = NULL;
        return (b);
}
static void *
cb_pop(uma_cache_t c, int w)
{
        uma_bucket_t b = *cbslot(c, w);
        void *item;

        b->ub_cnt--;
        item = b->ub_bucket[b->ub_cnt];
        b->ub_bucket[b->ub_cnt] = NULL;
        return (item);
}
static void
cb_push(uma_cache_t c, int w, void *item)
{
        uma_bucket_t b = *cbslot(c, w);

        b->ub_bucket[b->ub_cnt++] = item;
}
static void
cb_swap(uma_cache_t c)
{
        uma_bucket_t t = c->uc_allocbucket;

        c->uc_allocbucket = c->uc_freebucket;
        c->uc_freebucket = t;
        sim_items_bucket_slot(c->uc_allocbucket, c, CB_ALLOC);
        sim_items_bucket_slot(c->uc_freebucket, c, CB_FREE);
}
#endif

/* ---- the zone's bucket cache ---------------------------------------------------------------- */

#if SIM_ERA == 12
static struct uma_zone_domain *
zdom_get(uma_zone_t z, int d)
{
        return (&z->uz_domain[d]);
}
#elif SIM_ERA >= 13
static struct uma_zone_domain *
zdom_get(uma_zone_t z, int d)
{
        return (ZDOM_GET(z, d));
}
#endif

/* Put a full (or partly full) bucket on the zone's cache of the domain. */
static void
zone_put_bucket(uma_zone_t z, struct lzone *lz, int d, uma_bucket_t b)
{
#if SIM_ERA <= 9
        (void)d;
        LIST_INSERT_HEAD(&z->uz_full_bucket, b, ub_link);
#elif SIM_ERA <= 11
        (void)d;
        LIST_INSERT_HEAD(&z->uz_buckets, b, ub_link);
#else
        struct uma_zone_domain *zd = zdom_get(z, d);

#if SIM_ERA == 12
        LIST_INSERT_HEAD(&zd->uzd_buckets, b, ub_link);
#else
        STAILQ_INSERT_HEAD(&zd->uzd_buckets, b, ub_link);
#endif
        zd->uzd_nitems += b->ub_cnt;
        if (zd->uzd_nitems > zd->uzd_imax)
                zd->uzd_imax = zd->uzd_nitems;
#endif
        lz->zone_free += b->ub_cnt;
        sim_items_bucket_zone(b, z);
}

/* Take a bucket from the zone's cache of the domain (NULL if empty). */
static uma_bucket_t
zone_fetch_bucket(uma_zone_t z, struct lzone *lz, int d)
{
        uma_bucket_t b;

#if SIM_ERA <= 9
        (void)d;
        if ((b = LIST_FIRST(&z->uz_full_bucket)) != NULL)
                LIST_REMOVE(b, ub_link);
#elif SIM_ERA <= 11
        (void)d;
        if ((b = LIST_FIRST(&z->uz_buckets)) != NULL)
                LIST_REMOVE(b, ub_link);
#else
        struct uma_zone_domain *zd = zdom_get(z, d);

#if SIM_ERA == 12
        if ((b = LIST_FIRST(&zd->uzd_buckets)) != NULL)
                LIST_REMOVE(b, ub_link);
#else
        if ((b = STAILQ_FIRST(&zd->uzd_buckets)) != NULL)
                STAILQ_REMOVE_HEAD(&zd->uzd_buckets, ub_link);
#endif
        if (b != NULL) {
                zd->uzd_nitems -= b->ub_cnt;
                if (zd->uzd_nitems < zd->uzd_imin)
                        zd->uzd_imin = zd->uzd_nitems;
        }
#endif
        if (b != NULL)
                lz->zone_free -= b->ub_cnt;
        sim_items_bucket_zone(b, NULL);
        return (b);
}

/* Return every item of a bucket to the keg (no frees counted: they were counted on entry). */
static void
bucket_drain(uma_zone_t z, struct lzone *lz, uma_bucket_t b)
{
        zone_release(z, lz, b->ub_bucket, b->ub_cnt);
        memset(b->ub_bucket, 0, sizeof(void *) * b->ub_cnt);
        b->ub_cnt = 0;
}

/* A new bucket filled from the keg, or NULL. */
static uma_bucket_t
zone_alloc_bucket(uma_zone_t z, struct lzone *lz, uintptr_t *cookie, int flags)
{
        uma_bucket_t b = NULL;
        int max;

#if SIM_ERA <= 9
        /* <= 9: empty buckets parked on the zone are used first */
        if ((b = LIST_FIRST(&z->uz_free_bucket)) != NULL)
                LIST_REMOVE(b, ub_link);
#endif
        if (b == NULL)
                b = bucket_alloc(z, cookie);
        if (b == NULL)
                return (NULL);
        max = MIN(b->ub_entries, zone_count(z));
        b->ub_cnt = zone_import(z, lz, b->ub_bucket, max, flags & ~M_WAITOK);
        for (max = 0; max < b->ub_cnt; max++)
                sim_items_hold(NULL, b->ub_bucket[max], b);
        if (b->ub_cnt == 0) {
#if SIM_ERA <= 9
                LIST_INSERT_HEAD(&z->uz_free_bucket, b, ub_link);
#else
                bucket_free(b, *cookie);
#endif
                return (NULL);
        }
        return (b);
}

#if SIM_ERA >= 13
/*
 * 13+: a full cross bucket is sorted into the uzd_cross bucket of each item's domain; cross
 * buckets that fill up join that domain's bucket cache.  Items that find no bucket go back to
 * the keg.
 */
static void
zone_free_cross(uma_zone_t z, struct lzone *lz, uma_bucket_t bucket, uintptr_t cookie)
{
        while (bucket->ub_cnt > 0) {
                void *item = bucket->ub_bucket[bucket->ub_cnt - 1], *zz, *slab;
                struct uma_zone_domain *zd;
                uma_bucket_t b;

                sim_page_get_slab(item, &zz, &slab);
                zd = zdom_get(z, slab_domain(slab));
                if (zd->uzd_cross == NULL) {
                        zd->uzd_cross = bucket_alloc(z, &cookie);
                        sim_items_bucket_zone(zd->uzd_cross, z);
                        if (zd->uzd_cross == NULL)
                                break;
                }
                b = zd->uzd_cross;
                b->ub_bucket[b->ub_cnt++] = item;
                sim_items_hold(slab, item, b);
                bucket->ub_bucket[--bucket->ub_cnt] = NULL;
                lz->cross_free++;
                if (b->ub_cnt == b->ub_entries) {
                        zd->uzd_cross = NULL;
                        lz->cross_free -= b->ub_cnt;
                        zone_put_bucket(z, lz, slab_domain(slab), b);
                }
        }
        if (bucket->ub_cnt > 0)
                bucket_drain(z, lz, bucket);
}
#endif

/* ---- allocation and free -------------------------------------------------------------------- */

static int
zone_nocache(struct lzone *lz)
{
        return (lz->nocache || zone_count(lz->zone) == 0);
}

static void *
zalloc_internal(uma_zone_t zone, uintptr_t cookie, int flags)
{
        struct lzone *lz = lz_find(zone);
        int cpu = curcpu, d;
        uma_cache_t cache;
        uma_bucket_t b;
        void *item;

        if (zone_nocache(lz))
                return (zone_alloc_item(zone, flags));
        cache = &zone->uz_cpu[cpu];
        d = zone_domain(zone, cpu);
        for (;;) {
                if (cb_cnt(cache, CB_ALLOC) > 0) {
                        item = cb_pop(cache, CB_ALLOC);
                        sim_items_hold(NULL, item, SIM_ITEM_OUT);
                        cache->uc_allocs++;
                        lz->uc_allocs[cpu]++;
                        lz->cpu_free[cpu]--;
                        lz->used++;
                        if (flags & M_ZERO)
                                memset(item, 0, zone_size(zone));
                        return (item);
                }
                if (cb_cnt(cache, CB_FREE) > 0) {
                        cb_swap(cache);
                        continue;
                }
                /* the alloc bucket is empty: keep it (<= 9) or give it back (10+) */
                if ((b = cb_unload(cache, CB_ALLOC)) != NULL) {
#if SIM_ERA <= 9
                        LIST_INSERT_HEAD(&zone->uz_free_bucket, b, ub_link);
#else
                        bucket_free(b, cookie);
#endif
                }
                if ((b = zone_fetch_bucket(zone, lz, d)) != NULL) {
                        lz->cpu_free[cpu] += b->ub_cnt;
                        cb_load(cache, CB_ALLOC, b);
                        continue;
                }
                if ((b = zone_alloc_bucket(zone, lz, &cookie, flags)) != NULL) {
                        lz->cpu_free[cpu] += b->ub_cnt;
                        cb_load(cache, CB_ALLOC, b);
                        continue;
                }
                return (zone_alloc_item(zone, flags));
        }
}

static void
zfree_internal(uma_zone_t zone, void *item, uintptr_t cookie)
{
        struct lzone *lz = lz_find(zone);
        int cpu = curcpu, d, w = CB_FREE;
        uma_cache_t cache;
        uma_bucket_t b;

        if (item == NULL)
                return;
        if (zone_nocache(lz)) {
                zone_free_item(zone, item);
                return;
        }
        cache = &zone->uz_cpu[cpu];
        d = zone_domain(zone, cpu);
#if SIM_ERA >= 13
        /* first-touch zones keep other domains' items apart, in the cross bucket */
        if (vm_ndomains > 1 && zone_keg(zone) != NULL &&
            (zone->uz_flags & UMA_ZONE_FIRSTTOUCH)) {
                void *zz, *slab;

                sim_page_get_slab(item, &zz, &slab);
                if (slab != NULL && slab_domain(slab) != sim_cpu_domain(cpu))
                        w = CB_CROSS;
        }
#endif
        for (;;) {
                if (cb_room(cache, w)) {
                        cb_push(cache, w, item);
                        sim_items_hold(NULL, item, cb_get(cache, w));
                        cache->uc_frees++;
                        lz->uc_frees[cpu]++;
                        lz->cpu_free[cpu]++;
                        if (w == CB_CROSS)
                                lz->cpu_cross[cpu]++;
                        lz->used--;
                        return;
                }
                /* a full free bucket swaps with an alloc bucket that has room */
                if (w == CB_FREE && cb_get(cache, CB_FREE) != NULL && cb_room(cache, CB_ALLOC) &&
                    cb_cnt(cache, CB_ALLOC) < cb_cnt(cache, CB_FREE)) {
                        cb_swap(cache);
                        continue;
                }
                if ((b = cb_unload(cache, w)) != NULL) {
                        lz->cpu_free[cpu] -= b->ub_cnt;
#if SIM_ERA >= 13
                        if (w == CB_CROSS) {
                                lz->cpu_cross[cpu] -= b->ub_cnt;
                                /* cross-domain frees are counted when the bucket is sorted */
                                counter_u64_add(zone->uz_xdomain, b->ub_cnt);
                                lz->zl_xdomain[cpu] += b->ub_cnt;
                                zone_free_cross(zone, lz, b, cookie);
                                bucket_free(b, cookie);
                                b = NULL;
                        } else
#endif
                        if (b->ub_cnt > 0)
                                zone_put_bucket(zone, lz, d, b);
                        else {
#if SIM_ERA <= 9
                                LIST_INSERT_HEAD(&zone->uz_free_bucket, b, ub_link);
#else
                                bucket_free(b, cookie);
#endif
                        }
                }
                /* an empty bucket to free into */
                b = NULL;
#if SIM_ERA <= 9
                if ((b = LIST_FIRST(&zone->uz_free_bucket)) != NULL)
                        LIST_REMOVE(b, ub_link);
#endif
                if (b == NULL)
                        b = bucket_alloc(zone, &cookie);
                if (b != NULL) {
                        cb_load(cache, w, b);
                        continue;
                }
                zone_free_item(zone, item);
                return;
        }
}

void *
uma_zalloc_arg(uma_zone_t zone, void *udata, int flags)
{
        (void)udata;
        return (zalloc_internal(zone, 0, flags));
}

void
uma_zfree_arg(uma_zone_t zone, void *item, void *udata)
{
        (void)udata;
        zfree_internal(zone, item, 0);
}

#if SIM_ERA >= 12
/* Per-CPU items: every CPU's copy is zeroed for M_ZERO; 13+ amd64 returns an offset. */
void *
uma_zalloc_pcpu_arg(uma_zone_t zone, void *udata, int flags)
{
        void *item;
        u_int i;

        item = uma_zalloc_arg(zone, udata, flags & ~M_ZERO);
        if (item == NULL)
                return (NULL);
        item = zpcpu_base_to_offset(item);
        if (flags & M_ZERO)
                for (i = 0; i <= mp_maxid; i++)
                        memset(zpcpu_get_cpu(item, i), 0, zone_size(zone));
        return (item);
}

void
uma_zfree_pcpu_arg(uma_zone_t zone, void *item, void *udata)
{
        if (item == NULL)
                return;
        uma_zfree_arg(zone, zpcpu_offset_to_base(item), udata);
}
#endif

/* ---- keg and zone construction -------------------------------------------------------------- */

static const char *
keg_name_of(uma_keg_t keg)
{
#if SIM_ERA <= 7
        return (LIST_FIRST(&keg->uk_zones) ? LIST_FIRST(&keg->uk_zones)->uz_name : "?");
#else
        return (keg->uk_name);
#endif
}

/* Size of the in-page slab header for `ipers` items. */
static size_t
slab_hdr_size(int ipers)
{
#if SIM_ERA <= 9
        return (sizeof(struct uma_slab) + UMA_FRITM_SZ * (size_t)(ipers > 0 ? ipers - 1 : 0));
#elif SIM_ERA <= 12
        (void)ipers;
        return (sizeof(struct uma_slab));
#else
        return (roundup(sizeof(struct uma_slab) + BITSET_SIZE(ipers) * SLAB_BITSETS,
            sizeof(void *)));
#endif
}

/* Most items a slab header can track. */
static int
slab_max_ipers(void)
{
#if SIM_ERA <= 9
        return (255);                   /* u_int8_t free list */
#elif SIM_ERA <= 12
        return (SLAB_SETSIZE);
#else
        return (SLAB_MAX_SETSIZE);
#endif
}

/*
 * Lay out the keg's slabs (keg_small_init / keg_large_init of the era, simplified): items per
 * page with the header in the page, or the header off the page (from the slab zone) when
 * that wastes less than 10%; items larger than a page take whole pages each.
 */
static void
keg_layout(uma_keg_t keg, size_t size, int align)
{
        uint32_t rsize = size, ipers, ppera = 1, pgoff = 0, flags = keg->uk_flags;
        uint32_t minsize = PAGE_SIZE / (uint32_t)slab_max_ipers();

        if (align == UMA_ALIGN_CACHE)
                align = CACHE_LINE_SIZE - 1;
        keg->uk_align = align;
        if (rsize & align)
                rsize = (rsize & ~align) + (align + 1);
        if (rsize < minsize && SIM_ERA >= 10)
                rsize = minsize;
        if (rsize < UMA_SMALLEST_UNIT)
                rsize = UMA_SMALLEST_UNIT;

        if (flags & KF_PCPU) {
                /* one page per possible CPU; the header lives off the page */
                ppera = mp_maxid + 1;
                ipers = MIN(PAGE_SIZE / rsize, (uint32_t)slab_max_ipers());
                flags |= KF_OFFPAGE | KF_VTOSLAB;
        } else if (rsize + slab_hdr_size(1) <= PAGE_SIZE) {
                uint32_t waste;

                ipers = 0;
                while (ipers < (uint32_t)slab_max_ipers() &&
                    (ipers + 1) * rsize + slab_hdr_size(ipers + 1) <= PAGE_SIZE)
                        ipers++;
                waste = PAGE_SIZE - ipers * rsize - slab_hdr_size(ipers);
                pgoff = PAGE_SIZE - slab_hdr_size(ipers);
                if ((flags & UMA_ZFLAG_INTERNAL) == 0 && waste >= UMA_MAX_WASTE_BYTES(PAGE_SIZE) &&
                    MIN(PAGE_SIZE / rsize, (uint32_t)slab_max_ipers()) > ipers) {
                        ipers = MIN(PAGE_SIZE / rsize, (uint32_t)slab_max_ipers());
                        pgoff = 0;
                        flags |= KF_OFFPAGE;
                }
        } else {
                /* large items: one per slab of whole pages */
                ppera = howmany(rsize, PAGE_SIZE);
                ipers = 1;
                if (SIM_ERA >= 10 || (flags & UMA_ZFLAG_INTERNAL)) {
                        if (ppera * PAGE_SIZE - rsize < slab_hdr_size(1)) {
                                if (flags & UMA_ZFLAG_INTERNAL)
                                        ppera++;
                                else
                                        flags |= KF_OFFPAGE;
                        }
                        if ((flags & KF_OFFPAGE) == 0)
                                pgoff = ppera * PAGE_SIZE - slab_hdr_size(1);
                } else
                        flags |= KF_OFFPAGE;
        }
#if SIM_ERA >= 13
        /* 13+: every slab is found through its pages */
        flags |= UMA_ZFLAG_VTOSLAB;
#else
        /* off-page headers are found by hash unless the pages point at them */
        if ((flags & KF_OFFPAGE) && (flags & (UMA_ZONE_MALLOC | KF_VTOSLAB)) == 0)
                flags |= KF_HASH;
#endif
        keg->uk_rsize = rsize;
        keg->uk_ppera = ppera;
        keg->uk_ipers = ipers;
        keg->uk_pgoff = pgoff;
        keg->uk_flags = flags;
}

struct uma_kctor_args {
        const char      *name;
        size_t          size;
        uma_init        uminit;
        uma_fini        fini;
        int             align;
        uint32_t        flags;
};

static void
keg_ctor(uma_keg_t keg, struct uma_kctor_args *a)
{
        int i;

        (void)i;
        keg->uk_size = a->size;
        keg->uk_init = a->uminit;
        keg->uk_fini = a->fini;
        keg->uk_flags = a->flags;
#if SIM_ERA >= 8
        keg->uk_name = a->name;
#endif
#if SIM_ERA >= 13
        if ((keg->uk_flags & (UMA_ZONE_FIRSTTOUCH | UMA_ZONE_ROUNDROBIN)) == 0)
                keg->uk_flags |= UMA_ZONE_FIRSTTOUCH;
#endif
        keg_layout(keg, a->size, a->align);
        LIST_INIT(&keg->uk_zones);
#if SIM_ERA >= 12
        for (i = 0; i < vm_ndomains; i++) {
                LIST_INIT(&keg->uk_domain[i].ud_part_slab);
                LIST_INIT(&keg->uk_domain[i].ud_free_slab);
                LIST_INIT(&keg->uk_domain[i].ud_full_slab);
#if SIM_ERA >= 13
                SIM_MTX_NAME(&keg->uk_domain[i].ud_lock) = a->name;
#endif
        }
#else
        LIST_INIT(&keg->uk_part_slab);
        LIST_INIT(&keg->uk_free_slab);
        LIST_INIT(&keg->uk_full_slab);
#endif
#if SIM_ERA <= 12
        SIM_MTX_NAME(&keg->uk_lock) = a->name;
        if (keg->uk_flags & KF_OFFPAGE)
                keg->uk_slabzone = slabzone;
        /* off-page kegs found by hash get the first hash table from "UMA Hash" */
        if ((keg->uk_flags & KF_HASH) && hashzone != NULL) {
                keg->uk_hash.uh_slab_hash = zone_alloc_item(hashzone, M_WAITOK | M_ZERO);
                keg->uk_hash.uh_hashsize = UMA_HASH_SIZE_INIT;
                keg->uk_hash.uh_hashmask = UMA_HASH_SIZE_INIT - 1;
        }
#endif
        LIST_INSERT_HEAD(&uma_kegs, keg, uk_link);

        lk_new(keg, a->name);
}

struct uma_zctor_args {
        const char      *name;
        size_t          size;
        uma_ctor        ctor;
        uma_dtor        dtor;
        uma_init        uminit;
        uma_fini        fini;
        uma_import      import;
        uma_release     release;
        void            *arg;
        uma_keg_t       keg;            /* secondary zones: the primary's keg */
        uma_keg_t       kegmem;         /* bootstrap: preallocated keg */
        int             align;
        uint32_t        flags;
};

#if SIM_ERA >= 13
static void zone_alloc_counters(uma_zone_t zone, struct lzone *lz);
#endif

/* Build a zone in `zone` (already zeroed), with its keg unless cache-only or secondary. */
static void
zone_ctor(uma_zone_t zone, struct uma_zctor_args *a)
{
        struct lzone *lz;
        uma_keg_t keg = NULL;
        u_int cpu;

        (void)cpu;
#if SIM_ERA <= 7
        zone->uz_name = (char *)a->name;
#else
        zone->uz_name = a->name;
#endif
        zone->uz_ctor = a->ctor;
        zone->uz_dtor = a->dtor;
        lz = lz_new(zone, a->name);
        lz->size = a->size;
#if SIM_ERA == 12
        /*
         * 12.x places the zone domains at &uz_cpu[mp_ncpus].  With sparse CPU ids that would
         * overlap the caches of the highest CPUs, so the simulator then uses mp_maxid + 1.
         */
        zone->uz_domain = (struct uma_zone_domain *)&zone->uz_cpu[
            (u_int)mp_ncpus == mp_maxid + 1 ? (u_int)mp_ncpus : mp_maxid + 1];
#endif
#if SIM_ERA >= 13
        {
                int i;

                for (i = 0; i < vm_ndomains; i++) {
                        STAILQ_INIT(&ZDOM_GET(zone, i)->uzd_buckets);
                        ZDOM_GET(zone, i)->uzd_lock.lock_object.lo_name = a->name;
                }
                zone->uz_cross_lock.lock_object.lo_name = "UMA Cross";
                zone->uz_bucket_size_max = BUCKET_MAX;
                zone->uz_bucket_max = UINT64_MAX;
                zone->uz_allocs = zone->uz_frees = zone->uz_fails = zone->uz_xdomain = EARLY_COUNTER;
        }
#endif
#if SIM_ERA >= 10
        if (a->import != NULL) {
                /* cache-only zone: items come from the import function */
                zone->uz_flags = a->flags;
                zone->uz_size = a->size;
                zone->uz_import = a->import;
                zone->uz_release = a->release;
                zone->uz_arg = a->arg;
#if SIM_ERA <= 11
                zone->uz_lockptr = &zone->uz_lock;
#elif SIM_ERA == 12
                zone->uz_lockptr = &zone->uz_lock;
#endif
#if SIM_ERA >= 13
                zone->uz_flags |= UMA_ZFLAG_CACHE;
#endif
                LIST_INSERT_HEAD(&uma_cachezones, zone, uz_link);
                lz->lk = NULL;
                lz_add_cache(lz);
                sim_items_zone(zone, a->name, NULL, &zone->uz_cpu[0], sizeof(struct uma_cache),
                    mp_maxid + 1);
                goto out;
        }
#endif
        if (a->keg != NULL) {
                /* secondary zone on the primary's keg, after the keg's other zones */
                uma_zone_t z;

                keg = a->keg;
#if SIM_ERA <= 7
                keg->uk_flags |= UMA_ZONE_SECONDARY;
#else
                zone->uz_flags |= UMA_ZONE_SECONDARY;
#endif
                LIST_FOREACH(z, &keg->uk_zones, uz_link)
                        if (LIST_NEXT(z, uz_link) == NULL) {
                                LIST_INSERT_AFTER(z, zone, uz_link);
                                break;
                        }
        } else {
                struct uma_kctor_args ka;

                ka.name = a->name;
                ka.size = a->size;
                ka.uminit = a->uminit;
                ka.fini = a->fini;
                ka.align = a->align;
                ka.flags = a->flags;
                keg = a->kegmem;
                if (keg == NULL)
                        keg = zone_alloc_item(kegs, M_WAITOK | M_ZERO);
                if (keg == NULL)
                        uma_panic("no memory for a keg", a->name);
                keg_ctor(keg, &ka);
                LIST_INSERT_HEAD(&keg->uk_zones, zone, uz_link);
        }
        lz->lk = lk_find(keg);
        sim_items_zone(zone, a->name, keg, &zone->uz_cpu[0], sizeof(struct uma_cache),
            mp_maxid + 1);
        lz->lk->zones[lz->lk->nzones++] = lz;
        if (a->keg != NULL)
                lz->lk->secondary = 1;
        lz->lk->flags = keg->uk_flags;
        if (keg->uk_flags & UMA_ZFLAG_INTERNAL)
                lz->nocache = 1;
        if (keg->uk_flags & ZF_BUCKET)
                lz->bucketzone = 1;

#if SIM_ERA <= 7
        zone->uz_keg = keg;
        zone->uz_lock = &keg->uk_lock;
#elif SIM_ERA <= 12
        zone->uz_klink.kl_keg = keg;
        LIST_INSERT_HEAD(&zone->uz_kegs, &zone->uz_klink, kl_link);
        zone->uz_flags |= keg->uk_flags & (UMA_ZFLAG_INTERNAL | UMA_ZFLAG_CACHEONLY | ZF_BUCKET);
        zone->uz_flags |= keg->uk_flags & ~(UMA_ZONE_SECONDARY);
        zone->uz_size = keg->uk_size;
#if SIM_ERA <= 9
        zone->uz_lock = &keg->uk_lock;
#elif SIM_ERA <= 11
        zone->uz_lockptr = (struct mtx_padalign *)&keg->uk_lock;
#else
        zone->uz_lockptr = &keg->uk_lock;
#endif
#else
        zone->uz_keg = keg;
        zone->uz_flags |= keg->uk_flags;
        zone->uz_size = keg->uk_size;
#endif
        zone->uz_init = a->uminit;
        zone->uz_fini = a->fini;

#if SIM_ERA >= 10
out:
#endif
        /* items per bucket */
#if SIM_ERA <= 9
        if (keg->uk_flags & UMA_ZONE_MAXBUCKET)
                zone->uz_count = BUCKET_MAX;
        else if (keg->uk_ipers <= BUCKET_MAX)
                zone->uz_count = keg->uk_ipers;
        else
                zone->uz_count = BUCKET_MAX;
#elif SIM_ERA <= 12
        zone->uz_count = bucket_select(zone->uz_size);
        zone->uz_count_min = zone->uz_count;
#else
        zone->uz_bucket_size = bucket_select(zone->uz_size);
        zone->uz_bucket_size_min = zone->uz_bucket_size;
        /* 13+ keeps the zone's flags and size in spare bits of each CPU's cache */
        for (cpu = 0; cpu <= mp_maxid; cpu++) {
                zone->uz_cpu[cpu].uc_freebucket.ucb_spare = zone->uz_flags;
                zone->uz_cpu[cpu].uc_allocbucket.ucb_spare = zone->uz_size;
        }
#endif
#if SIM_ERA >= 13
        if (uma_booted >= 2)
                zone_alloc_counters(zone, lz);
#endif
}

#if SIM_ERA >= 13
/*
 * 13+: give the zone its counter(9) statistics.  Zones built before the per-CPU zones existed
 * used EARLY_COUNTER; the kernel loses those early counts, the simulator carries them over
 * (from its ledger) so that zone counters and the ledger agree from the start.
 */
static void
zone_alloc_counters(uma_zone_t zone, struct lzone *lz)
{
        u_int i;

        zone->uz_allocs = counter_u64_alloc(M_WAITOK);
        zone->uz_frees = counter_u64_alloc(M_WAITOK);
        zone->uz_fails = counter_u64_alloc(M_WAITOK);
        zone->uz_xdomain = counter_u64_alloc(M_WAITOK);
        if (!zone->uz_allocs || !zone->uz_frees || !zone->uz_fails || !zone->uz_xdomain)
                uma_panic("no memory for zone counters", lz->name);
        for (i = 0; i <= mp_maxid; i++) {
                *(uint64_t *)zpcpu_get_cpu(zone->uz_allocs, i) = lz->zl_allocs[i];
                *(uint64_t *)zpcpu_get_cpu(zone->uz_frees, i) = lz->zl_frees[i];
                *(uint64_t *)zpcpu_get_cpu(zone->uz_fails, i) = lz->zl_fails[i];
                *(uint64_t *)zpcpu_get_cpu(zone->uz_xdomain, i) = lz->zl_xdomain[i];
        }
}
#endif

/* Size of a zone structure with its per-CPU caches (and 12+ its domains). */
static size_t
zone_struct_size(void)
{
#if SIM_ERA <= 11
        return (sizeof(struct uma_zone) + sizeof(struct uma_cache) * mp_maxid);
#elif SIM_ERA == 12
        return (sizeof(struct uma_zone) + sizeof(struct uma_cache) * (mp_maxid + 1) +
            sizeof(struct uma_zone_domain) * vm_ndomains);
#else
        return (roundup(sizeof(struct uma_zone) + sizeof(struct uma_cache) * (mp_maxid + 1) +
            sizeof(struct uma_zone_domain) * vm_ndomains, UMA_SUPER_ALIGN));
#endif
}

static size_t
keg_struct_size(void)
{
#if SIM_ERA <= 11
        return (sizeof(struct uma_keg));
#elif SIM_ERA == 12
        return (sizeof(struct uma_keg) + sizeof(struct uma_domain) * vm_ndomains);
#else
        return (roundup(sizeof(struct uma_keg) + sizeof(struct uma_domain) * vm_ndomains,
            UMA_SUPER_ALIGN));
#endif
}

/* alignment of the structure zones (the zone/keg types' own alignment) */
static int
struct_align(size_t a)
{
        return ((int)a - 1);
}

static uma_zone_t
zone_create(struct uma_zctor_args *a)
{
        uma_zone_t zone;

        sim_uma_startup();
        zone = zone_alloc_item(zones, M_WAITOK | M_ZERO);
        if (zone == NULL)
                uma_panic("no memory for a zone", a->name);
        zone_ctor(zone, a);
        return (zone);
}

uma_zone_t
uma_zcreate(const char *name, size_t size, uma_ctor ctor, uma_dtor dtor,
    uma_init uminit, uma_fini fini, int align, uint32_t flags)
{
        struct uma_zctor_args a;

        memset(&a, 0, sizeof(a));
        a.name = name;
        a.size = size;
        a.ctor = ctor;
        a.dtor = dtor;
        a.uminit = uminit;
        a.fini = fini;
        a.align = align;
        a.flags = flags;
        return (zone_create(&a));
}

uma_zone_t
uma_zsecond_create(const char *name, uma_ctor ctor, uma_dtor dtor,
    uma_init zinit, uma_fini zfini, uma_zone_t primary)
{
        struct uma_zctor_args a;
        uma_keg_t keg = zone_keg(primary);

        memset(&a, 0, sizeof(a));
        a.name = name;
        a.size = keg->uk_size;
        a.ctor = ctor;
        a.dtor = dtor;
        a.uminit = zinit;
        a.fini = zfini;
        a.align = keg->uk_align;
        a.flags = keg->uk_flags | UMA_ZONE_SECONDARY;
        a.keg = keg;
        return (zone_create(&a));
}

#if SIM_ERA >= 10
uma_zone_t
uma_zcache_create(const char *name, int size, uma_ctor ctor, uma_dtor dtor,
    uma_init zinit, uma_fini zfini, uma_import zimport, uma_release zrelease,
    void *arg, int flags)
{
        struct uma_zctor_args a;

        memset(&a, 0, sizeof(a));
        a.name = name;
        a.size = size;
        a.ctor = ctor;
        a.dtor = dtor;
        a.uminit = zinit;
        a.fini = zfini;
        a.import = zimport;
        a.release = zrelease;
        a.arg = arg;
        a.flags = flags;
        return (zone_create(&a));
}
#endif

int
uma_zone_set_max(uma_zone_t zone, int nitems)
{
        struct lzone *lz = lz_find(zone);
#if SIM_ERA <= 12
        /* whole slabs: enough pages for nitems, rounded up to a slab */
        uma_keg_t keg = zone_keg(zone);

        if (keg == NULL)
                return (0);
        keg->uk_maxpages = (nitems / keg->uk_ipers) * keg->uk_ppera;
        if (keg->uk_maxpages * keg->uk_ipers < (uint32_t)nitems)
                keg->uk_maxpages += keg->uk_ppera;
        lz->lk->maxpages = keg->uk_maxpages;
        return ((keg->uk_maxpages / keg->uk_ppera) * keg->uk_ipers);
#else
        /* 13+: an item count, items outside the keg count against it */
        zone->uz_max_items = nitems;
        zone->uz_flags |= UMA_ZFLAG_LIMIT;
        lz->max_items = nitems;
        {
                uint64_t out = lz->used + lz->zone_free + lz->cross_free;
                u_int i;

                for (i = 0; i <= mp_maxid; i++)
                        out += lz->cpu_free[i];
                lz->items_out = out;
                zone->uz_items = out;
        }
        return (nitems);
#endif
}

int
uma_zone_get_max(uma_zone_t zone)
{
#if SIM_ERA <= 12
        uma_keg_t keg = zone_keg(zone);

        return (keg ? (keg->uk_maxpages / keg->uk_ppera) * keg->uk_ipers : 0);
#else
        return ((int)zone->uz_max_items);
#endif
}

const char *
uma_zone_name(uma_zone_t zone)
{
        return (zone->uz_name);
}

int
uma_zone_size(uma_zone_t zone)
{
        return ((int)zone_size(zone));
}

/* ---- large allocations ---------------------------------------------------------------------- */

void *
uma_large_malloc(vm_size_t size, int wait)
{
        size_t npages = howmany(size, PAGE_SIZE);
        void *mem;

        (void)wait;
        sim_uma_startup();
        mem = sim_page_alloc(npages);
        if (mem == NULL)
                return (NULL);
#if SIM_ERA <= 12
        {
                /* <= 12: a slab header from "UMA Slabs" records the size */
                uma_slab_t slab = zone_alloc_item(slabzone, M_NOWAIT);

                if (slab == NULL) {
                        sim_page_free(mem, npages);
                        return (NULL);
                }
                slab->us_data = mem;
                slab->us_flags = UMA_SLAB_KERNEL | UMA_SLAB_MALLOC;
                slab->us_size = npages * PAGE_SIZE;
                sim_page_set_slab(mem, npages, NULL, slab);
                sim_items_large(mem, npages * PAGE_SIZE, slab);
        }
#if SIM_ERA >= 12
        uma_kmem_total += npages * PAGE_SIZE;
#endif
#else
        /* 13+: the page records the size itself (odd value: not a slab pointer) */
        sim_page_set_slab(mem, npages, NULL, (void *)(((uintptr_t)npages * PAGE_SIZE << 1) | 1));
        sim_items_large(mem, npages * PAGE_SIZE, NULL);
        uma_kmem_total += npages * PAGE_SIZE;
#endif
        return (mem);
}

vm_size_t
uma_large_size(void *mem)
{
        void *z, *slab;

        sim_page_get_slab(mem, &z, &slab);
        if (z != NULL || slab == NULL)
                return (0);
#if SIM_ERA <= 12
        return (((uma_slab_t)slab)->us_size);
#else
        return ((uintptr_t)slab >> 1);
#endif
}

void
uma_large_free(void *mem)
{
        vm_size_t size = uma_large_size(mem);
        void *z, *slab;

        if (size == 0)
                uma_panic("uma_large_free of a non-large allocation", NULL);
        sim_page_get_slab(mem, &z, &slab);
#if SIM_ERA <= 12
        zone_free_item(slabzone, slab);
#endif
#if SIM_ERA >= 12
        uma_kmem_total -= size;
#endif
        sim_page_free(mem, size / PAGE_SIZE);
        sim_items_large_gone(mem);
}

uma_zone_t
uma_sim_item_zone(void *mem)
{
        void *z, *slab;

        sim_page_get_slab(mem, &z, &slab);
        return (z);
}

/* ---- boot ---------------------------------------------------------------------------------------- */

static void
bucket_init(void)
{
        struct uma_bucket_zone *ubz;

        for (ubz = &bucket_zones[0]; ubz->ubz_entries != 0; ubz++) {
                size_t size = roundup(sizeof(struct uma_bucket), sizeof(void *)) +
                    sizeof(void *) * ubz->ubz_entries;
#if SIM_ERA <= 7
                ubz->ubz_zone = uma_zcreate(ubz->ubz_name, size, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
#elif SIM_ERA <= 9
                ubz->ubz_zone = uma_zcreate(ubz->ubz_name, size, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL | UMA_ZFLAG_BUCKET);
#elif SIM_ERA <= 11
                ubz->ubz_zone = uma_zcreate(ubz->ubz_name, size, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, UMA_ZONE_MTXCLASS | UMA_ZFLAG_BUCKET);
#elif SIM_ERA == 12
                ubz->ubz_zone = uma_zcreate(ubz->ubz_name, size, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, UMA_ZONE_MTXCLASS | UMA_ZFLAG_BUCKET | UMA_ZONE_NUMA);
#else
                ubz->ubz_zone = uma_zcreate(ubz->ubz_name, size, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, UMA_ZONE_MTXCLASS | UMA_ZFLAG_BUCKET | UMA_ZONE_FIRSTTOUCH);
#endif
        }
}

/*
 * uma_startup of the era: the zone of kegs and the zone of zones (static <= 11, boot pages
 * 12+), the slab header and hash zones, the bucket zones, and 12+ the per-CPU zones; 13+ then
 * gives every zone its counter(9) statistics.
 */
void
sim_uma_startup(void)
{
        struct uma_zctor_args a;
        uma_keg_t primarykeg;
        size_t zsize = 0, ksize = 0;

        if (uma_booted)
                return;
        uma_booted = 1;
        sim_cpus_ensure();
#if SIM_ERA >= 12
        /* the soft limit: all of the simulated kernel memory */
        uma_kmem_limit = (unsigned long)sim_pages_total() * PAGE_SIZE;
#endif
        zsize = zone_struct_size();
        ksize = keg_struct_size();
#if SIM_ERA <= 11
        primarykeg = &masterkeg;
#else
        {
                /* boot pages for the zone of zones, the zone of kegs and the first keg */
                size_t zs = roundup(zsize, CACHE_LINE_SIZE), ks = roundup(ksize, CACHE_LINE_SIZE);
                char *m = sim_page_alloc(howmany(zs * 2 + ks, PAGE_SIZE));

                if (m == NULL)
                        uma_panic("no boot pages", NULL);
                zones = (uma_zone_t)m;
                kegs = (uma_zone_t)(m + zs);
                primarykeg = (uma_keg_t)(m + 2 * zs);
        }
#endif
        /* the zone of kegs, on the static/boot keg */
        memset(&a, 0, sizeof(a));
        a.name = "UMA Kegs";
        a.size = ksize;
        a.align = struct_align(_Alignof(struct uma_keg));
        a.flags = UMA_ZFLAG_INTERNAL;
        a.kegmem = primarykeg;
        zone_ctor(kegs, &a);

        /* the zone of zones; its keg comes from the zone of kegs */
        memset(&a, 0, sizeof(a));
        a.name = "UMA Zones";
        a.size = zsize;
#if SIM_ERA == 12 && SIM_AMD64
        a.align = 128 - 1;              /* keep uz_cpu[] on its 128-byte alignment */
#else
        a.align = struct_align(_Alignof(struct uma_zone));
#endif
        a.flags = UMA_ZFLAG_INTERNAL;
        zone_ctor(zones, &a);

        /* slab headers for OFFPAGE kegs */
#if SIM_ERA <= 9
        {
                /* enough free-list bytes for the few items of an off-page slab */
                size_t slabsize = (UMA_SLAB_SIZE - sizeof(struct uma_slab)) / UMA_MAX_WASTE_BYTES(UMA_SLAB_SIZE) + 1 +
                    sizeof(struct uma_slab);
                size_t refsize = (UMA_SLAB_SIZE - sizeof(struct uma_slab_refcnt)) / UMA_MAX_WASTE_BYTES(UMA_SLAB_SIZE) *
                    UMA_FRITM_SZ + sizeof(struct uma_slab_refcnt);

                slabzone = uma_zcreate("UMA Slabs", slabsize, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
                slabrefzone = uma_zcreate("UMA RCntSlabs", refsize, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
        }
#elif SIM_ERA <= 12
        slabzone = uma_zcreate("UMA Slabs", sizeof(struct uma_slab), NULL, NULL, NULL, NULL,
            UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
#else
        slabzones[0] = uma_zcreate("UMA Slabs 0", SLABZONE_SIZE(SLABZONE0_SETSIZE), NULL, NULL,
            NULL, NULL, UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
        slabzones[1] = uma_zcreate("UMA Slabs 1", SLABZONE_SIZE(SLABZONE1_SETSIZE), NULL, NULL,
            NULL, NULL, UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
#endif
#if SIM_ERA <= 12
        hashzone = uma_zcreate("UMA Hash", sizeof(struct slabhead) * UMA_HASH_SIZE_INIT,
            NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
#else
        hashzone = uma_zcreate("UMA Hash", sizeof(struct slabhashhead) * UMA_HASH_SIZE_INIT,
            NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, UMA_ZFLAG_INTERNAL);
#endif
        bucket_init();
#if SIM_ERA >= 12
        pcpu_zones_startup();
#endif
#if SIM_ERA >= 13
        /* uma_startup3: counters for every zone built so far */
        {
                int i, n = 0;
                uma_zone_t zl[256];
                uma_keg_t keg;
                uma_zone_t z;

                LIST_FOREACH(keg, &uma_kegs, uk_link)
                        LIST_FOREACH(z, &keg->uk_zones, uz_link)
                                zl[n++] = z;
                uma_booted = 2;
                for (i = n - 1; i >= 0; i--)
                        zone_alloc_counters(zl[i], lz_find(zl[i]));
        }
#endif
        uma_booted = 2;
}

/* ---- upkeep ------------------------------------------------------------------------------------ */

/* Keep at most this many full buckets per domain cache; drain the rest to the keg. */
#define SIM_TRIM_KEEP   2

static void
zone_trim(struct lzone *lz)
{
        uma_zone_t z = lz->zone;
        int d, nd = 1;
        uma_bucket_t keep[SIM_TRIM_KEEP], b;

#if SIM_ERA >= 12
        nd = vm_ndomains;
#endif
        for (d = 0; d < nd; d++) {
                int n = 0, i;

                while ((b = zone_fetch_bucket(z, lz, d)) != NULL) {
                        if (n < SIM_TRIM_KEEP) {
                                keep[n++] = b;
                                continue;
                        }
                        bucket_drain(z, lz, b);
                        bucket_free(b, 0);
                }
                for (i = n - 1; i >= 0; i--)
                        zone_put_bucket(z, lz, d, keep[i]);
        }
#if SIM_ERA <= 9
        /* empty buckets beyond a couple go back to their bucket zone */
        {
                int n = 0;
                uma_bucket_t next;

                for (b = LIST_FIRST(&z->uz_free_bucket); b != NULL; b = next) {
                        next = LIST_NEXT(b, ub_link);
                        if (++n > SIM_TRIM_KEEP) {
                                LIST_REMOVE(b, ub_link);
                                bucket_free(b, 0);
                        }
                }
        }
#endif
}

void
sim_uma_tick(void)
{
        int k, i;
        struct lzone *lz;

        sim_uma_startup();
        /* bucket zones last: trimming other zones frees buckets into them */
        for (k = nlkegs - 1; k >= 0; k--)
                for (i = 0; i < lkegs[k]->nzones; i++)
                        if (!lkegs[k]->zones[i]->bucketzone)
                                zone_trim(lkegs[k]->zones[i]);
        for (lz = lcache_first; lz != NULL; lz = lz->next_cache)
                zone_trim(lz);
        for (k = nlkegs - 1; k >= 0; k--)
                for (i = 0; i < lkegs[k]->nzones; i++)
                        if (lkegs[k]->zones[i]->bucketzone)
                                zone_trim(lkegs[k]->zones[i]);
#if SIM_ERA == 12 || SIM_ERA >= 13
        /* working-set bookkeeping of each domain cache restarts every period */
        for (k = 0; k < nlkegs; k++)
                for (i = 0; i < lkegs[k]->nzones; i++) {
                        int d;

                        for (d = 0; d < vm_ndomains; d++) {
                                struct uma_zone_domain *zd = zdom_get(lkegs[k]->zones[i]->zone, d);

                                zd->uzd_wss = (zd->uzd_imax - zd->uzd_imin + zd->uzd_wss) / 2;
                                zd->uzd_imax = zd->uzd_imin = zd->uzd_nitems;
                        }
                }
#endif
}

/* ---- low memory: uma_reclaim -------------------------------------------------------------- */

/*
 * keg_free_slab: a wholly free slab goes back to the system -- its pages to the page arena
 * (zeroed: the kernel unmaps them, so a dump would not hold their old contents), its off-page
 * header to the slab zone -- and the keg's and the ledger's page, slab and free counts drop.
 */
static void
keg_free_slab(uma_keg_t keg, struct lkeg *lk, uma_slab_t slab)
{
        void *mem = slab_data(slab, keg);
        int d = slab_domain(slab);

        (void)d;
        if (slab->us_freecount != keg->uk_ipers)
                uma_panic("reclaiming a slab with items in use", keg_name_of(keg));
        LIST_REMOVE(slab, us_link);
#if SIM_ERA <= 12
        if ((keg->uk_flags & KF_HASH) && keg->uk_hash.uh_slab_hash != NULL) {
                struct slabhead *h = &keg->uk_hash.uh_slab_hash[((uintptr_t)mem >> UMA_SLAB_SHIFT) &
                    keg->uk_hash.uh_hashmask];
                uma_slab_t *pp;

                for (pp = &SLIST_FIRST(h); *pp != NULL; pp = &SLIST_NEXT(*pp, us_hlink))
                        if (*pp == slab) {
                                *pp = SLIST_NEXT(slab, us_hlink);
                                break;
                        }
        }
#endif
#if SIM_ERA >= 13
        keg->uk_domain[d].ud_pages -= keg->uk_ppera;
        keg->uk_domain[d].ud_free_slabs--;
        uma_kmem_total -= (unsigned long)keg->uk_ppera * PAGE_SIZE;
#else
        keg->uk_pages -= keg->uk_ppera;
#if SIM_ERA >= 12
        uma_kmem_total -= (unsigned long)keg->uk_ppera * PAGE_SIZE;
#endif
#endif
        keg_count_free(keg, d, -(int)keg->uk_ipers);
        lk->pages -= keg->uk_ppera;
        lk->slabs--;
        lk->carved -= keg->uk_ipers;
        lk->free_items -= keg->uk_ipers;
        if (keg->uk_flags & KF_OFFPAGE) {
#if SIM_ERA >= 13
                zone_free_item(keg_slabzone(keg),
                    (char *)slab - offsetof(struct uma_hash_slab, uhs_slab));
#else
                zone_free_item(keg_slabzone(keg), slab);
#endif
        }
        memset(mem, 0, (size_t)keg->uk_ppera * PAGE_SIZE);
        sim_page_free(mem, keg->uk_ppera);
        sim_items_slab_gone(slab);
}

/* keg_drain: every free slab of every domain (kegs marked NOFREE keep theirs). */
static void
keg_drain(struct lkeg *lk)
{
        uma_keg_t keg = lk->keg;
        uma_slab_t slab;
        int d, nd = 1;

        if (keg->uk_flags & UMA_ZONE_NOFREE)
                return;
#if SIM_ERA >= 12
        nd = vm_ndomains;
#endif
        for (d = 0; d < nd; d++)
                while ((slab = LIST_FIRST(KEG_FREE(keg, d))) != NULL)
                        keg_free_slab(keg, lk, slab);
}

/* bucket_cache_drain: every bucket of the zone's cache back to the keg, the buckets freed. */
static void
bucket_cache_drain(struct lzone *lz)
{
        uma_zone_t z = lz->zone;
        uma_bucket_t b;
        int d, nd = 1;

#if SIM_ERA >= 12
        nd = vm_ndomains;
#endif
        for (d = 0; d < nd; d++)
                while ((b = zone_fetch_bucket(z, lz, d)) != NULL) {
                        bucket_drain(z, lz, b);
                        bucket_free(b, 0);
                }
#if SIM_ERA <= 9
        /* and the empty buckets parked on the zone */
        while ((b = LIST_FIRST(&z->uz_free_bucket)) != NULL) {
                LIST_REMOVE(b, ub_link);
                bucket_free(b, 0);
        }
#endif
}

#if SIM_ERA >= 10
/*
 * cache_drain_safe (10+, when kmem is in danger): each CPU in turn moves its alloc and free
 * buckets to the zone's cache (empty ones are freed); 13+ sorts its cross bucket.
 */
static void
cache_drain_safe(struct lzone *lz)
{
        uma_zone_t z = lz->zone;
        int ids[MAXCPU], n, i, w, d;

        if (zone_nocache(lz) || (zone_flags(z) & UMA_ZFLAG_INTERNAL))
                return;
        n = sim_cpu_list(ids, MAXCPU);
        for (i = 0; i < n; i++) {
                int cpu = ids[i];
                uma_cache_t c = &z->uz_cpu[cpu];

                sim_set_cpu(cpu);
                d = zone_domain(z, cpu);
                for (w = CB_ALLOC; w <= (SIM_ERA >= 13 ? CB_CROSS : CB_FREE); w++) {
                        uma_bucket_t b = cb_unload(c, w);

                        if (b == NULL)
                                continue;
                        lz->cpu_free[cpu] -= b->ub_cnt;
#if SIM_ERA >= 13
                        if (w == CB_CROSS) {
                                lz->cpu_cross[cpu] -= b->ub_cnt;
                                counter_u64_add(z->uz_xdomain, b->ub_cnt);
                                lz->zl_xdomain[cpu] += b->ub_cnt;
                                zone_free_cross(z, lz, b, 0);
                                bucket_free(b, 0);
                                continue;
                        }
#endif
                        if (b->ub_cnt > 0)
                                zone_put_bucket(z, lz, d, b);
                        else
                                bucket_free(b, 0);
                }
        }
}
#endif

/*
 * uma_reclaim of the era, as the low-memory handler runs it when kmem runs out: (10+: every
 * CPU's caches to the zones first,) every zone's bucket cache back to its keg, then every keg's
 * free slabs back to the system; bucket zones come last (draining the others frees buckets
 * into them), then the slab header zones a second time.  The bucket zones are left with the
 * slabs that still hold buckets in use: the next frees that need a bucket must get a new slab.
 */
void
sim_uma_reclaim(void)
{
        struct lzone *lz;
        int k, i, pass, cpu;

        sim_uma_startup();
        cpu = curcpu;
        (void)cpu;
#if SIM_ERA >= 10
        for (pass = 0; pass < 2; pass++) {
                for (k = nlkegs - 1; k >= 0; k--)
                        for (i = 0; i < lkegs[k]->nzones; i++)
                                if (lkegs[k]->zones[i]->bucketzone == pass)
                                        cache_drain_safe(lkegs[k]->zones[i]);
                if (pass == 0)
                        for (lz = lcache_first; lz != NULL; lz = lz->next_cache)
                                cache_drain_safe(lz);
        }
        sim_set_cpu(cpu);
#endif
        for (pass = 0; pass < 2; pass++) {
                for (k = nlkegs - 1; k >= 0; k--)
                        for (i = 0; i < lkegs[k]->nzones; i++)
                                if (lkegs[k]->zones[i]->bucketzone == pass)
                                        bucket_cache_drain(lkegs[k]->zones[i]);
                if (pass == 0)
                        for (lz = lcache_first; lz != NULL; lz = lz->next_cache)
                                bucket_cache_drain(lz);
        }
        for (pass = 0; pass < 2; pass++) {
                for (k = nlkegs - 1; k >= 0; k--)
                        if (lkegs[k]->zones[0]->bucketzone == pass)
                                keg_drain(lkegs[k]);
        }
        /* off-page headers freed above may have emptied slabs of the slab zones */
        for (k = nlkegs - 1; k >= 0; k--)
                if (lkegs[k]->flags & UMA_ZFLAG_INTERNAL)
                        keg_drain(lkegs[k]);
}
