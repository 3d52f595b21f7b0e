/*
 * struct lock_object as in FreeBSD's <sys/_lock.h>.  6.x: the lock's class pointer, its name
 * and type, flags, a TAILQ link on the list of every lock and the witness (28 bytes on
 * i386).  7.x and later: name, flags, class-specific data and the witness (16 bytes on i386).
 */
#ifndef _SYS__LOCK_H_
#define _SYS__LOCK_H_

#include <sys/_sim_kern.h>
#include <sys/queue.h>

struct witness;

#if SIM_ERA <= 6
struct lock_class;

struct lock_object {
        struct lock_class *lo_class;    /* sleep or spin mutex, sx, ... */
        const char      *lo_name;       /* this lock's name */
        const char      *lo_type;       /* the name shared by locks of its kind */
        u_int           lo_flags;
        TAILQ_ENTRY(lock_object) lo_list; /* every lock in the system */
        struct witness  *lo_witness;
};
#else
struct lock_object {
        const char      *lo_name;       /* lock name */
        u_int           lo_flags;       /* class and option bits */
        u_int           lo_data;        /* class specific data */
        struct witness  *lo_witness;    /* WITNESS bookkeeping */
};
#endif

#endif
