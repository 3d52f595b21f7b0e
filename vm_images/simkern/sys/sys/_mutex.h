/*
 * struct mtx / struct mtx_padalign as in FreeBSD's <sys/_mutex.h>: a lock_object and the
 * owner word.  The simulator never contends, locks only take space with the right shape.
 */
#ifndef _SYS__MUTEX_H_
#define _SYS__MUTEX_H_

#include <sys/_lock.h>

struct mtx {
        struct lock_object      lock_object;    /* common lock properties */
        volatile uintptr_t      mtx_lock;       /* owner and flags */
};

/* 10.x and later: a mutex alone on its cache line */
struct mtx_padalign {
        struct lock_object      lock_object;
        volatile uintptr_t      mtx_lock;
} __aligned(CACHE_LINE_SIZE);

#endif
