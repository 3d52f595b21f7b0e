/* Globals of FreeBSD's <sys/smp.h> (subr_smp.c): CPU counts and the set of present CPUs. */
#ifndef _SYS_SMP_H_
#define _SYS_SMP_H_

#include <string.h>
#include <sys/cpuset.h>

extern int mp_ncpus;            /* number of present CPUs */
extern int mp_maxcpus;          /* = MAXCPU */
extern u_int mp_maxid;          /* highest present CPU id */
#if SIM_ERA <= 7
extern cpumask_t all_cpus;
#else
extern cpuset_t all_cpus;
#endif

#define CPU_ABSENT(x_cpu)       (!CPU_ISSET(x_cpu, &all_cpus))
#define CPU_FOREACH(i)                                                  \
        for ((i) = 0; (i) <= mp_maxid; (i)++)                           \
                if (!CPU_ABSENT((i)))

#endif
