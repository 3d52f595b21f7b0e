/*
 * The simulator's own interface: what the simulated kernel's parts offer each other beyond the
 * FreeBSD kernel APIs they imitate (uma(9), malloc(9), counter(9), zpcpu).
 *
 * Files:
 *   sys/vm/ (uma.h, uma_int.h, uma_core.c), sys/sys/{pcpu.h,counter.h,queue.h,smp.h},
 *   sys/kern/subr_{pcpu,counter,smp}.c, sim/sim_vm.c      the UMA allocator, CPUs, page arena
 *   sim/uma_ledger.[ch], sim/uma_views.c, sim/uma_check.c  UMA ledger, its views and checks
 *   sys/sys/malloc.h, sys/kern/kern_malloc.c               malloc(9) and its ledger
 *   the subsystem files (sys/kern/kern_mbuf.c, sys/netgraph/..., ...), modules (libalias,
 *   ng_nat), sim/scenario_*.c, sim/main.c                 what runs on the simulated kernel
 *   sim/expected.c, sim/kmem_summary.c                     expected.json
 *   sim/sim_core.c                                         the ELF core writer
 *
 * Era: every file is compiled with -DSIM_ERA=N, N one of 6, 9, 11, 12, 13, 14, 15 (FreeBSD major
 * release whose structures are reproduced), plus -m32 for the i386 images (fbsd6, fbsd11-i386).
 * SIM_MAXCPU may be set by the build (scale images); otherwise each era's MAXCPU applies.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- machine ----------------------------------------------------------------------------- */

#define SIM_PAGE_SIZE 4096

/*
 * Kernel memory: pages come from one arena mapped at start (anonymous, untouched pages stay
 * zero and the core writer trims them).  Returns page-aligned memory or NULL when the arena (the
 * kmem map/arena of the era) is exhausted; the caller counts the failure.
 */
void *sim_page_alloc(size_t npages);
/*
 * Memory the kernel takes at boot outside kmem (the pmap bootstrap's physical pages, e.g. the
 * amd64 13+ pcpu area): zeroed pages of their own mapping, never freed, not counted as kmem.
 */
void *sim_boot_alloc(size_t npages);
void sim_page_free(void *va, size_t npages);
size_t sim_pages_in_use(void);
/*
 * The arena's page ranges [start, end) whose pages `pick(used, zone of the slab)` selects,
 * adjacent pages merged, into out[max]; returns the number of ranges (more than max: cut).
 */
size_t sim_page_ranges(int (*pick)(int used, void *zone), uintptr_t (*out)[2], size_t max);

/*
 * CPUs: `ncpus` present CPUs; ids listed in `absent` (bitmask over ids < 64, may be 0) are
 * skipped, so ids run past ncpus - 1 and mp_maxid = highest present id.  Sets mp_maxid,
 * mp_ncpus, mp_maxcpus, all_cpus, cpuid_to_pcpu[], __pcpu, the pcpu pages.  Call once, first.
 */
void sim_cpus_init(int ncpus, uint64_t absent);
/* Make `cpu` (a present id) the current CPU: curcpu for per-CPU caches, counters and stats. */
void sim_set_cpu(int cpu);
int sim_curcpu(void);
/* Present CPU ids in ascending order; returns their count. */
int sim_cpu_list(int *ids, int max);
/* The memory domain of `cpu` (0 .. vm_ndomains - 1). */
int sim_cpu_domain(int cpu);
/* Number of memory domains for 12+ (1 unless set before sim_cpus_init). */
void sim_set_ndomains(int ndomains);
/*
 * Size the page arena (in pages) before the first allocation; 0 or never called: the default
 * (64Ki pages on 64-bit, 24Ki on 32-bit).  sim_pages_free() counts the pages left.
 */
void sim_page_arena_init(size_t npages);
size_t sim_pages_free(void);
/* UMA boot (internal, bucket and per-CPU zones); uma_zcreate() also boots UMA on first use. */
void sim_uma_startup(void);
/*
 * Periodic UMA upkeep (the kernel's uma_timeout): trims each zone's bucket cache down to a
 * small working set, returning the surplus items to their kegs' slabs.
 */
void sim_uma_tick(void);
/*
 * The low-memory handler's uma_reclaim of the era (vm_lowmem when kmem runs out): 10+ drains
 * every CPU's caches into the zones, then every zone's bucket cache goes back to the kegs and
 * every keg's free slabs go back to the page arena (bucket zones last).
 */
void sim_uma_reclaim(void);
/* internal: set up struct pcpu of the present CPUs (called by sim_cpus_init) */
void sim_pcpu_setup(void);

/* ---- UMA ledger and views ---------------------------------------------------------------- */

/*
 * Views of the zone statistics (vm_images/GROUND_TRUTH.md):
 *   SIM_VIEW_TRUE   the kernel's own live statistics, every free item counted once
 *   SIM_VIEW_WHERE  the true view plus free-cpu / free-zone / free-keg
 *   SIM_VIEW_KVM    what vmstat -M of the era prints from a core, quirks included
 */
enum sim_view { SIM_VIEW_TRUE, SIM_VIEW_WHERE, SIM_VIEW_KVM };

/*
 * Write the JSON array of zone rows (without the surrounding container), in vmstat order,
 * computed from the UMA ledger, never from the kernel structures.
 */
void sim_uma_write_zones(FILE *f, enum sim_view view);
/* Write the text `vmstat -M core -z` of the era prints for the kvm view. */
void sim_uma_write_vmstat(FILE *f);
/* Write the rows ddb's `show uma` counts, in walk order (GROUND_TRUTH.md, "show uma"). */
void sim_uma_write_ddb(FILE *f);
/* Write the "kegs" ledger array (GROUND_TRUTH.md, ledger). */
void sim_uma_write_kegs(FILE *f);
/*
 * Check the UMA ledger's invariants (items carved from slabs == used + every kind of free,
 * limits respected, failures only where limits bite, per-CPU sums) and the kernel structures
 * (bucket caches, per-CPU buckets, counters, keg free counts) against the ledger.
 * Prints each violation to `err`; returns the number of violations.
 */
int sim_uma_check(FILE *err);

/* ---- malloc ledger -------------------------------------------------------------------------- */

/* Write the JSON array of malloc type rows for `view` (SIM_VIEW_TRUE or SIM_VIEW_KVM). */
void sim_malloc_write_types(FILE *f, enum sim_view view);
/* Write the text `vmstat -M core -m` of the era prints (kvm view, on a terminal). */
void sim_malloc_write_vmstat(FILE *f);

/* ---- vmstat text (sim/vmstat_text.c) ------------------------------------------------------- */

/* One row as vmstat's libmemstat computed it; rows are given in print order. */
struct sim_vmstat_zone {
        const char      *name;
        uint64_t        size, limit, used, free, requests, fail, sleep, xdomain;
};
struct sim_vmstat_type {
        const char      *name;
        uint64_t        in_use, bytes, requests;
        uint64_t        size_mask;      /* bit i: kmemzones[i] was used */
};
/* The era's vmstat -z / -m text of `rows`; `zone_sizes` are kmemzones[].kz_size (n_sizes). */
void sim_vmstat_zones(FILE *f, const struct sim_vmstat_zone *rows, int n);
void sim_vmstat_malloc(FILE *f, const struct sim_vmstat_type *rows, int n,
    const int *zone_sizes, int n_sizes);
int sim_malloc_check(FILE *err);

/* ---- cores ------------------------------------------------------------------------------------ */

/*
 * Write an ELF core of the calling process to `path` (ELF class and machine of the build):
 * PT_NOTE (NT_PRSTATUS with the caller's registers, NT_PRPSINFO, NT_AUXV, NT_FILE) and a PT_LOAD
 * per readable mapping, trailing zero pages trimmed (p_filesz < p_memsz).  Read-only file-backed
 * mappings are kept for the executable and for files in its directory tree (modules), so string
 * literals such as zone names are in the core; other libraries' read-only mappings are left out.
 * The process keeps running afterwards.  Returns 0, or -1 with errno set.
 */
int sim_dump_core(const char *path);
/*
 * The same core without the address ranges [holes[i][0], holes[i][1]) (page aligned): no
 * PT_LOAD covers them, so a debugger cannot read there, as in a minidump (sim/sparse.c).
 */
int sim_dump_core_sparse(const char *path, const uintptr_t (*holes)[2], size_t nholes);

/*
 * Write `core` as a minidump would hold it (sim/sparse.c) and have `write_expected` write its
 * ground truth, passing the writer of the "sparse" object to add.
 */
void sim_write_sparse(const char *core, void (*write_expected)(void (*extra)(FILE *)));

/* ---- helpers ---------------------------------------------------------------------------------- */

/* Write `s` as a JSON string literal (quoted, escaped). */
void sim_json_string(FILE *f, const char *s);

#endif /* SIM_SIM_H */
