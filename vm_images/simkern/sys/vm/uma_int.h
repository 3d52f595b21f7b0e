/*
 * UMA's private structures: kegs, zones, per-CPU caches, buckets, slabs and the NUMA domain
 * structures, declared per era with the member names, C types, order and alignment of the
 * era's FreeBSD sys/vm/uma_int.h (the debugger plugins probe members to tell eras apart).
 *
 *   SIM_ERA 6       6.x/7.x   uma_int.h 6.x:  keg first member uk_link, uz_keg, uz_full_bucket
 *   SIM_ERA 9       9.x       uma_int.h 8.3/9.x: klinks, uz_full_bucket, uz_sleeps, u_int64_t
 *   SIM_ERA 11      10.x/11.x uma_int.h 10.4/11: uz_buckets, uz_lockptr, volatile u_long
 *   SIM_ERA 12      12.x      uma_int.h 12.0/12.1: uz_domain pointer, uk_domain[] slab lists
 *   SIM_ERA 13, 14  13.x/14.x uma_int.h 13/14: cache buckets, counter(9), ZDOM_GET, no klinks
 */
#ifndef VM_UMA_INT_H
#define VM_UMA_INT_H

#include <sys/_sim_kern.h>
#include <sys/queue.h>
#include <sys/_mutex.h>
#include <sys/_task.h>
#include <sys/_bitset.h>
#include <sys/time.h>
#include <sys/counter.h>
#include <vm/uma.h>

#define UMA_SLAB_SIZE   PAGE_SIZE
#define UMA_SLAB_MASK   (PAGE_SIZE - 1)
#define UMA_SLAB_SHIFT  PAGE_SHIFT
#define UMA_HASH_SIZE_INIT 32

/* ---- internal zone flags ------------------------------------------------------------- */
#if SIM_ERA <= 7
/* uma_int.h 6.x */
#define UMA_ZFLAG_PRIVALLOC     0x10000000
#define UMA_ZFLAG_INTERNAL      0x20000000
#define UMA_ZFLAG_FULL          0x40000000
#define UMA_ZFLAG_CACHEONLY     0x80000000
#elif SIM_ERA <= 9
/* uma_int.h 8.x/9.x */
#define UMA_ZFLAG_BUCKET        0x02000000
#define UMA_ZFLAG_MULTI         0x04000000
#define UMA_ZFLAG_DRAINING      0x08000000
#define UMA_ZFLAG_PRIVALLOC     0x10000000
#define UMA_ZFLAG_INTERNAL      0x20000000
#define UMA_ZFLAG_FULL          0x40000000
#define UMA_ZFLAG_CACHEONLY     0x80000000
#elif SIM_ERA <= 12
/* uma_int.h 10.x-12.x */
#define UMA_ZFLAG_MULTI         0x04000000
#define UMA_ZFLAG_DRAINING      0x08000000
#define UMA_ZFLAG_BUCKET        0x10000000
#define UMA_ZFLAG_INTERNAL      0x20000000
#define UMA_ZFLAG_FULL          0x40000000
#define UMA_ZFLAG_CACHEONLY     0x80000000
#else
/* uma_int.h 13.x/14.x: slab format bits moved here from uma.h */
#define UMA_ZFLAG_OFFPAGE       0x00200000
#define UMA_ZFLAG_HASH          0x00400000
#define UMA_ZFLAG_VTOSLAB       0x00800000
#define UMA_ZFLAG_CTORDTOR      0x01000000
#define UMA_ZFLAG_LIMIT         0x02000000
#define UMA_ZFLAG_CACHE         0x04000000
#define UMA_ZFLAG_BUCKET        0x10000000
#define UMA_ZFLAG_INTERNAL      0x20000000
#define UMA_ZFLAG_TRASH         0x40000000
#endif

/* Slab flags (us_flags), uma.h */
#define UMA_SLAB_BOOT           0x01
#define UMA_SLAB_KERNEL         0x04
#define UMA_SLAB_PRIV           0x08
#define UMA_SLAB_MALLOC         0x10

/* ---- per-CPU cache alignment ---------------------------------------------------------- */
#if SIM_ERA >= 13
/* 13+: twice the cache line on amd64 ("UMA_SUPER_ALIGN"), one line elsewhere */
#if SIM_AMD64
#define UMA_SUPER_ALIGN (CACHE_LINE_SIZE * 2)
#else
#define UMA_SUPER_ALIGN CACHE_LINE_SIZE
#endif
#define UMA_ALIGN       __aligned(UMA_SUPER_ALIGN)
#elif SIM_ERA == 12
/* 12.x: 128 bytes on amd64 only */
#if SIM_AMD64
#define UMA_ALIGN       __aligned(128)
#else
#define UMA_ALIGN
#endif
#elif SIM_ERA >= 10
/* 10.x/11.x: one cache line on amd64 only */
#if SIM_AMD64
#define UMA_ALIGN       __aligned(CACHE_LINE_SIZE)
#else
#define UMA_ALIGN
#endif
#else
/* 6.x-9.x: no alignment */
#define UMA_ALIGN
#endif

struct uma_keg;
typedef struct uma_keg *uma_keg_t;
struct uma_slab;
typedef struct uma_slab *uma_slab_t;

/* ---- hash of off-page slabs ------------------------------------------------------------ */
#if SIM_ERA >= 13
/* uma_int.h 13/14 */
struct uma_hash_slab;
LIST_HEAD(slabhashhead, uma_hash_slab);
struct uma_hash {
        struct slabhashhead *uh_slab_hash;      /* buckets of the hash */
        u_int           uh_hashsize;            /* number of buckets */
        u_int           uh_hashmask;            /* size - 1 */
};
#else
/* uma_int.h 6.x-12.x */
SLIST_HEAD(slabhead, uma_slab);
struct uma_hash {
        struct slabhead *uh_slab_hash;          /* buckets of the hash */
        int             uh_hashsize;            /* number of buckets */
        int             uh_hashmask;            /* size - 1 */
};
#endif

/* ---- buckets and per-CPU caches ---------------------------------------------------------- */
#if SIM_ERA >= 13
typedef uint32_t smr_seq_t;                     /* <sys/_smr.h> */
typedef struct smr *smr_t;

/* uma_int.h 13/14: buckets queue on STAILQs and carry an SMR sequence */
struct uma_bucket {
        STAILQ_ENTRY(uma_bucket) ub_link;       /* zone / domain queue linkage */
        int16_t         ub_cnt;                 /* items held */
        int16_t         ub_entries;             /* capacity */
        smr_seq_t       ub_seq;                 /* SMR sequence at fill time */
        void            *ub_bucket[];           /* the items */
};
typedef struct uma_bucket *uma_bucket_t;

/* uma_int.h 13/14: a per-CPU bucket slot that mirrors the bucket's count inline */
struct uma_cache_bucket {
        uma_bucket_t    ucb_bucket;
        int16_t         ucb_cnt;
        int16_t         ucb_entries;
        uint32_t        ucb_spare;
};
typedef struct uma_cache_bucket *uma_cache_bucket_t;

/* uma_int.h 13/14 */
struct uma_cache {
        struct uma_cache_bucket uc_freebucket;  /* frees go here */
        struct uma_cache_bucket uc_allocbucket; /* allocations come from here */
        struct uma_cache_bucket uc_crossbucket; /* frees of other domains' items */
        uint64_t        uc_allocs;              /* allocations served by this cache */
        uint64_t        uc_frees;               /* frees absorbed by this cache */
} UMA_ALIGN;
#else
/* uma_int.h 6.x-12.x: LIST-linked buckets */
struct uma_bucket {
        LIST_ENTRY(uma_bucket) ub_link;         /* zone list linkage */
        int16_t         ub_cnt;                 /* items held */
        int16_t         ub_entries;             /* capacity */
        void            *ub_bucket[];           /* the items */
};
typedef struct uma_bucket *uma_bucket_t;

#if SIM_ERA <= 9
/* uma_int.h 6.x-9.x */
struct uma_cache {
        uma_bucket_t    uc_freebucket;          /* frees go here */
        uma_bucket_t    uc_allocbucket;         /* allocations come from here */
        u_int64_t       uc_allocs;              /* allocations served by this cache */
        u_int64_t       uc_frees;               /* frees absorbed by this cache */
};
#else
/* uma_int.h 10.x-12.x */
struct uma_cache {
        uma_bucket_t    uc_freebucket;
        uma_bucket_t    uc_allocbucket;
        uint64_t        uc_allocs;
        uint64_t        uc_frees;
} UMA_ALIGN;
#endif
#endif
typedef struct uma_cache *uma_cache_t;

/* ---- per-domain keg slab lists (12+) ------------------------------------------------------ */
#if SIM_ERA == 12
/* uma_int.h 12.x: only the three slab lists */
struct uma_domain {
        LIST_HEAD(,uma_slab)    ud_part_slab;   /* partly allocated slabs */
        LIST_HEAD(,uma_slab)    ud_free_slab;   /* slabs with every item free */
        LIST_HEAD(,uma_slab)    ud_full_slab;   /* slabs with no item free */
};
#elif SIM_ERA >= 13
LIST_HEAD(slabhead, uma_slab);
/* uma_int.h 13/14: lock and counts per domain */
struct uma_domain {
        struct mtx_padalign ud_lock;            /* domain lock */
        struct slabhead ud_part_slab;           /* partly allocated slabs */
        struct slabhead ud_free_slab;           /* slabs with every item free */
        struct slabhead ud_full_slab;           /* slabs with no item free */
        uint32_t        ud_pages;               /* pages held by this domain's slabs */
        uint32_t        ud_free_items;          /* free items in those slabs */
        uint32_t        ud_free_slabs;          /* wholly free slabs */
} __aligned(CACHE_LINE_SIZE);
#endif
#if SIM_ERA >= 12
typedef struct uma_domain *uma_domain_t;

/* <sys/_domainset.h>: a keg's domain selection policy and iterator */
struct domainset;
struct domainset_ref {
        struct domainset *dr_policy;
#if SIM_ERA >= 13
        unsigned int    *dr_iter;
#else
        unsigned int    dr_iterator;
#endif
};
#endif

/* ---- kegs ---------------------------------------------------------------------------------- */
struct vm_object;
#if SIM_ERA <= 7
/* uma_int.h 6.x */
struct uma_keg {
        LIST_ENTRY(uma_keg)     uk_link;        /* all kegs */
        struct mtx      uk_lock;                /* keg lock, shared by its zones */
        struct uma_hash uk_hash;
        LIST_HEAD(,uma_zone)    uk_zones;       /* zones on this keg, primary first */
        LIST_HEAD(,uma_slab)    uk_part_slab;   /* partly allocated slabs */
        LIST_HEAD(,uma_slab)    uk_free_slab;   /* wholly free slabs */
        LIST_HEAD(,uma_slab)    uk_full_slab;   /* full slabs */
        u_int32_t       uk_recurse;             /* allocation recursion count */
        u_int32_t       uk_align;               /* alignment mask */
        u_int32_t       uk_pages;               /* pages held */
        u_int32_t       uk_free;                /* free items in slabs */
        u_int32_t       uk_size;                /* requested item size */
        u_int32_t       uk_rsize;               /* real (aligned) item size */
        u_int32_t       uk_maxpages;            /* page limit, 0 = none */
        uma_init        uk_init;
        uma_fini        uk_fini;
        uma_alloc       uk_allocf;              /* page provider */
        uma_free        uk_freef;
        struct vm_object *uk_obj;
        vm_offset_t     uk_kva;
        struct uma_zone *uk_slabzone;           /* where OFFPAGE slab headers come from */
        u_int16_t       uk_pgoff;               /* slab header offset in the slab */
        u_int16_t       uk_ppera;               /* pages per slab */
        u_int16_t       uk_ipers;               /* items per slab */
        u_int32_t       uk_flags;
};
#elif SIM_ERA <= 9
/* uma_int.h 8.x/9.x: uk_name after the hash */
struct uma_keg {
        LIST_ENTRY(uma_keg)     uk_link;
        struct mtx      uk_lock;
        struct uma_hash uk_hash;
        const char      *uk_name;               /* name of the creating zone */
        LIST_HEAD(,uma_zone)    uk_zones;
        LIST_HEAD(,uma_slab)    uk_part_slab;
        LIST_HEAD(,uma_slab)    uk_free_slab;
        LIST_HEAD(,uma_slab)    uk_full_slab;
        u_int32_t       uk_recurse;
        u_int32_t       uk_align;
        u_int32_t       uk_pages;
        u_int32_t       uk_free;
        u_int32_t       uk_size;
        u_int32_t       uk_rsize;
        u_int32_t       uk_maxpages;
        uma_init        uk_init;
        uma_fini        uk_fini;
        uma_alloc       uk_allocf;
        uma_free        uk_freef;
        struct vm_object *uk_obj;
        vm_offset_t     uk_kva;
        struct uma_zone *uk_slabzone;
        u_int16_t       uk_pgoff;
        u_int16_t       uk_ppera;
        u_int16_t       uk_ipers;
        u_int32_t       uk_flags;
};
#elif SIM_ERA <= 11
/* uma_int.h 10.x/11.x: padded lock first, uk_link moved to the end */
struct uma_keg {
        struct mtx_padalign uk_lock;
        struct uma_hash uk_hash;
        LIST_HEAD(,uma_zone)    uk_zones;
        LIST_HEAD(,uma_slab)    uk_part_slab;
        LIST_HEAD(,uma_slab)    uk_free_slab;
        LIST_HEAD(,uma_slab)    uk_full_slab;
        uint32_t        uk_align;
        uint32_t        uk_pages;
        uint32_t        uk_free;
        uint32_t        uk_reserve;             /* items kept for M_USE_RESERVE */
        uint32_t        uk_size;
        uint32_t        uk_rsize;
        uint32_t        uk_maxpages;
        uma_init        uk_init;
        uma_fini        uk_fini;
        uma_alloc       uk_allocf;
        uma_free        uk_freef;
        u_long          uk_offset;
        vm_offset_t     uk_kva;
        struct uma_zone *uk_slabzone;
        uint16_t        uk_pgoff;
        uint16_t        uk_ppera;
        uint16_t        uk_ipers;
        uint32_t        uk_flags;
        const char      *uk_name;
        LIST_ENTRY(uma_keg)     uk_link;
};
#elif SIM_ERA == 12
/* uma_int.h 12.x: domain policy, slab lists per domain in uk_domain[] */
struct uma_keg {
        struct mtx      uk_lock;
        struct uma_hash uk_hash;
        LIST_HEAD(,uma_zone)    uk_zones;
        struct domainset_ref uk_dr;             /* domain selection */
        uint32_t        uk_align;
        uint32_t        uk_pages;
        uint32_t        uk_free;
        uint32_t        uk_reserve;
        uint32_t        uk_size;
        uint32_t        uk_rsize;
        uint32_t        uk_maxpages;
        uma_init        uk_init;
        uma_fini        uk_fini;
        uma_alloc       uk_allocf;
        uma_free        uk_freef;
        u_long          uk_offset;
        vm_offset_t     uk_kva;
        struct uma_zone *uk_slabzone;
        uint32_t        uk_pgoff;
        uint16_t        uk_ppera;
        uint16_t        uk_ipers;
        uint32_t        uk_flags;
        const char      *uk_name;
        LIST_ENTRY(uma_keg)     uk_link;
        struct uma_domain uk_domain[];          /* vm_ndomains entries */
};
#else
/* uma_int.h 13/14: counts live in uk_domain[], no keg lock, no page limit */
struct uma_keg {
        struct uma_hash uk_hash;
        LIST_HEAD(,uma_zone)    uk_zones;
        struct domainset_ref uk_dr;
        uint32_t        uk_align;
        uint32_t        uk_reserve;
        uint32_t        uk_size;
        uint32_t        uk_rsize;
        uma_init        uk_init;
        uma_fini        uk_fini;
        uma_alloc       uk_allocf;
        uma_free        uk_freef;
        u_long          uk_offset;
        vm_offset_t     uk_kva;
        uint32_t        uk_pgoff;
        uint16_t        uk_ppera;
        uint16_t        uk_ipers;
        uint32_t        uk_flags;
        const char      *uk_name;
        LIST_ENTRY(uma_keg)     uk_link;
        struct uma_domain uk_domain[];          /* vm_ndomains entries */
};
#endif

/* ---- slabs ----------------------------------------------------------------------------- */
#if SIM_ERA <= 9
/* uma_int.h 6.x-9.x: header plus a byte-sized free list, one entry per item */
struct uma_slab_head {
        uma_keg_t       us_keg;                 /* owning keg */
        union {
                LIST_ENTRY(uma_slab) _us_link;  /* keg slab list linkage */
                unsigned long   _us_size;       /* size of a large malloc */
        } us_type;
        SLIST_ENTRY(uma_slab) us_hlink;         /* hash linkage */
        u_int8_t        *us_data;               /* first item */
        u_int8_t        us_flags;
        u_int8_t        us_freecount;           /* free items */
        u_int8_t        us_firstfree;           /* head of the free list */
};
struct uma_slab {
        struct uma_slab_head us_head;
        struct {
                u_int8_t        us_item;        /* index of the next free item */
        } us_freelist[1];                       /* really uk_ipers entries */
};
struct uma_slab_refcnt {
        struct uma_slab_head us_head;
        struct {
                u_int8_t        us_item;
                u_int32_t       us_refcnt;
        } us_freelist[1];
};
#define us_keg          us_head.us_keg
#define us_link         us_head.us_type._us_link
#define us_size         us_head.us_type._us_size
#define us_hlink        us_head.us_hlink
#define us_data         us_head.us_data
#define us_flags        us_head.us_flags
#define us_freecount    us_head.us_freecount
#define us_firstfree    us_head.us_firstfree
/* bytes per free-list entry, padding included (as the kernel computes it) */
#define UMA_FRITM_SZ    (sizeof(struct uma_slab) - sizeof(struct uma_slab_head))
#elif SIM_ERA <= 12
/* uma_int.h 10.x-12.x: free items as a bitset of SLAB_SETSIZE bits */
#define SLAB_SETSIZE    (PAGE_SIZE / UMA_SMALLEST_UNIT)
BITSET_DEFINE(slabbits, SLAB_SETSIZE);
struct uma_slab {
        uma_keg_t       us_keg;
        union {
                LIST_ENTRY(uma_slab) _us_link;
                unsigned long   _us_size;
        } us_type;
        SLIST_ENTRY(uma_slab) us_hlink;
        uint8_t         *us_data;
        struct slabbits us_free;                /* set bit = free item */
        uint16_t        us_freecount;
        uint8_t         us_flags;
#if SIM_ERA == 12
        uint8_t         us_domain;              /* NUMA domain of the pages */
#else
        uint8_t         us_pad;
#endif
};
#define us_link         us_type._us_link
#define us_size         us_type._us_size
#else
/* uma_int.h 13/14: small header, bitset sized per keg and kept at its end */
#define SLAB_MAX_SETSIZE        (PAGE_SIZE / UMA_SMALLEST_UNIT)
#define SLAB_MIN_SETSIZE        _BITSET_BITS
BITSET_DEFINE(noslabbits, 0);
struct uma_slab {
        LIST_ENTRY(uma_slab)    us_link;        /* domain slab list linkage */
        uint16_t        us_freecount;
        uint8_t         us_flags;
        uint8_t         us_domain;
        struct noslabbits us_free;              /* flexible free bitset */
};
/* off-page header: hash linkage and data pointer in front of the slab */
struct uma_hash_slab {
        LIST_ENTRY(uma_hash_slab) uhs_hlink;
        uint8_t         *uhs_data;
        struct uma_slab uhs_slab;               /* must be last */
};
typedef struct uma_hash_slab *uma_hash_slab_t;
#define SLAB_BITSETS    1
#endif

/* ---- keg links (8.x-12.x) ---------------------------------------------------------------- */
#if SIM_ERA >= 8 && SIM_ERA <= 12
typedef uma_slab_t (*uma_slaballoc)(struct uma_zone *, uma_keg_t, int, int);
struct uma_klink {
        LIST_ENTRY(uma_klink)   kl_link;
        uma_keg_t               kl_keg;
};
typedef struct uma_klink *uma_klink_t;
#endif

/* ---- zone domains (12+) ------------------------------------------------------------------- */
#if SIM_ERA == 12
/* uma_int.h 12.x releases: bucket list and working-set estimate */
struct uma_zone_domain {
        LIST_HEAD(,uma_bucket)  uzd_buckets;    /* full buckets */
        long            uzd_nitems;             /* items in them */
        long            uzd_imax;
        long            uzd_imin;
        long            uzd_wss;                /* working set size estimate */
};
typedef struct uma_zone_domain *uma_zone_domain_t;
#elif SIM_ERA >= 13
STAILQ_HEAD(uma_bucketlist, uma_bucket);
/* uma_int.h 13/14 */
struct uma_zone_domain {
        struct uma_bucketlist uzd_buckets;      /* full buckets */
        uma_bucket_t    uzd_cross;              /* filling from other CPUs' cross frees */
        long            uzd_nitems;             /* items in uzd_buckets */
        long            uzd_imax;
        long            uzd_imin;
        long            uzd_bimin;
        long            uzd_wss;
        long            uzd_limin;
        u_int           uzd_timin;
        smr_seq_t       uzd_seq;
        struct mtx      uzd_lock;
} __aligned(CACHE_LINE_SIZE);
typedef struct uma_zone_domain *uma_zone_domain_t;
#endif

/* ---- zones ---------------------------------------------------------------------------------- */
struct sysctl_oid;
#if SIM_ERA <= 7
/* uma_int.h 6.x */
struct uma_zone {
        char            *uz_name;
        struct mtx      *uz_lock;               /* the keg's lock */
        uma_keg_t       uz_keg;
        LIST_ENTRY(uma_zone)    uz_link;        /* zones of the keg */
        LIST_HEAD(,uma_bucket)  uz_full_bucket; /* full buckets */
        LIST_HEAD(,uma_bucket)  uz_free_bucket; /* empty buckets */
        uma_ctor        uz_ctor;
        uma_dtor        uz_dtor;
        uma_init        uz_init;
        uma_fini        uz_fini;
        u_int64_t       uz_allocs;              /* allocations not served by a cache */
        u_int64_t       uz_frees;
        u_int64_t       uz_fails;
        uint16_t        uz_fills;
        uint16_t        uz_count;               /* items per bucket */
        struct uma_cache uz_cpu[1];             /* really mp_maxid + 1 */
};
#elif SIM_ERA <= 9
/* uma_int.h 9.x: 8.x layout plus sleeps and the rate-limited warning */
struct uma_zone {
        const char      *uz_name;
        struct mtx      *uz_lock;
        LIST_ENTRY(uma_zone)    uz_link;
        LIST_HEAD(,uma_bucket)  uz_full_bucket;
        LIST_HEAD(,uma_bucket)  uz_free_bucket;
        LIST_HEAD(,uma_klink)   uz_kegs;        /* kegs of the zone */
        struct uma_klink        uz_klink;       /* link for the first keg */
        uma_slaballoc   uz_slab;
        uma_ctor        uz_ctor;
        uma_dtor        uz_dtor;
        uma_init        uz_init;
        uma_fini        uz_fini;
        u_int32_t       uz_flags;
        u_int32_t       uz_size;
        u_int64_t       uz_allocs;
        u_int64_t       uz_frees;
        u_int64_t       uz_fails;
        uint64_t        uz_sleeps;              /* allocations that slept at the limit */
        uint16_t        uz_fills;
        uint16_t        uz_count;
        const char      *uz_warning;
        struct timeval  uz_ratecheck;
        struct uma_cache uz_cpu[1];
};
#elif SIM_ERA <= 11
/* uma_int.h 10.x/11.x */
struct uma_zone {
        struct mtx_padalign uz_lock;
        struct mtx_padalign *uz_lockptr;
        const char      *uz_name;
        LIST_ENTRY(uma_zone)    uz_link;
        LIST_HEAD(,uma_bucket)  uz_buckets;     /* full buckets */
        LIST_HEAD(,uma_klink)   uz_kegs;
        struct uma_klink        uz_klink;
        uma_slaballoc   uz_slab;
        uma_ctor        uz_ctor;
        uma_dtor        uz_dtor;
        uma_init        uz_init;
        uma_fini        uz_fini;
        uma_import      uz_import;
        uma_release     uz_release;
        void            *uz_arg;
        uint32_t        uz_flags;
        uint32_t        uz_size;
        volatile u_long uz_allocs UMA_ALIGN;
        volatile u_long uz_fails;
        volatile u_long uz_frees;
        uint64_t        uz_sleeps;
        uint16_t        uz_count;
        uint16_t        uz_count_min;
        const char      *uz_warning;
        struct timeval  uz_ratecheck;
        struct task     uz_maxaction;
        struct uma_cache uz_cpu[1];
};
#elif SIM_ERA == 12
/* uma_int.h 12.x */
struct uma_zone {
        struct mtx      *uz_lockptr;
        const char      *uz_name;
        struct uma_zone_domain *uz_domain;      /* follows uz_cpu[] in the allocation */
        uint32_t        uz_flags;
        uint32_t        uz_size;
        uma_ctor        uz_ctor;
        uma_dtor        uz_dtor;
        uma_init        uz_init;
        uma_fini        uz_fini;
        uma_import      uz_import;
        uma_release     uz_release;
        void            *uz_arg;
        uma_slaballoc   uz_slab;
        uint16_t        uz_count;
        uint16_t        uz_count_min;
        LIST_ENTRY(uma_zone)    uz_link;
        LIST_HEAD(,uma_klink)   uz_kegs;
        struct mtx      uz_lock;
        struct uma_klink        uz_klink;
        const char      *uz_warning;
        struct timeval  uz_ratecheck;
        struct task     uz_maxaction;
        volatile u_long uz_allocs UMA_ALIGN;
        volatile u_long uz_fails;
        volatile u_long uz_frees;
        uint64_t        uz_sleeps;
        struct uma_cache uz_cpu[];              /* mp_maxid + 1 entries, then domains */
};
#else
/* uma_int.h 13/14 */
struct uma_zone {
        uint32_t        uz_flags;
        uint32_t        uz_size;
        uma_ctor        uz_ctor;
        uma_dtor        uz_dtor;
        smr_t           uz_smr;
        uint64_t        uz_max_items;           /* item limit, 0 = none */
        uint64_t        uz_bucket_max;
        uint16_t        uz_bucket_size;         /* items per bucket */
        uint16_t        uz_bucket_size_max;
        uint32_t        uz_sleepers;
        counter_u64_t   uz_xdomain;             /* cross-domain frees */
        uma_keg_t       uz_keg;
        uma_import      uz_import;
        uma_release     uz_release;
        void            *uz_arg;
        uma_init        uz_init;
        uma_fini        uz_fini;
        volatile uint64_t uz_items;             /* items outside the keg; sleepers above bit 44 */
        uint64_t        uz_sleeps;
        LIST_ENTRY(uma_zone)    uz_link;
        counter_u64_t   uz_allocs;
        counter_u64_t   uz_frees;
        counter_u64_t   uz_fails;
        const char      *uz_name;
        char            *uz_ctlname;
        int             uz_namecnt;
        uint16_t        uz_bucket_size_min;
        uint16_t        uz_reclaimers;
        struct sysctl_oid *uz_oid;
        const char      *uz_warning;
        struct timeval  uz_ratecheck;
        struct task     uz_maxaction;
        struct mtx      uz_cross_lock;
        struct uma_cache uz_cpu[];              /* mp_maxid + 1 entries, then the domains */
};
#define UZ_ITEMS_SLEEPER_SHIFT  44LL
#define UZ_ITEMS_COUNT_MASK     ((1LL << UZ_ITEMS_SLEEPER_SHIFT) - 1)
/* 13+: zone domains sit right after the last CPU's cache */
#define ZDOM_GET(z, n)  (&((uma_zone_domain_t)&(z)->uz_cpu[mp_maxid + 1])[n])
#endif

#if SIM_ERA >= 12
extern unsigned long uma_kmem_limit;
extern unsigned long uma_kmem_total;
#endif
#if SIM_ERA >= 12
extern int vm_ndomains;
#endif

/* ---- simulator page side table (the kernel keeps this in struct vm_page) ---------------- */
void sim_page_set_slab(void *va, size_t npages, void *zone, void *slab);
void sim_page_get_slab(const void *va, void **zone, void **slab);
size_t sim_pages_free(void);
size_t sim_pages_total(void);

#endif /* VM_UMA_INT_H */
