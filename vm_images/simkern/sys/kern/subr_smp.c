/* Globals of FreeBSD's sys/kern/subr_smp.c: CPU counts and the present-CPU set. */
#include <sys/smp.h>

int mp_ncpus;                   /* present CPUs */
int mp_maxcpus = MAXCPU;        /* compile-time CPU bound */
u_int mp_maxid;                 /* highest present CPU id */
#if SIM_ERA <= 7
cpumask_t all_cpus;             /* 6.x/7.x: one bit per CPU */
#else
cpuset_t all_cpus;
#endif
