/*
 * Item ledger: where every item of every keg slab is, kept by the simulator as items move
 * (slab <-> caller <-> buckets, buckets <-> per-CPU slots and zone caches), and written to
 * items.json beside expected.json (GROUND_TRUTH.md).  Never computed from the kernel structures.
 */
#ifndef SIM_ITEMS_LEDGER_H
#define SIM_ITEMS_LEDGER_H

#include <stddef.h>
#include <stdio.h>

#define SIM_ITEM_KEG    ((void *)1)     /* free in its slab */
#define SIM_ITEM_OUT    ((void *)2)     /* handed to a caller: allocated */

/* a zone: name, where its uz_cpu[] caches are (to name the CPU of a cache slot), its keg */
void sim_items_zone(const void *zone, const char *name, const void *keg, const void *cpu0,
    size_t cache_size, int ncache);
/* a new slab of a keg: every item free in it; `header` is the header as allocated */
void sim_items_slab_new(const char *keg_name, const void *keg, const void *slab,
    const void *header, int inpage, size_t header_size, const void *data, int ipers,
    size_t size, size_t rsize, int ppera, int domain);
void sim_items_slab_gone(const void *slab);
/* an item of slab `slab` (NULL: look it up by page) is now held by `holder`: KEG, OUT, a bucket */
void sim_items_hold(const void *slab, const void *item, const void *holder);
/* a bucket now sits in per-CPU cache slot `which` (0 alloc, 1 free, 2 cross) of `cache` */
void sim_items_bucket_slot(const void *bucket, const void *cache, int which);
/* a bucket now sits in a zone's bucket cache (or, zone NULL, nowhere that holds free items) */
void sim_items_bucket_zone(const void *bucket, const void *zone);
void sim_items_large(const void *start, size_t size, const void *header);
void sim_items_large_gone(const void *start);
void sim_items_write(const char *path);

#endif
