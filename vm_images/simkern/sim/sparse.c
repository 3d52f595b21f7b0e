/*
 * vmcore.sparse: the crash core as a minidump would hold it.  A minidump carries the pages the
 * kernel maps and the direct-map pages it added, but not free physical pages nor the pages of
 * UMA_ZONE_NODUMP zones, and a page freed on another CPU while the panic stopped the machine
 * is gone although a structure may still point at it.  The sparse core leaves out:
 *   - every free page of the kmem arena,
 *   - every slab page of a UMA_ZONE_NODUMP keg (12+ amd64: the IOMMU map entries),
 *   - the page of one bucket a zone still points at (a stale bucket pointer: the page stands
 *     for one released by a concurrent drain), chosen as the bucket holding most items among
 *     those a vmstat-like walk dereferences.
 * expected.sparse.json is expected.json plus "sparse": which zones a walk cannot read fully
 * (every zone with a dereferenced bucket, zone or keg on a left-out page), why, and in which
 * views ("true": the kernel's own walk, also --where; "kvm": libmemstat's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include <sys/_sim_kern.h>
#include <sys/smp.h>
#include <sys/pcpu.h>
#include "sim/sim.h"
#include "sim/uma_ledger.h"

#define MAX_HOLES       16384

static uintptr_t holes[MAX_HOLES][2];
static size_t nholes;

/* One zone a walk cannot read fully: the first left-out address it dereferences. */
struct unreadable {
        struct lzone    *lz;
        int             occurrence;     /* among the zones of that name, in walk order */
        uintptr_t       address;
        const char      *what;
        int             in_kvm;         /* the kvm walk meets it too */
};
static struct unreadable unreadable[256];
static int nunreadable;

static int
in_hole(const void *p)
{
        size_t i;

        for (i = 0; i < nholes; i++)
                if ((uintptr_t)p >= holes[i][0] && (uintptr_t)p < holes[i][1])
                        return (1);
        return (0);
}

static int
free_or_nodump(int used, void *zone)
{
#ifdef UMA_ZONE_NODUMP
        if (used && zone != NULL)
                return (lz_find(zone)->lk != NULL &&
                    (lz_find(zone)->lk->flags & UMA_ZONE_NODUMP) != 0);
#else
        (void)zone;
#endif
        return (!used);
}

/*
 * Every bucket of `z` a walk dereferences, passed to `visit` until it returns nonzero (then
 * that bucket is returned): the per-CPU alloc/free buckets up to 12.x (13+ keeps their counts
 * inline), the full buckets of the zone's bucket cache and, 13+, the domains' cross buckets
 * (which libmemstat's kvm walk, `kvm` set, does not count and so never reads).
 */
static uma_bucket_t
each_bucket(struct lzone *lz, int kvm, int (*visit)(uma_bucket_t, void *), void *arg)
{
        uma_zone_t z = lz->zone;
        uma_bucket_t b;

#if SIM_ERA <= 12
        u_int cpu;

        for (cpu = 0; cpu <= mp_maxid && !lz->nocache; cpu++) {
                uma_cache_t c = &z->uz_cpu[cpu];

                if (c->uc_allocbucket != NULL && visit(c->uc_allocbucket, arg))
                        return (c->uc_allocbucket);
                if (c->uc_freebucket != NULL && visit(c->uc_freebucket, arg))
                        return (c->uc_freebucket);
        }
#endif
#if SIM_ERA <= 9
        LIST_FOREACH(b, &z->uz_full_bucket, ub_link)
                if (visit(b, arg))
                        return (b);
#elif SIM_ERA <= 11
        LIST_FOREACH(b, &z->uz_buckets, ub_link)
                if (visit(b, arg))
                        return (b);
#else
        int d;

        for (d = 0; d < vm_ndomains; d++) {
#if SIM_ERA == 12
                LIST_FOREACH(b, &z->uz_domain[d].uzd_buckets, ub_link)
                        if (visit(b, arg))
                                return (b);
#else
                STAILQ_FOREACH(b, &ZDOM_GET(z, d)->uzd_buckets, ub_link)
                        if (visit(b, arg))
                                return (b);
                if (!kvm && (b = ZDOM_GET(z, d)->uzd_cross) != NULL && visit(b, arg))
                        return (b);
#endif
        }
#endif
        return (NULL);
}

static int
fuller(uma_bucket_t b, void *arg)
{
        uma_bucket_t *best = arg;

        if (b->ub_cnt > 0 && (*best == NULL || b->ub_cnt > (*best)->ub_cnt))
                *best = b;
        return (0);
}

static int
left_out(uma_bucket_t b, void *arg)
{
        (void)arg;
        return (in_hole(b));
}

/* Every keg-backed zone in the kernel's walk order (kegs newest first, zones in list order). */
#define FOREACH_WALKED_ZONE(k, i, lz)                                                   \
        for ((k) = nlkegs - 1; (k) >= 0; (k)--)                                         \
                for ((i) = 0; (i) < lkegs[k]->nzones && ((lz) = lkegs[k]->zones[i]); (i)++)

static void
find_unreadable(void)
{
        struct lzone *lz, *seen[4096];
        int k, i, j, nseen = 0;

        FOREACH_WALKED_ZONE(k, i, lz) {
                uma_bucket_t b = NULL;
                const char *what = NULL;
                int occurrence = 0;

                for (j = 0; j < nseen; j++)
                        occurrence += strcmp(seen[j]->name, lz->name) == 0;
                if (nseen < (int)nitems(seen))
                        seen[nseen++] = lz;
                if (in_hole(lz->zone))
                        what = "zone", b = (uma_bucket_t)lz->zone;
                else if (in_hole(lz->lk->keg))
                        what = "keg", b = (uma_bucket_t)lz->lk->keg;
                else if ((b = each_bucket(lz, 0, left_out, NULL)) != NULL)
                        what = "bucket";
                if (what != NULL && nunreadable < (int)nitems(unreadable))
                        unreadable[nunreadable++] = (struct unreadable){ lz, occurrence,
                            (uintptr_t)b, what, strcmp(what, "bucket") != 0 ||
                            each_bucket(lz, 1, left_out, NULL) != NULL };
        }
}

static void
write_sparse(FILE *f)
{
        size_t h, pages = 0;
        int i;

        for (h = 0; h < nholes; h++)
                pages += (holes[h][1] - holes[h][0]) / PAGE_SIZE;
        fprintf(f, "{\"left_out_pages\": %zu, \"unreadable\": [", pages);
        for (i = 0; i < nunreadable; i++) {
                fputs(i ? ", {\"zone\": " : "{\"zone\": ", f);
                sim_json_string(f, unreadable[i].lz->name);
                fprintf(f, ", \"occurrence\": %d, \"what\": \"%s\", \"address\": \"%#" PRIxPTR
                    "\", \"views\": [\"true\"%s]}", unreadable[i].occurrence, unreadable[i].what,
                    unreadable[i].address, unreadable[i].in_kvm ? ", \"kvm\"" : "");
        }
        fputs("]}", f);
}

void
sim_write_sparse(const char *core, void (*write_expected)(void (*)(FILE *)))
{
        uma_bucket_t stale = NULL;
        struct lzone *lz;
        int k, i;

        nholes = sim_page_ranges(free_or_nodump, holes, MAX_HOLES - 1);
        if (nholes >= MAX_HOLES - 1) {
                fprintf(stderr, "sim_write_sparse: more than %d page ranges\n", MAX_HOLES - 1);
                exit(1);
        }
        FOREACH_WALKED_ZONE(k, i, lz)
                if (!(lz->lk->flags & UMA_ZFLAG_INTERNAL))
                        (void)each_bucket(lz, 0, fuller, &stale);
        if (stale != NULL) {
                holes[nholes][0] = (uintptr_t)stale & ~(uintptr_t)PAGE_MASK;
                holes[nholes][1] = holes[nholes][0] + PAGE_SIZE;
                nholes++;
        }
        find_unreadable();
        write_expected(write_sparse);
        if (sim_dump_core_sparse(core, (const uintptr_t (*)[2])holes, nholes) != 0) {
                perror(core);
                exit(1);
        }
}
