/*
 * The uma(9) interface, following FreeBSD's sys/vm/uma.h of each era: callback types, zone
 * creation flags and the allocation entry points.  Flag values per era:
 *   6.x  (uma.h 6.x):   ZINIT 0x2, STATIC 0x4, OFFPAGE 0x8, MALLOC 0x10, NOFREE 0x20,
 *                       MTXCLASS 0x40, VM 0x80, HASH 0x100, SECONDARY 0x200, REFCNT 0x400,
 *                       MAXBUCKET 0x800
 *   9.x-12.x (uma.h):   + CACHESPREAD 0x1000, VTOSLAB 0x2000, NODUMP 0x4000, PCPU 0x8000;
 *                       12.x NUMA 0x10000, NOBUCKETCACHE 0x20000
 *   13.x/14.x (uma.h):  CONTIG 0x4, NOTOUCH 0x8, NOTPAGE 0x100, NOBUCKET 0x400,
 *                       FIRSTTOUCH 0x10000, ROUNDROBIN 0x20000, SMR 0x40000; OFFPAGE, HASH and
 *                       VTOSLAB became internal UMA_ZFLAG_* bits (uma_int.h).
 */
#ifndef _VM_UMA_H_
#define _VM_UMA_H_

#include <sys/_sim_kern.h>

/* Smallest item: 6.x-9.x 8 bytes; 10.x-12.x PAGE_SIZE / 256; 13+ 8 bytes again. */
#if SIM_ERA >= 10 && SIM_ERA <= 12
#define UMA_SMALLEST_UNIT       (PAGE_SIZE / 256)
#else
#define UMA_SMALLEST_UNIT       8
#endif

struct uma_zone;
typedef struct uma_zone *uma_zone_t;

typedef int (*uma_ctor)(void *mem, int size, void *arg, int flags);
typedef void (*uma_dtor)(void *mem, int size, void *arg);
typedef int (*uma_init)(void *mem, int size, int flags);
typedef void (*uma_fini)(void *mem, int size);
#if SIM_ERA >= 12
/* 12.x+ import/release of cache zones, with the NUMA domain */
typedef int (*uma_import)(void *arg, void **store, int count, int domain, int flags);
#else
typedef int (*uma_import)(void *arg, void **store, int count, int flags);
#endif
typedef void (*uma_release)(void *arg, void **store, int count);
#if SIM_ERA >= 12
typedef void *(*uma_alloc)(uma_zone_t zone, vm_size_t size, int domain, uint8_t *pflag, int wait);
#else
typedef void *(*uma_alloc)(uma_zone_t zone, vm_size_t size, uint8_t *pflag, int wait);
#endif
typedef void (*uma_free)(void *item, vm_size_t size, uint8_t pflag);

/* Zone creation flags */
#define UMA_ZONE_ZINIT          0x0002
#if SIM_ERA >= 13
#define UMA_ZONE_CONTIG         0x0004
#define UMA_ZONE_NOTOUCH        0x0008
#else
#define UMA_ZONE_STATIC         0x0004
#define UMA_ZONE_OFFPAGE        0x0008
#endif
#define UMA_ZONE_MALLOC         0x0010
#define UMA_ZONE_NOFREE         0x0020
#define UMA_ZONE_MTXCLASS       0x0040
#define UMA_ZONE_VM             0x0080
#if SIM_ERA >= 13
#define UMA_ZONE_NOTPAGE        0x0100
#else
#define UMA_ZONE_HASH           0x0100
#endif
#define UMA_ZONE_SECONDARY      0x0200
#if SIM_ERA >= 13
#define UMA_ZONE_NOBUCKET       0x0400
#elif SIM_ERA <= 10
#define UMA_ZONE_REFCNT         0x0400
#endif
#define UMA_ZONE_MAXBUCKET      0x0800
#if SIM_ERA >= 8 && SIM_ERA <= 12
#define UMA_ZONE_CACHESPREAD    0x1000
#endif
#if SIM_ERA >= 8 && SIM_ERA <= 12
#define UMA_ZONE_VTOSLAB        0x2000
#endif
#if SIM_ERA >= 13
#define UMA_ZONE_CACHESPREAD    0x2000
#endif
#if SIM_ERA >= 9
#define UMA_ZONE_NODUMP         0x4000
#define UMA_ZONE_PCPU           0x8000
#endif
#if SIM_ERA == 12
#define UMA_ZONE_NUMA           0x10000
#define UMA_ZONE_NOBUCKETCACHE  0x20000
#endif
#if SIM_ERA >= 13
#define UMA_ZONE_FIRSTTOUCH     0x10000
#define UMA_ZONE_ROUNDROBIN     0x20000
#define UMA_ZONE_SMR            0x40000
#endif

/* Alignment masks */
#define UMA_ALIGN_PTR   (sizeof(void *) - 1)
#define UMA_ALIGN_LONG  (sizeof(long) - 1)
#define UMA_ALIGN_INT   (sizeof(int) - 1)
#define UMA_ALIGN_SHORT (sizeof(short) - 1)
#define UMA_ALIGN_CHAR  (sizeof(char) - 1)
#define UMA_ALIGN_CACHE (0 - 1)

/* Zones */
uma_zone_t uma_zcreate(const char *name, size_t size, uma_ctor ctor, uma_dtor dtor,
    uma_init uminit, uma_fini fini, int align, uint32_t flags);
uma_zone_t uma_zsecond_create(const char *name, uma_ctor ctor, uma_dtor dtor,
    uma_init zinit, uma_fini zfini, uma_zone_t primary);
#if SIM_ERA >= 10
uma_zone_t uma_zcache_create(const char *name, int size, uma_ctor ctor, uma_dtor dtor,
    uma_init zinit, uma_fini zfini, uma_import zimport, uma_release zrelease,
    void *arg, int flags);
#endif
/*
 * Item limit.  <= 12: converted to whole slabs of keg pages (uk_maxpages), the returned
 * value is what the keg really admits; 13+: uz_max_items.  (6.x returned void.)
 */
int uma_zone_set_max(uma_zone_t zone, int nitems);
int uma_zone_get_max(uma_zone_t zone);

/* Items */
void *uma_zalloc_arg(uma_zone_t zone, void *udata, int flags);
void uma_zfree_arg(uma_zone_t zone, void *item, void *udata);
static inline void *uma_zalloc(uma_zone_t zone, int flags) { return uma_zalloc_arg(zone, NULL, flags); }
static inline void uma_zfree(uma_zone_t zone, void *item) { uma_zfree_arg(zone, item, NULL); }
#if SIM_ERA >= 12
/* Per-CPU items (UMA_ZONE_PCPU zones): the value is a zpcpu base (<sys/pcpu.h>). */
void *uma_zalloc_pcpu_arg(uma_zone_t zone, void *udata, int flags);
void uma_zfree_pcpu_arg(uma_zone_t zone, void *item, void *udata);
static inline void *uma_zalloc_pcpu(uma_zone_t zone, int flags) { return uma_zalloc_pcpu_arg(zone, NULL, flags); }
static inline void uma_zfree_pcpu(uma_zone_t zone, void *item) { uma_zfree_pcpu_arg(zone, item, NULL); }
#endif

/*
 * Simulator additions (not FreeBSD API), for kern_malloc.c and the scenarios:
 *   uma_large_malloc(size, wait)  page-rounded allocation outside any zone (malloc(9) above
 *                                 the largest kmem zone); NULL when memory is short.  <= 12 it
 *                                 takes a "UMA Slabs" header like the kernel's.
 *   uma_large_free(mem)           frees it (FreeBSD <= 12 passes the slab; use this instead).
 *   uma_large_size(mem)           its page-rounded size.
 *   uma_sim_item_zone(mem)        the zone an item belongs to (NULL for large allocations).
 *   uma_zone_name(zone)           the zone's name.
 */
void *uma_large_malloc(vm_size_t size, int wait);
void uma_large_free(void *mem);
vm_size_t uma_large_size(void *mem);
uma_zone_t uma_sim_item_zone(void *mem);
const char *uma_zone_name(uma_zone_t zone);
int uma_zone_size(uma_zone_t zone);

#endif /* !_VM_UMA_H_ */
