/*
 * netisr(9)'s private structures (FreeBSD's <net/netisr_internal.h>, 8.0+), which the kernel
 * publishes for post-mortem tools: a workstream per CPU (the DPCPU variable nws of netisr.c)
 * holds, per protocol, a packet queue linked through m_nextpkt and its statistics.
 */
#ifndef _NET_NETISR_INTERNAL_H_
#define _NET_NETISR_INTERNAL_H_

#include <sys/_sim_kern.h>
#include <sys/_mutex.h>

struct mbuf;
struct intr_event;

#define NETISR_MAXPROT  16              /* protocols a workstream has room for */

/* One protocol's work on one workstream: its queue and counters. */
struct netisr_work {
        struct mbuf     *nw_head;       /* queue, linked through m_nextpkt */
        struct mbuf     *nw_tail;
        u_int           nw_len;
        u_int           nw_qlimit;
        u_int           nw_watermark;
        u_int64_t       nw_dispatched;
        u_int64_t       nw_hybrid_dispatched;
        u_int64_t       nw_qdrops;
        u_int64_t       nw_queued;
        u_int64_t       nw_handled;
};

/* A CPU's workstream: its software interrupt and every protocol's work. */
struct netisr_workstream {
        struct intr_event *nws_intr_event;
        void            *nws_swi_cookie;
        struct mtx      nws_mtx;
        u_int           nws_cpu;
        u_int           nws_flags;
        u_int           nws_pendingbits;        /* protocols with queued work */
        struct netisr_work nws_work[NETISR_MAXPROT];
} __aligned(CACHE_LINE_SIZE);

#endif /* !_NET_NETISR_INTERNAL_H_ */
