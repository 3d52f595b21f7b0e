/* struct lock_object as in FreeBSD's <sys/_lock.h> (every era simulated here). */
#ifndef _SYS__LOCK_H_
#define _SYS__LOCK_H_

#include <sys/_sim_kern.h>

struct witness;

struct lock_object {
        const char      *lo_name;       /* lock name */
        u_int           lo_flags;       /* class and option bits */
        u_int           lo_data;        /* class specific data */
        struct witness  *lo_witness;    /* WITNESS bookkeeping */
};

#endif
