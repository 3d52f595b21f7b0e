/*
 * The pcpu area (FreeBSD's sys/kern/subr_pcpu.c and the amd64/i386 machdep.c parts): the
 * struct pcpu of each CPU, cpuid_to_pcpu[], the cpuhead list, 8+ each CPU's copy of the DPCPU
 * set (dpcpu_off[]) and, 12+, the per-CPU UMA zones that counter(9) and other zpcpu users
 * allocate from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/pcpu.h>
#include <vm/uma.h>
#include "sim/sim.h"

struct cpuhead cpuhead;
struct pcpu *cpuid_to_pcpu[MAXCPU];

#if SIM_ERA >= 8
uintptr_t dpcpu_off[MAXCPU];

/* The set's reserve for the DPCPU variables of modules loaded later (dpcpu_alloc). */
DPCPU_DEFINE_STATIC(char, modspace[DPCPU_MODMIN]) __aligned(sizeof(void *));
#endif

#if SIM_ERA >= 13 && SIM_AMD64
/* amd64 13+ machdep.c: the pcpu pages are allocated at boot and reached through a pointer */
struct pcpu *__pcpu;
#else
/* machdep.c: a static array, one struct pcpu per possible CPU */
struct pcpu __pcpu[MAXCPU];
#endif

#if SIM_ERA >= 13
#if SIM_ERA >= 14
uma_zone_t pcpu_zone_4;
#endif
uma_zone_t pcpu_zone_8;
uma_zone_t pcpu_zone_16;
uma_zone_t pcpu_zone_32;
uma_zone_t pcpu_zone_64;
#elif SIM_ERA >= 12
uma_zone_t pcpu_zone_64;
#endif

int sim_cpu_domain(int cpu);

void
pcpu_init(struct pcpu *pcpu, int cpuid, size_t size)
{
        memset(pcpu, 0, size);
        pcpu->pc_cpuid = cpuid;
        cpuid_to_pcpu[cpuid] = pcpu;
#if SIM_ERA <= 7
        pcpu->pc_cpumask = 1u << cpuid;
        SLIST_INSERT_HEAD(&cpuhead, pcpu, pc_allcpu);
#else
        STAILQ_INSERT_TAIL(&cpuhead, pcpu, pc_allcpu);
        pcpu->pc_domain = sim_cpu_domain(cpuid);
#endif
        pcpu->pc_prvspace = pcpu;
#if SIM_ERA >= 13
        pcpu->pc_zpcpu_offset = zpcpu_offset_cpu(cpuid);
#endif
}

struct pcpu *
pcpu_find(u_int cpuid)
{
        return (cpuid_to_pcpu[cpuid]);
}

#if SIM_ERA >= 8
/* CPU `cpuid`'s DPCPU area: its offset from the set, and the set's initial values copied in. */
void
dpcpu_init(void *dpcpu, int cpuid)
{
        struct pcpu *pcpu = pcpu_find(cpuid);

        pcpu->pc_dynamic = (uintptr_t)dpcpu - DPCPU_START;
        memcpy(dpcpu, (void *)DPCPU_START, DPCPU_BYTES);
        dpcpu_off[cpuid] = pcpu->pc_dynamic;
}

/*
 * The DPCPU areas of the present CPUs, DPCPU_SIZE bytes each: the boot CPU's from the pages
 * machdep's early boot takes after the kernel, the others' from kmem_malloc when the APs
 * start.  Neither is a UMA or malloc(9) allocation nor counted in the kmem the ledgers model,
 * so both are boot pages here.
 */
static void
dpcpu_setup(const int *ids, int n)
{
        int i;

        for (i = 0; i < n; i++) {
                void *dpcpu = sim_boot_alloc(DPCPU_SIZE / PAGE_SIZE);

                if (dpcpu == NULL) {
                        fprintf(stderr, "sim_pcpu_setup: no memory for CPU %d's DPCPU area\n",
                            ids[i]);
                        exit(1);
                }
                dpcpu_init(dpcpu, ids[i]);
        }
}
#endif

/* Called by sim_cpus_init() once the present CPUs are known. */
void
sim_pcpu_setup(void)
{
        int ids[MAXCPU], n, i;

#if SIM_ERA >= 13 && SIM_AMD64
        /* MAXCPU pages, one struct pcpu each, allocated at boot before kmem exists */
        __pcpu = sim_boot_alloc(MAXCPU * sizeof(struct pcpu) / PAGE_SIZE);
        if (__pcpu == NULL) {
                fprintf(stderr, "sim_pcpu_setup: no memory for the pcpu area\n");
                exit(1);
        }
#endif
#if SIM_ERA <= 7
        SLIST_INIT(&cpuhead);
#else
        STAILQ_INIT(&cpuhead);
#endif
        n = sim_cpu_list(ids, MAXCPU);
        for (i = 0; i < n; i++)
                pcpu_init(&__pcpu[ids[i]], ids[i], sizeof(struct pcpu));
#if SIM_ERA >= 8
        dpcpu_setup(ids, n);
#endif
#if SIM_ERA <= 7
        for (i = 0; i < n; i++)
                __pcpu[ids[i]].pc_other_cpus = all_cpus & ~(1u << ids[i]);
#endif
}

#if SIM_ERA >= 12
/* subr_pcpu.c pcpu_zones_startup(): the general per-CPU zones */
void
pcpu_zones_startup(void)
{
#if SIM_ERA >= 13
#if SIM_ERA >= 14
        pcpu_zone_4 = uma_zcreate("pcpu-4", 4, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR,
            UMA_ZONE_PCPU);
#endif
        pcpu_zone_8 = uma_zcreate("pcpu-8", 8, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR,
            UMA_ZONE_PCPU);
        pcpu_zone_16 = uma_zcreate("pcpu-16", 16, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR,
            UMA_ZONE_PCPU);
        pcpu_zone_32 = uma_zcreate("pcpu-32", 32, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR,
            UMA_ZONE_PCPU);
        pcpu_zone_64 = uma_zcreate("pcpu-64", 64, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR,
            UMA_ZONE_PCPU);
#else
        pcpu_zone_64 = uma_zcreate("64 pcpu", sizeof(uint64_t), NULL, NULL, NULL, NULL,
            UMA_ALIGN_PTR, UMA_ZONE_PCPU);
#endif
}
#endif
