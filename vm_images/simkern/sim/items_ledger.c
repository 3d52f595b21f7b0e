/*
 * The item ledger (items_ledger.h): one record per keg slab with the holder of each item, one
 * per bucket with the place it sits, the zones (for their CPU cache slots and names) and the
 * malloc(9) large allocations.  Hooks in uma_core.c report each move as it happens; at dump
 * time every item's state and place is resolved from these records only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "items_ledger.h"

void sim_page_get_slab(const void *va, void **zone, void **slab);

struct lslab {
        const char      *keg_name;
        const void      *keg, *slab, *header, *data;
        size_t          header_size, size, rsize;
        int             inpage, ipers, ppera, domain;
        const void      **holder;       /* per item */
        struct lslab    *next;          /* hash chain */
};

enum { PLACE_NONE, PLACE_SLOT, PLACE_ZONE };
struct lbucket {
        const void      *bucket, *where;
        int             place, which;
        struct lbucket  *next;
};

struct lzinfo {
        const void      *zone, *keg, *cpu0;
        const char      *name;
        size_t          cache_size;
        int             ncache;
};

struct llarge {
        const void      *start, *header;
        size_t          size;
        struct llarge   *next;
};

#define NHASH   65536
static struct lslab *slabs[NHASH];
static struct lbucket *buckets[NHASH];
static struct lzinfo *zones;
static int nzones, zcap;
static struct llarge *larges;

static unsigned
hslot(const void *p)
{
        return ((unsigned)(((uintptr_t)p >> 4) * 2654435761u) % NHASH);
}

void
sim_items_zone(const void *zone, const char *name, const void *keg, const void *cpu0,
    size_t cache_size, int ncache)
{
        if (nzones == zcap) {
                zcap = zcap ? 2 * zcap : 256;
                zones = realloc(zones, zcap * sizeof(*zones));
        }
        zones[nzones++] = (struct lzinfo){ zone, keg, cpu0, name, cache_size, ncache };
}

void
sim_items_slab_new(const char *keg_name, const void *keg, const void *slab, const void *header,
    int inpage, size_t header_size, const void *data, int ipers, size_t size, size_t rsize,
    int ppera, int domain)
{
        struct lslab *s = calloc(1, sizeof(*s));
        unsigned h = hslot(slab);
        int i;

        *s = (struct lslab){ keg_name, keg, slab, header, data, header_size, size, rsize, inpage, ipers,
            ppera, domain, calloc(ipers, sizeof(void *)), slabs[h] };
        for (i = 0; i < ipers; i++)
                s->holder[i] = SIM_ITEM_KEG;
        slabs[h] = s;
}

static struct lslab *
slab_find(const void *slab)
{
        struct lslab *s;

        for (s = slabs[hslot(slab)]; s != NULL; s = s->next)
                if (s->slab == slab)
                        return (s);
        return (NULL);
}

void
sim_items_slab_gone(const void *slab)
{
        struct lslab **pp, *s;

        for (pp = &slabs[hslot(slab)]; (s = *pp) != NULL; pp = &s->next)
                if (s->slab == slab) {
                        *pp = s->next;
                        free(s->holder);
                        free(s);
                        return;
                }
}

void
sim_items_hold(const void *slab, const void *item, const void *holder)
{
        struct lslab *s;
        void *z, *sl;
        size_t off;

        if (slab == NULL) {
                sim_page_get_slab(item, &z, &sl);
                slab = sl;
        }
        if (slab == NULL || (s = slab_find(slab)) == NULL)
                return;         /* not a keg item (cache-only zone imports, large pages) */
        off = (size_t)((const char *)item - (const char *)s->data);
        s->holder[off / s->rsize] = holder;
}

static struct lbucket *
bucket_rec(const void *bucket)
{
        unsigned h = hslot(bucket);
        struct lbucket *b;

        for (b = buckets[h]; b != NULL; b = b->next)
                if (b->bucket == bucket)
                        return (b);
        b = calloc(1, sizeof(*b));
        b->bucket = bucket;
        b->next = buckets[h];
        buckets[h] = b;
        return (b);
}

void
sim_items_bucket_slot(const void *bucket, const void *cache, int which)
{
        struct lbucket *b;

        if (bucket == NULL)
                return;
        b = bucket_rec(bucket);
        b->place = PLACE_SLOT;
        b->where = cache;
        b->which = which;
}

void
sim_items_bucket_zone(const void *bucket, const void *zone)
{
        struct lbucket *b;

        if (bucket == NULL)
                return;
        b = bucket_rec(bucket);
        b->place = zone != NULL ? PLACE_ZONE : PLACE_NONE;
        b->where = zone;
}

void
sim_items_large(const void *start, size_t size, const void *header)
{
        struct llarge *l = calloc(1, sizeof(*l));

        *l = (struct llarge){ start, header, size, larges };
        larges = l;
}

void
sim_items_large_gone(const void *start)
{
        struct llarge **pp, *l;

        for (pp = &larges; (l = *pp) != NULL; pp = &l->next)
                if (l->start == start) {
                        *pp = l->next;
                        free(l);
                        return;
                }
}

/* ---- items.json ------------------------------------------------------------------------- */

static const char *
zone_name(const void *zone)
{
        int i;

        for (i = 0; i < nzones; i++)
                if (zones[i].zone == zone)
                        return (zones[i].name);
        return ("?");
}

static const char *
keg_first_zone(const void *keg, const char *fallback)
{
        int i;

        for (i = 0; i < nzones; i++)
                if (zones[i].keg == keg)
                        return (zones[i].name);
        return (fallback);
}

/* the zone and CPU of a per-CPU cache slot */
static const char *
slot_owner(const void *cache, int *cpu)
{
        int i;

        for (i = 0; i < nzones; i++) {
                const char *c0 = zones[i].cpu0;

                if ((const char *)cache >= c0 &&
                    (const char *)cache < c0 + zones[i].cache_size * zones[i].ncache) {
                        *cpu = (int)(((const char *)cache - c0) / zones[i].cache_size);
                        return (zones[i].name);
                }
        }
        *cpu = -1;
        return ("?");
}

static int
cmp_slab(const void *a, const void *b)
{
        const struct lslab *x = *(struct lslab *const *)a, *y = *(struct lslab *const *)b;

        return (x->data < y->data ? -1 : x->data > y->data);
}

static const char *const slot_names[] = { "cpu-alloc-bucket", "cpu-free-bucket",
    "cpu-cross-bucket" };

static void
write_place(FILE *f, const void *item, const struct lbucket *b, int *first)
{
        const char *zone, *where;
        int cpu = -1;

        if (b == NULL || b->place == PLACE_NONE) {
                zone = "?";
                where = "unplaced";
        } else if (b->place == PLACE_SLOT) {
                zone = slot_owner(b->where, &cpu);
                where = slot_names[b->which];
        } else {
                zone = zone_name(b->where);
                where = "zone-cache";
        }
        fprintf(f, "%s\n  {\"item\": %llu, \"where\": \"%s\", \"cpu\": ", *first ? "" : ",",
            (unsigned long long)(uintptr_t)item, where);
        if (cpu >= 0)
                fprintf(f, "%d", cpu);
        else
                fputs("null", f);
        fprintf(f, ", \"zone\": \"%s\", \"bucket\": %llu}", zone,
            (unsigned long long)(uintptr_t)(b != NULL ? b->bucket : NULL));
        *first = 0;
}

void
sim_items_write(const char *path)
{
        struct lslab **all, *s;
        size_t n = 0, i;
        int j, first = 1;
        FILE *f = fopen(path, "w");
        struct llarge *l;
        char *codes;

        if (f == NULL) {
                perror(path);
                exit(1);
        }
        for (i = 0; i < NHASH; i++)
                for (s = slabs[i]; s != NULL; s = s->next)
                        n++;
        all = calloc(n ? n : 1, sizeof(*all));
        n = 0;
        for (i = 0; i < NHASH; i++)
                for (s = slabs[i]; s != NULL; s = s->next)
                        all[n++] = s;
        qsort(all, n, sizeof(*all), cmp_slab);
        fputs("{\"schema_version\": 1,\n\"slabs\": [", f);
        for (i = 0; i < n; i++) {
                s = all[i];
                codes = calloc(s->ipers + 1, 1);
                for (j = 0; j < s->ipers; j++)
                        codes[j] = s->holder[j] == SIM_ITEM_KEG ? 'k' :
                            s->holder[j] == SIM_ITEM_OUT ? 'a' : 'b';
                fprintf(f, "%s\n  {\"keg\": %llu, \"zone\": \"%s\", \"slab\": %llu, "
                    "\"header\": %llu, \"header_inpage\": %s, \"header_size\": %zu, "
                    "\"data\": %llu, \"ipers\": %d, \"size\": %zu, \"rsize\": %zu, "
                    "\"ppera\": %d, \"domain\": ",
                    i ? "," : "", (unsigned long long)(uintptr_t)s->keg,
                    keg_first_zone(s->keg, s->keg_name),
                    (unsigned long long)(uintptr_t)s->slab,
                    (unsigned long long)(uintptr_t)s->header, s->inpage ? "true" : "false",
                    s->header_size, (unsigned long long)(uintptr_t)s->data, s->ipers, s->size, s->rsize,
                    s->ppera);
                if (s->domain >= 0)
                        fprintf(f, "%d", s->domain);
                else
                        fputs("null", f);
                fprintf(f, ", \"items\": \"%s\"}", codes);
                free(codes);
        }
        fputs("],\n\"buckets\": [", f);
        for (i = 0; i < n; i++) {
                s = all[i];
                for (j = 0; j < s->ipers; j++) {
                        const void *h = s->holder[j];

                        if (h == SIM_ITEM_KEG || h == SIM_ITEM_OUT)
                                continue;
                        write_place(f, (const char *)s->data + (size_t)j * s->rsize,
                            bucket_rec(h), &first);
                }
        }
        fputs("],\n\"zones\": [", f);
        for (j = 0; j < nzones; j++)
                fprintf(f, "%s\n  {\"name\": \"%s\", \"zone\": %llu, \"keg\": %llu}", j ? "," : "",
                    zones[j].name, (unsigned long long)(uintptr_t)zones[j].zone,
                    (unsigned long long)(uintptr_t)zones[j].keg);
        fputs("],\n\"large\": [", f);
        for (l = larges, first = 1; l != NULL; l = l->next, first = 0)
                fprintf(f, "%s\n  {\"start\": %llu, \"size\": %zu, \"header\": %llu}",
                    first ? "" : ",", (unsigned long long)(uintptr_t)l->start, l->size,
                    (unsigned long long)(uintptr_t)l->header);
        fputs("]}\n", f);
        free(all);
        if (fclose(f) != 0) {
                perror(path);
                exit(1);
        }
}
