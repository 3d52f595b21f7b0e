/*
 * The zone views of expected.json (GROUND_TRUTH.md) and the keg ledger, written from the UMA
 * ledger (sim/uma_ledger.h): row_true is the kernel's own live statistics, row_kvm what the
 * era's libmemstat kvm path (vmstat -M) computes, quirks included.
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

struct zrow {
        const char      *name;
        uint64_t        size, limit, used, free, requests, fail, sleep, xdomain;
        uint64_t        free_cpu, free_zone, free_keg;
};

static void
row_true(struct lzone *lz, int first_on_keg, struct zrow *r)
{
        struct lkeg *lk = lz->lk;
        uint64_t frees;

        memset(r, 0, sizeof(*r));
        r->name = lz->name;
        r->size = lk ? lk->size : lz->size;
#if SIM_ERA <= 12
        r->limit = lk && lk->maxpages ? (uint64_t)(lk->maxpages / lk->ppera) * lk->ipers : 0;
#else
        r->limit = lz->max_items;
#endif
        r->requests = sum_cpus(lz->zl_allocs, MAXCPU) + sum_cpus(lz->uc_allocs, MAXCPU);
        frees = sum_cpus(lz->zl_frees, MAXCPU) + sum_cpus(lz->uc_frees, MAXCPU);
        r->used = r->requests - frees;
        r->free_cpu = sum_cpus(lz->cpu_free, MAXCPU);
        r->free_zone = lz->zone_free + lz->cross_free;
        r->free_keg = (lk && first_on_keg) ? lk->free_items : 0;
        r->free = r->free_cpu + r->free_zone + r->free_keg;
        r->fail = sum_cpus(lz->zl_fails, MAXCPU);
        r->sleep = lz->sleeps;
        r->xdomain = sum_cpus(lz->zl_xdomain, MAXCPU);
}

/* What libmemstat's kvm path of the era computes (freebsd-kmem-abi.md §5, §9). */
static void
row_kvm(struct lzone *lz, int first_on_keg, struct zrow *r)
{
        struct lkeg *lk = lz->lk;
        uint64_t allocs, frees;
        int internal = (lk->flags & UMA_ZFLAG_INTERNAL) != 0;

        memset(r, 0, sizeof(*r));
        r->name = lz->name;
        r->size = lk->size;
#if SIM_ERA <= 12
        /* the LIMIT quirk: multi-page slabs divide pages by items per slab */
        r->limit = lk->ppera > 1 ? lk->maxpages / lk->ipers : (uint64_t)lk->maxpages * lk->ipers;
        allocs = sum_cpus(lz->zl_allocs, MAXCPU);
        frees = sum_cpus(lz->zl_frees, MAXCPU);
        r->fail = sum_cpus(lz->zl_fails, MAXCPU);
#if SIM_ERA >= 10 && !defined(__LP64__)
        /* volatile u_long zone counters are 32 bits on i386 */
        allocs = (uint32_t)allocs;
        frees = (uint32_t)frees;
        r->fail = (uint32_t)r->fail;
#endif
#else
        /* counter(9) fetches of libkvm sum CPUs 0 .. mp_ncpus - 1 only */
        r->limit = lz->max_items;
        allocs = sum_cpus(lz->zl_allocs, mp_ncpus);
        frees = sum_cpus(lz->zl_frees, mp_ncpus);
        r->fail = sum_cpus(lz->zl_fails, mp_ncpus);
        r->xdomain = sum_cpus(lz->zl_xdomain, mp_ncpus);
        if (allocs < frees)
                allocs = frees;
#endif
        if (!internal) {
                allocs += sum_present(lz->uc_allocs);
                frees += sum_present(lz->uc_frees);
                r->free_cpu = sum_present(lz->cpu_free);
        }
        r->free_zone = lz->zone_free;           /* 13+: uzd_cross is not counted */
#if SIM_ERA <= 12
        /* keg free unless the keg carries the SECONDARY flag and this is not its first zone */
        if (!((lk->flags & UMA_ZONE_SECONDARY) && !first_on_keg))
                r->free_keg = lk->free_items;
#endif
        r->requests = allocs;
        r->used = allocs - frees;
        r->free = r->free_cpu + r->free_zone + r->free_keg;
        r->sleep = lz->sleeps;
}

static void
write_u64_or_null(FILE *f, const char *key, uint64_t v, int isnull)
{
        if (isnull)
                fprintf(f, ", \"%s\": null", key);
        else
                fprintf(f, ", \"%s\": %" PRIu64, key, v);
}

static void
write_row(FILE *f, const struct zrow *r, enum sim_view view)
{
        fputs("{\"name\": ", f);
        sim_json_string(f, r->name);
        fprintf(f, ", \"size\": %" PRIu64 ", \"limit\": %" PRIu64 ", \"used\": %" PRIu64
            ", \"free\": %" PRIu64 ", \"requests\": %" PRIu64 ", \"fail\": %" PRIu64,
            r->size, r->limit, r->used, r->free, r->requests, r->fail);
        write_u64_or_null(f, "sleep", r->sleep, SIM_ERA < 9);
        write_u64_or_null(f, "xdomain", r->xdomain, SIM_ERA < 13);
        fprintf(f, ", \"memory\": %" PRIu64 ", \"total\": %" PRIu64,
            r->used * r->size, (r->used + r->free) * r->size);
        if (view == SIM_VIEW_WHERE)
                fprintf(f, ", \"free-cpu\": %" PRIu64 ", \"free-zone\": %" PRIu64
                    ", \"free-keg\": %" PRIu64 ", \"free-cpu-bytes\": %" PRIu64
                    ", \"free-zone-bytes\": %" PRIu64 ", \"free-keg-bytes\": %" PRIu64,
                    r->free_cpu, r->free_zone, r->free_keg, r->free_cpu * r->size,
                    r->free_zone * r->size, r->free_keg * r->size);
        fputc('}', f);
}

/* The rows of `view` in the kernel walk's order (vmstat prints them reversed); returns n. */
static int
zone_rows(enum sim_view view, struct zrow **out)
{
        struct zrow *rows;
        struct lzone *lz, *cz[1024];
        int n = 0, k, i, ncz = 0, max = 64;

        sim_uma_startup();
        for (k = 0; k < nlkegs; k++)
                max += lkegs[k]->nzones;
        for (lz = lcache_first; lz != NULL; lz = lz->next_cache)
                cz[ncz++] = lz;
        max += ncz;
        rows = calloc(max, sizeof(*rows));
        /* the kernel walk: kegs newest first, each keg's zones in list order */
        for (k = nlkegs - 1; k >= 0; k--)
                for (i = 0; i < lkegs[k]->nzones; i++) {
                        if (view == SIM_VIEW_KVM)
                                row_kvm(lkegs[k]->zones[i], i == 0, &rows[n++]);
                        else
                                row_true(lkegs[k]->zones[i], i == 0, &rows[n++]);
                }
        /* the sysctl path also visits the cache-only zones, newest first */
        if (view != SIM_VIEW_KVM)
                for (i = ncz - 1; i >= 0; i--)
                        row_true(cz[i], 0, &rows[n++]);
        *out = rows;
        return (n);
}

void
sim_uma_write_zones(FILE *f, enum sim_view view)
{
        struct zrow *rows;
        int n = zone_rows(view, &rows), i;

        /* printed in reverse: libmemstat prepends each record */
        fputc('[', f);
        for (i = n - 1; i >= 0; i--) {
                fputs(i == n - 1 ? "\n  " : ",\n  ", f);
                write_row(f, &rows[i], view);
        }
        fputs(n ? "\n]" : "]", f);
        free(rows);
}

/*
 * What ddb's `show uma` counts (db_show_uma of the era, report/ddb.py), from the ledger: zones on
 * kegs only, in walk order (13+ ddb sorts them itself); Free is the true view's without the
 * domains' uzd_cross buckets, XFree (13+) the items in per-CPU cross buckets plus uz_xdomain.
 */
void
sim_uma_write_ddb(FILE *f)
{
        struct zrow r;
        struct lzone *lz;
        int k, i, n = 0;

        sim_uma_startup();
        fputc('[', f);
        for (k = nlkegs - 1; k >= 0; k--)
                for (i = 0; i < lkegs[k]->nzones; i++) {
                        lz = lkegs[k]->zones[i];
                        row_true(lz, i == 0, &r);
                        fputs(n++ ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
                        sim_json_string(f, r.name);
                        fprintf(f, ", \"size\": %" PRIu64 ", \"used\": %" PRIu64
                            ", \"free\": %" PRIu64 ", \"requests\": %" PRIu64,
                            r.size, r.used, r.free - lz->cross_free, r.requests);
                        write_u64_or_null(f, "sleep", r.sleep, SIM_ERA < 9);
                        write_u64_or_null(f, "xfree",
                            sum_cpus(lz->cpu_cross, MAXCPU) + r.xdomain, SIM_ERA < 13);
                        fputc('}', f);
                }
        fputs(n ? "\n]" : "]", f);
}

void
sim_uma_write_kegs(FILE *f)
{
        int k, i;

        sim_uma_startup();
        fputc('[', f);
        for (k = nlkegs - 1; k >= 0; k--) {
                struct lkeg *lk = lkegs[k];

                fputs(k == nlkegs - 1 ? "\n  {\"name\": " : ",\n  {\"name\": ", f);
                sim_json_string(f, lk->name);
                fputs(", \"zones\": [", f);
                for (i = 0; i < lk->nzones; i++) {
                        if (i)
                                fputs(", ", f);
                        sim_json_string(f, lk->zones[i]->name);
                }
                fprintf(f, "], \"size\": %u, \"rsize\": %u, \"ipers\": %u, \"ppera\": %u"
                    ", \"pages\": %" PRIu64 ", \"slabs\": %" PRIu64 ", \"free_items\": %" PRIu64
                    ", \"flags\": %u, \"internal\": %s, \"secondary\": %s}",
                    lk->size, lk->rsize, lk->ipers, lk->ppera, lk->pages, lk->slabs,
                    lk->free_items, lk->flags,
                    (lk->flags & UMA_ZFLAG_INTERNAL) ? "true" : "false",
                    lk->secondary ? "true" : "false");
        }
        fputs(nlkegs ? "\n]" : "]", f);
}

void
sim_uma_write_vmstat(FILE *f)
{
        struct zrow *rows;
        struct sim_vmstat_zone *v;
        int n = zone_rows(SIM_VIEW_KVM, &rows), i;

        v = calloc(n + 1, sizeof(*v));
        for (i = 0; i < n; i++) {
                const struct zrow *r = &rows[n - 1 - i];

                v[i] = (struct sim_vmstat_zone){ r->name, r->size, r->limit, r->used, r->free,
                    r->requests, r->fail, r->sleep, r->xdomain };
        }
        sim_vmstat_zones(f, v, n);
        free(v);
        free(rows);
}
