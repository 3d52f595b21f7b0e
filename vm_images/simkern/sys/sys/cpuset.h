/*
 * CPU sets.  6.x/7.x: cpumask_t, a 32-bit mask (<machine/_types.h> __cpumask_t).  9.x and
 * later: cpuset_t = struct _cpuset { long __bits[]; } sized CPU_SETSIZE = MAXCPU in the kernel
 * (<sys/_cpuset.h>).
 */
#ifndef _SYS_CPUSET_H_
#define _SYS_CPUSET_H_

#include <sys/_bitset.h>

#if SIM_ERA <= 7
#if MAXCPU > 32
#error "6.x/7.x CPU masks hold 32 CPUs"
#endif
/* 6.x i386 <machine/_types.h> */
typedef u_int           __cpumask_t;
typedef __cpumask_t     cpumask_t;
#define CPU_ISSET(n, p) ((*(p) & (1u << (n))) != 0)
#define CPU_SET(n, p)   (*(p) |= (1u << (n)))
#define CPU_ZERO(p)     (*(p) = 0)
#else
/* 9.x+ <sys/_cpuset.h> */
#define CPU_SETSIZE     MAXCPU
BITSET_DEFINE(_cpuset, CPU_SETSIZE);
typedef struct _cpuset  cpuset_t;
#define CPU_ISSET(n, p) BIT_ISSET(CPU_SETSIZE, n, p)
#define CPU_SET(n, p)   BIT_SET(CPU_SETSIZE, n, p)
#define CPU_ZERO(p)     memset((p), 0, sizeof(*(p)))
#endif

#endif
