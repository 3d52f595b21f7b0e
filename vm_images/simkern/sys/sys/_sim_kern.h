/*
 * Simulator plumbing, not a FreeBSD header: the handful of <sys/param.h>, <sys/types.h>,
 * <machine/param.h> and <sys/cdefs.h> facts the simulated kernel headers need (page size,
 * cache line, MAXCPU, BSD integer typedefs, __aligned), per era and architecture.
 *
 * Compile with -DSIM_ERA=N (6, 9, 11, 12, 13, 14, 15); -m32 selects i386.  SIM_MAXCPU overrides
 * MAXCPU (scale images).
 */
#ifndef _SYS__SIM_KERN_H_
#define _SYS__SIM_KERN_H_

#include <stddef.h>
#include <stdint.h>

#ifndef SIM_ERA
#error "compile with -DSIM_ERA=6|9|11|12|13|14|15"
#endif

#if defined(__x86_64__)
#define SIM_AMD64       1
#define SIM_I386        0
#elif defined(__i386__)
#define SIM_AMD64       0
#define SIM_I386        1
#else
#error "only amd64 and i386 are simulated"
#endif

/* <sys/cdefs.h> */
#ifndef __aligned
#define __aligned(x)    __attribute__((__aligned__(x)))
#endif
#ifndef __unused
#define __unused        __attribute__((__unused__))
#endif
#ifndef __used
#define __used          __attribute__((__used__))
#endif

/* BSD integer typedefs of <sys/types.h> (same underlying types as glibc's, so both may appear) */
typedef unsigned char   u_char;
typedef unsigned short  u_short;
typedef unsigned int    u_int;
typedef unsigned long   u_long;
typedef uint8_t         u_int8_t;
typedef uint16_t        u_int16_t;
typedef uint32_t        u_int32_t;
typedef uint64_t        u_int64_t;

/* <machine/_types.h>: vm_offset_t and vm_size_t are register-sized unsigned integers */
typedef __UINTPTR_TYPE__ __vm_offset_t;
typedef __SIZE_TYPE__   __vm_size_t;
typedef __vm_offset_t   vm_offset_t;
typedef __vm_size_t     vm_size_t;

/* <machine/param.h> of amd64 and i386 */
#define PAGE_SHIFT      12
#define PAGE_SIZE       (1 << PAGE_SHIFT)
#define PAGE_MASK       (PAGE_SIZE - 1)
#define CACHE_LINE_SHIFT 6
#define CACHE_LINE_SIZE (1 << CACHE_LINE_SHIFT)

/*
 * MAXCPU of the era's SMP kernel config: i386 16 (6.x) and 32 (10.x/11.x); amd64 64 (9.x),
 * 256 (11.x-13.x) and 1024 (14.x and later: cpuid_to_pcpu[1024], 1024-bit cpusets).
 */
#ifdef SIM_MAXCPU
#define MAXCPU          SIM_MAXCPU
#elif SIM_I386 && SIM_ERA <= 7
#define MAXCPU          16
#elif SIM_I386
#define MAXCPU          32
#elif SIM_ERA <= 9
#define MAXCPU          64
#elif SIM_ERA <= 13
#define MAXCPU          256
#else
#define MAXCPU          1024
#endif

/* Memory domains (12+ on amd64: MAXMEMDOM 8). */
#if SIM_ERA >= 12 && SIM_AMD64
#define MAXMEMDOM       8
#else
#define MAXMEMDOM       1
#endif

/* <sys/param.h> helpers */
#define NBBY            8
#ifndef howmany
#define howmany(x, y)   (((x) + ((y) - 1)) / (y))
#endif
#ifndef roundup
#define roundup(x, y)   ((((x) + ((y) - 1)) / (y)) * (y))
#endif
#define roundup2(x, y)  (((x) + ((y) - 1)) & (~((y) - 1)))
#ifndef nitems
#define nitems(x)       (sizeof((x)) / sizeof((x)[0]))
#endif
#ifndef MIN
#define MIN(a, b)       (((a) < (b)) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b)       (((a) > (b)) ? (a) : (b))
#endif
#define ptoa(x)         ((vm_offset_t)(x) << PAGE_SHIFT)

/*
 * malloc(9) flags of <sys/malloc.h> (same values in every era), in case that header is not
 * included first.  M_NOVM makes UMA refuse to take fresh pages when memory is short.
 */
#ifndef M_NOWAIT
#define M_NOWAIT        0x0001
#define M_WAITOK        0x0002
#define M_ZERO          0x0100
#define M_NOVM          0x0200
#define M_USE_RESERVE   0x0400
#endif

#endif /* !_SYS__SIM_KERN_H_ */
