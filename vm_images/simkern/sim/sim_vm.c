/*
 * The simulated machine under UMA: a page arena standing in for the kernel map/arena, the
 * per-page slab pointers the kernel keeps in struct vm_page, and the CPUs (ids, domains, the
 * current CPU).  Part of the UMA simulator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sys/_sim_kern.h>
#include <sys/smp.h>
#include <sys/pcpu.h>
#include <vm/uma_int.h>
#include "sim/sim.h"

#if SIM_ERA >= 12
/* vm_phys.c: number of memory domains */
int vm_ndomains = 1;
#endif

/* ---- page arena ------------------------------------------------------------------------- */

/* page state: the owning slab/zone of UMA pages (vm_page plinks.uma of the kernel) */
struct sim_page {
        void    *zone;
        void    *slab;
        uint8_t used;
};

static char *arena;
static size_t arena_pages;
static size_t arena_used;
static size_t arena_hint;               /* lowest page that may be free */
static struct sim_page *pages;

#ifdef __LP64__
#define SIM_ARENA_DEFAULT_PAGES (64 * 1024)     /* 256 MiB of address space */
#else
#define SIM_ARENA_DEFAULT_PAGES (24 * 1024)     /* 96 MiB */
#endif

void *
sim_boot_alloc(size_t npages)
{
        void *p = mmap(NULL, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        return (p == MAP_FAILED ? NULL : p);
}

void
sim_page_arena_init(size_t npages)
{
        if (arena != NULL)
                return;
        if (npages == 0)
                npages = SIM_ARENA_DEFAULT_PAGES;
        arena = mmap(NULL, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (arena == MAP_FAILED) {
                perror("sim_page_arena_init: mmap");
                exit(1);
        }
        pages = calloc(npages, sizeof(*pages));
        if (pages == NULL) {
                perror("sim_page_arena_init");
                exit(1);
        }
        arena_pages = npages;
}

void *
sim_page_alloc(size_t npages)
{
        size_t i, run;

        sim_page_arena_init(0);
        if (npages == 0 || npages > arena_pages - arena_used)
                return (NULL);
        /* first fit from the lowest possibly free page: deterministic placement */
        run = 0;
        for (i = arena_hint; i < arena_pages; i++) {
                if (pages[i].used) {
                        run = 0;
                        continue;
                }
                if (++run == npages) {
                        size_t first = i + 1 - npages, j;

                        for (j = first; j <= i; j++)
                                pages[j].used = 1;
                        arena_used += npages;
                        if (first == arena_hint)
                                while (arena_hint < arena_pages && pages[arena_hint].used)
                                        arena_hint++;
                        /* pages handed out are zero, as fresh kernel pages would be */
                        memset(arena + first * PAGE_SIZE, 0, npages * PAGE_SIZE);
                        return (arena + first * PAGE_SIZE);
                }
        }
        return (NULL);
}

void
sim_page_free(void *va, size_t npages)
{
        size_t first, j;

        if (va == NULL)
                return;
        first = ((char *)va - arena) / PAGE_SIZE;
        for (j = first; j < first + npages && j < arena_pages; j++) {
                if (!pages[j].used) {
                        fprintf(stderr, "sim_page_free: page %zu not in use\n", j);
                        abort();
                }
                pages[j].used = 0;
                pages[j].zone = pages[j].slab = NULL;
        }
        arena_used -= npages;
        if (first < arena_hint)
                arena_hint = first;
}

size_t
sim_page_ranges(int (*pick)(int used, void *zone), uintptr_t (*out)[2], size_t max)
{
        size_t i, n = 0;

        for (i = 0; i < arena_pages; i++) {
                uintptr_t va = (uintptr_t)arena + i * PAGE_SIZE;

                if (!pick(pages[i].used, pages[i].zone))
                        continue;
                if (n > 0 && n <= max && out[n - 1][1] == va)
                        out[n - 1][1] = va + PAGE_SIZE;
                else {
                        if (n < max) {
                                out[n][0] = va;
                                out[n][1] = va + PAGE_SIZE;
                        }
                        n++;
                }
        }
        return (n);
}

size_t
sim_pages_in_use(void)
{
        return (arena_used);
}

size_t
sim_pages_free(void)
{
        sim_page_arena_init(0);
        return (arena_pages - arena_used);
}

size_t
sim_pages_total(void)
{
        sim_page_arena_init(0);
        return (arena_pages);
}

static struct sim_page *
page_of(const void *va)
{
        size_t i;

        if (arena == NULL || (const char *)va < arena)
                return (NULL);
        i = ((const char *)va - arena) / PAGE_SIZE;
        if (i >= arena_pages)
                return (NULL);
        return (&pages[i]);
}

void
sim_page_set_slab(void *va, size_t npages, void *zone, void *slab)
{
        size_t j;

        for (j = 0; j < npages; j++) {
                struct sim_page *p = page_of((char *)va + j * PAGE_SIZE);

                if (p != NULL) {
                        p->zone = zone;
                        p->slab = slab;
                }
        }
}

void
sim_page_get_slab(const void *va, void **zone, void **slab)
{
        struct sim_page *p = page_of(va);

        *zone = p ? p->zone : NULL;
        *slab = p ? p->slab : NULL;
}

/* ---- CPUs ---------------------------------------------------------------------------------- */

static int sim_ndomains = 1;
static int cur_cpu;
static int cpus_ready;
static int present_ids[MAXCPU];
static int npresent;

void
sim_set_ndomains(int ndomains)
{
        if (ndomains < 1)
                ndomains = 1;
        if (ndomains > MAXMEMDOM)
                ndomains = MAXMEMDOM;
        sim_ndomains = ndomains;
#if SIM_ERA >= 12
        vm_ndomains = ndomains;
#endif
}

void
sim_cpus_init(int ncpus, uint64_t absent)
{
        int id;

        if (ncpus < 1)
                ncpus = 1;
        npresent = 0;
        for (id = 0; id < MAXCPU && npresent < ncpus; id++) {
                if (id < 64 && (absent & ((uint64_t)1 << id)))
                        continue;
                present_ids[npresent++] = id;
        }
        if (npresent < ncpus) {
                fprintf(stderr, "sim_cpus_init: %d CPUs do not fit MAXCPU %d\n", ncpus, MAXCPU);
                exit(1);
        }
        mp_ncpus = ncpus;
        mp_maxid = present_ids[npresent - 1];
        mp_maxcpus = MAXCPU;
        CPU_ZERO(&all_cpus);
        for (id = 0; id < npresent; id++)
                CPU_SET(present_ids[id], &all_cpus);
        cur_cpu = present_ids[0];
        cpus_ready = 1;
        sim_pcpu_setup();
}

/* default machine if the scenario did not configure one: a single CPU */
void
sim_cpus_ensure(void)
{
        if (!cpus_ready)
                sim_cpus_init(1, 0);
}

void
sim_set_cpu(int cpu)
{
        sim_cpus_ensure();
        if (cpu < 0 || cpu > (int)mp_maxid || CPU_ABSENT(cpu)) {
                fprintf(stderr, "sim_set_cpu: CPU %d is not present\n", cpu);
                abort();
        }
        cur_cpu = cpu;
}

int
sim_curcpu(void)
{
        return (cur_cpu);
}

int
sim_cpu_list(int *ids, int max)
{
        int i;

        sim_cpus_ensure();
        for (i = 0; i < npresent && i < max; i++)
                ids[i] = present_ids[i];
        return (npresent);
}

/* Present CPUs are split into vm_ndomains contiguous groups of (nearly) equal size. */
int
sim_cpu_domain(int cpu)
{
        int i;

        if (sim_ndomains <= 1)
                return (0);
        for (i = 0; i < npresent; i++)
                if (present_ids[i] == cpu)
                        return (i * sim_ndomains / npresent);
        return (0);
}

int
sim_get_ndomains(void)
{
        return (sim_ndomains);
}
