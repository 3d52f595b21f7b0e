/* struct task as in FreeBSD's <sys/_task.h> (9.x and later). */
#ifndef _SYS__TASK_H_
#define _SYS__TASK_H_

#include <sys/queue.h>
#include <sys/_sim_kern.h>

typedef void task_fn_t(void *context, int pending);

struct task {
        STAILQ_ENTRY(task) ta_link;     /* link for queue */
        uint16_t ta_pending;            /* count times queued */
        u_short ta_priority;            /* priority */
        task_fn_t *ta_func;             /* task handler */
        void    *ta_context;            /* argument for handler */
};

#endif
