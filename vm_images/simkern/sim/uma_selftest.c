/*
 * Self-test of the UMA simulator (UMA part): builds a small machine with a sparse CPU id and,
 * on 12+, two memory domains; creates ordinary, secondary, limited, per-CPU and cache-only
 * zones; allocates and frees across CPUs; prints the three views and checks the ledger and,
 * debug only, the kernel structures against it.
 *
 *   cc -DSIM_ERA=13 -g -O0 -I vm_images/simkern/sys -I vm_images/simkern \
 *      vm_images/simkern/sim/uma_selftest.c vm_images/simkern/sim/sim_vm.c \
 *      vm_images/simkern/sys/vm/uma_core.c vm_images/simkern/sys/kern/subr_*.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/_sim_kern.h>
#include <sys/smp.h>
#include <sys/pcpu.h>
#include <sys/counter.h>
#include <vm/uma.h>
#include <vm/uma_int.h>
#include "sim/sim.h"

int sim_uma_selftest(FILE *err);

/* The malloc/scenario part provides this in sim/expected.c; a stand-in for the test. */
__attribute__((weak)) void
sim_json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fputc('\\', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

#if SIM_ERA >= 10
/* a cache-only zone backed by an ordinary zone, like the mbuf packet or jumbo caches */
static uma_zone_t backing;
#if SIM_ERA >= 12
static int
imp(void *arg, void **store, int count, int domain, int flags)
#else
static int
imp(void *arg, void **store, int count, int flags)
#endif
{
        int i;

        (void)arg;
        for (i = 0; i < count; i++)
                if ((store[i] = uma_zalloc(backing, flags)) == NULL)
                        break;
        return (i);
}

static void
rel(void *arg, void **store, int count)
{
        int i;

        (void)arg;
        for (i = 0; i < count; i++)
                uma_zfree(backing, store[i]);
}
#endif

#define NITEMS  3000

int
main(int argc, char **argv)
{
        static void *items[NITEMS], *big[8], *lim[64];
        uma_zone_t z1, z2, zsec, zlim;
        int cpus[MAXCPU], ncpu, i, r, bad;
        unsigned seed = 1;

        /* usage: uma_selftest [ncpus [ndomains [arena_pages [pause]]]] */
        int want = argc > 1 ? atoi(argv[1]) : 4;
        int ndom = argc > 2 ? atoi(argv[2]) : 2;
        size_t arena = argc > 3 ? (size_t)atol(argv[3]) : 0;

        sim_page_arena_init(arena);
#if SIM_ERA >= 12
        sim_set_ndomains(ndom);
#else
        (void)ndom;
#endif
        /* CPU id 2 is absent: ids 0, 1, 3, 4, ... */
        sim_cpus_init(want, 1u << 2);
        sim_uma_startup();
        ncpu = sim_cpu_list(cpus, MAXCPU);

        z1 = uma_zcreate("test_256", 256, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
        z2 = uma_zcreate("test_1200", 1200, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
        zsec = uma_zsecond_create("test_256_sec", NULL, NULL, NULL, NULL, z1);
        zlim = uma_zcreate("test_limited", 512, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
        printf("limit set: %d\n", uma_zone_set_max(zlim, 40));
#if SIM_ERA >= 10
        backing = uma_zcreate("test_backing", 2048, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
        {
                uma_zone_t zc = uma_zcache_create("test_cache", 2048, NULL, NULL, NULL, NULL,
                    imp, rel, NULL, 0);
                void *c[50];

                for (i = 0; i < 50; i++) {
                        sim_set_cpu(cpus[i % ncpu]);
                        c[i] = uma_zalloc(zc, M_NOWAIT);
                }
                for (i = 0; i < 50; i += 2) {
                        sim_set_cpu(cpus[(i / 3) % ncpu]);
                        uma_zfree(zc, c[i]);
                }
        }
#endif
        /* churn across CPUs: allocate on one CPU, free on another */
        for (r = 0; r < 6; r++) {
                for (i = 0; i < NITEMS; i++) {
                        seed = seed * 1103515245 + 12345;
                        sim_set_cpu(cpus[(seed >> 16) % ncpu]);
                        if (items[i] == NULL)
                                items[i] = uma_zalloc((i % 3) == 0 ? z2 : (i % 3) == 1 ? z1 : zsec,
                                    M_WAITOK);
                        else if ((seed >> 8) % 3 != 0) {
                                uma_zfree((i % 3) == 0 ? z2 : (i % 3) == 1 ? z1 : zsec, items[i]);
                                items[i] = NULL;
                        }
                }
                sim_uma_tick();
        }
        /* the limited zone: NOWAIT failures and WAITOK sleeps at the limit */
        for (i = 0; i < 64; i++) {
                sim_set_cpu(cpus[i % ncpu]);
                lim[i] = uma_zalloc(zlim, i < 50 ? M_NOWAIT : M_WAITOK);
        }
        for (i = 0; i < 64; i += 2)
                uma_zfree(zlim, lim[i]);
        for (i = 0; i < 8; i++)
                big[i] = uma_large_malloc(20000 + i * 4096, M_WAITOK);
        for (i = 0; i < 8; i += 2)
                uma_large_free(big[i]);
#if SIM_ERA >= 12
        {
                counter_u64_t c = counter_u64_alloc(M_WAITOK);

                for (i = 0; i < ncpu; i++) {
                        sim_set_cpu(cpus[i]);
                        counter_u64_add(c, i + 1);
                }
                printf("counter sum %ju (expect %d)\n", (uintmax_t)counter_u64_fetch(c),
                    ncpu * (ncpu + 1) / 2);
        }
#endif
        /* memory pressure: exhaust the arena, bucket allocations fail first (M_NOVM) */
        {
                uma_zone_t zp = uma_zcreate("test_pressure", 200, NULL, NULL, NULL, NULL,
                    UMA_ALIGN_PTR, 0);
                static void *pv[200000];
                int n = 0, got = 0;

                for (i = 0; i < 200000; i++) {
                        sim_set_cpu(cpus[(i / 7) % ncpu]);
                        if ((pv[got] = uma_zalloc(zp, M_NOWAIT)) != NULL)
                                got++;
                        else if (++n > 20)
                                break;
                }
                printf("pressure: %d allocations before 20 failures, %zu pages free\n", got,
                    sim_pages_free());
                /* frees need empty buckets, which cannot be had now: items go to the keg */
                for (i = 0; i < got; i += 2) {
                        sim_set_cpu(cpus[(i / 5) % ncpu]);
                        uma_zfree(zp, pv[i]);
                }
        }
        printf("\"uma-zones\": ");
        sim_uma_write_zones(stdout, SIM_VIEW_TRUE);
        printf("\n\"uma-zones --compat kvm\": ");
        sim_uma_write_zones(stdout, SIM_VIEW_KVM);
        printf("\n\"uma-zones --where\": ");
        sim_uma_write_zones(stdout, SIM_VIEW_WHERE);
        printf("\n\"kegs\": ");
        sim_uma_write_kegs(stdout);
        printf("\n");
        bad = sim_uma_check(stderr);
        bad += sim_uma_selftest(stderr);
        printf("violations: %d\n", bad);
        fflush(stdout);
        if (argc > 4)
                pause();
        return (bad != 0);
}
