/*
 * struct pcpu and the zpcpu accessors, following FreeBSD's <sys/pcpu.h> with the amd64/i386
 * <machine/pcpu.h> fields reduced to a few named members and padding.
 *
 *  6.x        (sys/sys/pcpu.h 6.x): SLIST pc_allcpu, pc_cpumask/pc_other_cpus.
 *  9.x-11.x   (sys/sys/pcpu.h 9-11): STAILQ pc_allcpu, pc_cp_time, pc_domain, pc_dynamic.
 *  12.x       (sys/sys/pcpu.h 12): + pc_early_dummy_counter; sizeof(struct pcpu) == PAGE_SIZE
 *             on x86 (asserted there, since counter(9) and UMA_ZONE_PCPU rely on it).
 *  13.x/14.x  (sys/sys/pcpu.h 13/14): + pc_sched, pc_zpcpu_offset; amd64 keeps the pcpu area
 *             behind the pointer variable __pcpu (amd64/include/pcpu_aux.h) and zpcpu
 *             "pointers" are offsets from its value.
 */
#ifndef _SYS_PCPU_H_
#define _SYS_PCPU_H_

#include <sys/queue.h>
#include <sys/smp.h>

struct thread;
struct pcb;
struct lock_list_entry;
struct device;
struct pmap;

#define CPUSTATES       5

/* rmlock tracker list head (<sys/_rmlock.h>) */
struct rm_queue {
        struct rm_queue *volatile rmq_next;
        struct rm_queue *volatile rmq_prev;
};

#if SIM_ERA <= 7
#define SIM_PCPU_FIELDS                                                 \
        struct thread   *pc_curthread;          /* current thread */    \
        struct thread   *pc_idlethread;         /* idle thread */       \
        struct thread   *pc_fpcurthread;        /* FPU owner */         \
        struct thread   *pc_deadthread;         /* zombie thread */     \
        struct pcb      *pc_curpcb;             /* current pcb */       \
        uint64_t        pc_switchtime;          /* cpu_ticks at switch */ \
        int             pc_switchticks;         /* ticks at switch */   \
        u_int           pc_cpuid;               /* this CPU's id */     \
        cpumask_t       pc_cpumask;             /* 1 << pc_cpuid */     \
        cpumask_t       pc_other_cpus;          /* all_cpus minus self */ \
        SLIST_ENTRY(pcpu) pc_allcpu;                                    \
        struct lock_list_entry *pc_spinlocks;                           \
        /* i386 machine-dependent part */                               \
        struct pcpu     *pc_prvspace;           /* self-reference */    \
        struct pmap     *pc_curpmap;                                    \
        char            pc_common_tss[104];                             \
        uint64_t        pc_common_tssd;                                 \
        uint64_t        *pc_tss_gdt;                                    \
        int             pc_currentldt;                                  \
        u_int           pc_acpi_id;                                     \
        u_int           pc_apic_id;
#else
#if SIM_ERA >= 13
#define SIM_PCPU_SCHED  void *pc_sched;         /* scheduler state */
#else
#define SIM_PCPU_SCHED
#endif
#if SIM_ERA >= 12
#define SIM_PCPU_EARLY  uint64_t pc_early_dummy_counter; /* counter(9) before pcpu zones */
#else
#define SIM_PCPU_EARLY
#endif
#if SIM_ERA >= 13
#define SIM_PCPU_ZPCPU  uintptr_t pc_zpcpu_offset;       /* zpcpu base of this CPU */
#else
#define SIM_PCPU_ZPCPU
#endif
#define SIM_PCPU_FIELDS                                                 \
        struct thread   *pc_curthread;                                  \
        struct thread   *pc_idlethread;                                 \
        struct thread   *pc_fpcurthread;                                \
        struct thread   *pc_deadthread;                                 \
        struct pcb      *pc_curpcb;                                     \
        SIM_PCPU_SCHED                                                  \
        uint64_t        pc_switchtime;                                  \
        int             pc_switchticks;                                 \
        u_int           pc_cpuid;               /* this CPU's id */     \
        STAILQ_ENTRY(pcpu) pc_allcpu;                                   \
        struct lock_list_entry *pc_spinlocks;                           \
        long            pc_cp_time[CPUSTATES];  /* statclock ticks */   \
        struct device   *pc_device;                                     \
        void            *pc_netisr;                                     \
        int             pc_unused1;                                     \
        int             pc_domain;              /* memory domain */     \
        struct rm_queue pc_rm_queue;                                    \
        uintptr_t       pc_dynamic;             /* DPCPU offset */      \
        SIM_PCPU_EARLY                                                  \
        SIM_PCPU_ZPCPU                                                  \
        /* x86 machine-dependent part (abridged) */                     \
        struct pcpu     *pc_prvspace;           /* self-reference */    \
        struct pmap     *pc_curpmap;                                    \
        u_int           pc_apic_id;                                     \
        u_int           pc_acpi_id;
#endif

#if SIM_ERA >= 12
/* The shape of the fields, to size the padding that makes struct pcpu one page. */
struct __pcpu_fields {
        SIM_PCPU_FIELDS
};
struct pcpu {
        SIM_PCPU_FIELDS
        char            __pad[PAGE_SIZE - sizeof(struct __pcpu_fields)];
} __aligned(CACHE_LINE_SIZE);
_Static_assert(sizeof(struct pcpu) == PAGE_SIZE, "struct pcpu must be one page on x86");
#elif SIM_ERA >= 10
struct pcpu {
        SIM_PCPU_FIELDS
} __aligned(CACHE_LINE_SIZE);
#else
struct pcpu {
        SIM_PCPU_FIELDS
};
#endif

#if SIM_ERA <= 7
SLIST_HEAD(cpuhead, pcpu);
#else
STAILQ_HEAD(cpuhead, pcpu);
#endif

extern struct cpuhead cpuhead;
extern struct pcpu *cpuid_to_pcpu[MAXCPU];

/* The pcpu area: amd64 13+ a pointer variable, otherwise an array (machdep.c). */
#if SIM_ERA >= 13 && SIM_AMD64
extern struct pcpu *__pcpu;
#else
extern struct pcpu __pcpu[MAXCPU];
#endif

#if SIM_ERA >= 8
/*
 * Dynamic per-CPU data (DPCPU, 8.0+): DPCPU_DEFINE(t, n) puts variable pcpu_entry_<n> in the
 * linker set "set_pcpu", whose bounds the linker provides as __start_set_pcpu and
 * __stop_set_pcpu.  The set is only the template: dpcpu_init() gives every CPU a copy of it
 * (DPCPU_SIZE bytes) and records the copy's distance from the set in dpcpu_off[cpu] and the
 * CPU's pc_dynamic, so CPU i's instance of n is at &pcpu_entry_<n> + dpcpu_off[i].  The set
 * includes subr_pcpu.c's DPCPU_MODMIN-byte reserve for modules' DPCPU variables (where the linker
 * places it among the others is not fixed).
 */
#define DPCPU_SETNAME           "set_pcpu"
#define DPCPU_SYMPREFIX         "pcpu_entry_"
#define DPCPU_NAME(n)           pcpu_entry_##n
#define DPCPU_SECTION           __attribute__((section(DPCPU_SETNAME), used))
#define DPCPU_DEFINE(t, n)      t DPCPU_NAME(n) DPCPU_SECTION
#define DPCPU_DEFINE_STATIC(t, n) static t DPCPU_NAME(n) DPCPU_SECTION

extern uintptr_t *__start_set_pcpu __attribute__((visibility("hidden")));
extern uintptr_t *__stop_set_pcpu __attribute__((visibility("hidden")));
#define DPCPU_START             ((uintptr_t)&__start_set_pcpu)
#define DPCPU_STOP              ((uintptr_t)&__stop_set_pcpu)
#define DPCPU_BYTES             (DPCPU_STOP - DPCPU_START)
#define DPCPU_MODMIN            2048
#define DPCPU_SIZE              roundup2(DPCPU_BYTES, PAGE_SIZE)

/* CPU i's instance of DPCPU variable n. */
#define DPCPU_ID_PTR(i, n)                                              \
        ((__typeof(DPCPU_NAME(n)) *)(dpcpu_off[(i)] + (uintptr_t)&DPCPU_NAME(n)))

extern uintptr_t dpcpu_off[MAXCPU];
void dpcpu_init(void *dpcpu, int cpuid);
#endif /* SIM_ERA >= 8 */

/* The current CPU (the simulator's stand-in for PCPU_GET(cpuid)). */
int sim_curcpu(void);
#define curcpu          ((u_int)sim_curcpu())

struct pcpu *pcpu_find(u_int cpuid);
void pcpu_init(struct pcpu *pcpu, int cpuid, size_t size);

#if SIM_ERA >= 12
/*
 * Items of UMA_ZONE_PCPU zones are replicated at UMA_PCPU_ALLOC_SIZE strides, one copy per
 * CPU id up to mp_maxid.
 */
#define UMA_PCPU_ALLOC_SIZE     PAGE_SIZE

#if SIM_ERA >= 13 && SIM_AMD64
/* amd64 13+ (pcpu_aux.h / pcpu.h): stored zpcpu values are offsets from the value of __pcpu */
#define zpcpu_offset_cpu(cpu)   ((uintptr_t)&__pcpu[0] + UMA_PCPU_ALLOC_SIZE * (cpu))
#define zpcpu_base_to_offset(base) ((void *)((uintptr_t)(base) - (uintptr_t)&__pcpu[0]))
#define zpcpu_offset_to_base(base) ((void *)((uintptr_t)(base) + (uintptr_t)&__pcpu[0]))
#else
#define zpcpu_offset_cpu(cpu)   ((uintptr_t)UMA_PCPU_ALLOC_SIZE * (cpu))
#define zpcpu_base_to_offset(base) (base)
#define zpcpu_offset_to_base(base) (base)
#endif

static inline void *
zpcpu_get_cpu(void *base, int cpu)
{
        return ((char *)(base) + zpcpu_offset_cpu(cpu));
}

static inline void *
zpcpu_get(void *base)
{
        return (zpcpu_get_cpu(base, curcpu));
}

/* The per-CPU zones of subr_pcpu.c: "64 pcpu" (12.x), "pcpu-8" ... "pcpu-64" (13+). */
struct uma_zone;
#if SIM_ERA >= 13
#if SIM_ERA >= 14
extern struct uma_zone *pcpu_zone_4;
#endif
extern struct uma_zone *pcpu_zone_8;
extern struct uma_zone *pcpu_zone_16;
extern struct uma_zone *pcpu_zone_32;
extern struct uma_zone *pcpu_zone_64;
#else
extern struct uma_zone *pcpu_zone_64;
#endif
void pcpu_zones_startup(void);
#endif /* SIM_ERA >= 12 */

#endif /* !_SYS_PCPU_H_ */
