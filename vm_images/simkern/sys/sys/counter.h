/*
 * counter(9) as in FreeBSD's <sys/counter.h> and <machine/counter.h> (10.x and later): a
 * counter_u64_t points at CPU 0's uint64_t of a UMA_ZONE_PCPU item (13+ amd64: an offset from
 * __pcpu); each CPU adds to its own copy and a fetch sums the copies of all present CPUs.
 */
#ifndef _SYS_COUNTER_H_
#define _SYS_COUNTER_H_

#include <sys/pcpu.h>

typedef uint64_t *counter_u64_t;

#if SIM_ERA >= 12
counter_u64_t   counter_u64_alloc(int flags);
void            counter_u64_free(counter_u64_t c);
void            counter_u64_zero(counter_u64_t c);
uint64_t        counter_u64_fetch(counter_u64_t c);

/* amd64 counter.h: an add on the current CPU's copy (the kernel uses a %gs-relative addq) */
static inline void
counter_u64_add(counter_u64_t c, int64_t inc)
{
        *(uint64_t *)zpcpu_get(c) += inc;
}

/* Before the per-CPU zones exist, counters point at CPU 0's pc_early_dummy_counter. */
#define EARLY_COUNTER   ((counter_u64_t)zpcpu_base_to_offset(&__pcpu[0].pc_early_dummy_counter))
#endif

#endif
