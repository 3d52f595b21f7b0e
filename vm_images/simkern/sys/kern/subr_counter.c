/* counter(9) of FreeBSD's sys/kern/subr_counter.c (12+ here): per-CPU uint64_t items. */
#include <string.h>

#include <sys/counter.h>
#include <vm/uma.h>

#if SIM_ERA >= 12
static uma_zone_t
counter_zone(void)
{
#if SIM_ERA >= 13
        return (pcpu_zone_8);
#else
        return (pcpu_zone_64);
#endif
}

counter_u64_t
counter_u64_alloc(int flags)
{
        return (uma_zalloc_pcpu(counter_zone(), flags | M_ZERO));
}

void
counter_u64_free(counter_u64_t c)
{
        uma_zfree_pcpu(counter_zone(), c);
}

void
counter_u64_zero(counter_u64_t c)
{
        int i;

        CPU_FOREACH(i)
                *(uint64_t *)zpcpu_get_cpu(c, i) = 0;
}

uint64_t
counter_u64_fetch(counter_u64_t c)
{
        uint64_t r = 0;
        int i;

        CPU_FOREACH(i)
                r += *(uint64_t *)zpcpu_get_cpu(c, i);
        return (r);
}
#endif
