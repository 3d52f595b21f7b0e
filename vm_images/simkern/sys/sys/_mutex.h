/*
 * struct mtx / struct mtx_padalign as in FreeBSD's <sys/_mutex.h>: a lock_object and the
 * owner word; 6.x also counts recursive holds and names its lock_object mtx_object (36 bytes
 * on i386, against 20 from 7.x on).  The simulator never contends: locks only take space with
 * the right shape.
 */
#ifndef _SYS__MUTEX_H_
#define _SYS__MUTEX_H_

#include <sys/_lock.h>

#if SIM_ERA <= 6
struct mtx {
        struct lock_object      mtx_object;     /* common lock properties */
        volatile uintptr_t      mtx_lock;       /* owner and flags */
        volatile u_int          mtx_recurse;    /* recursive holds */
};
#define SIM_MTX_NAME(m)         ((m)->mtx_object.lo_name)
#else
struct mtx {
        struct lock_object      lock_object;    /* common lock properties */
        volatile uintptr_t      mtx_lock;       /* owner and flags */
};
#define SIM_MTX_NAME(m)         ((m)->lock_object.lo_name)
#endif

/* 10.x and later: a mutex alone on its cache line */
struct mtx_padalign {
        struct lock_object      lock_object;
        volatile uintptr_t      mtx_lock;
} __aligned(CACHE_LINE_SIZE);

#endif
