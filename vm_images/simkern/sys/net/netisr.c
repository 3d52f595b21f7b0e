/*
 * netisr(9) (sys/net/netisr.c, 8.0+): inbound packets wait on a per-CPU workstream, the DPCPU
 * variable nws, until the CPU's software interrupt thread hands them to their protocol.  Each
 * queue (nws_work[proto]) is a list of mbufs from nw_head through m_nextpkt: a queued mbuf is
 * held by nothing but its CPU's copy of nws, so a reachability scan must start from the DPCPU
 * areas to find it (recorded in the ledger as root "dpcpu", GROUND_TRUTH.md).
 *
 * The router runs with net.isr.maxthreads at its CPU count (a usual tuning: the default, one
 * thread, would use the boot CPU's workstream only), so every present CPU has a workstream.
 * Only the IP protocol queues here.  6.x has no DPCPU and no workstreams (per-protocol ifqueues).
 */
#include <stddef.h>

#include <sys/_sim_kern.h>
#include <sys/pcpu.h>
#include <sys/mbuf.h>
#include <net/netisr_internal.h>

#include "sim/reach.h"
#include "sim/scenario.h"

#if SIM_ERA >= 8
#define NETISR_IP       1
#define NETISR_DEFAULTQLIMIT 256        /* net.isr.defaultqlimit */
#define __STR(x)        #x
#define __XSTR(x)       __STR(x)

DPCPU_DEFINE_STATIC(struct netisr_workstream, nws);

static const struct sim_reach_kind k_mbuf = { "struct mbuf", NULL };

void netisr_init(void *dummy);

/* SI_SUB_SOFTINTR: a workstream on every present CPU, IP's queue limit set. */
void
netisr_init(void *dummy)
{
        int ids[MAXCPU], n, i;

        (void)dummy;
        n = sim_cpu_list(ids, MAXCPU);
        for (i = 0; i < n; i++) {
                struct netisr_workstream *nwsp = DPCPU_ID_PTR(ids[i], nws);

                nwsp->nws_cpu = ids[i];
                nwsp->nws_work[NETISR_IP].nw_qlimit = NETISR_DEFAULTQLIMIT;
        }
}

/*
 * netisr_queue(NETISR_IP, m) on the current CPU's workstream: appended to the queue, or dropped
 * (freed) when the queue is full.
 */
void
sim_netisr_queue(void *mp)
{
        struct mbuf *m = mp;
        struct netisr_workstream *nwsp = DPCPU_ID_PTR(curcpu, nws);
        struct netisr_work *npwp = &nwsp->nws_work[NETISR_IP];

        if (npwp->nw_len >= npwp->nw_qlimit) {
                npwp->nw_qdrops++;
                sim_mbuf_free(m);
                return;
        }
        m->m_next = NULL;               /* a one-mbuf packet */
        m->m_nextpkt = NULL;
        if (npwp->nw_head == NULL)
                npwp->nw_head = m;
        else
                npwp->nw_tail->m_nextpkt = m;
        npwp->nw_tail = m;
        sim_reach_listed(m, &k_mbuf, NULL, "dpcpu", &npwp->nw_head,
            offsetof(struct mbuf, m_nextpkt),
            "[%d]." DPCPU_SYMPREFIX "nws.nws_work[" __XSTR(NETISR_IP) "].nw_head", curcpu);
        if (++npwp->nw_len > npwp->nw_watermark)
                npwp->nw_watermark = npwp->nw_len;
        npwp->nw_queued++;
        nwsp->nws_pendingbits |= 1u << NETISR_IP;
}

/*
 * swi_net on each CPU in turn: every packet queued on the CPU's workstream goes to ip_input,
 * which consumes it (freed on that CPU).
 */
void
sim_netisr_run(void)
{
        int ids[MAXCPU], n, i;

        n = sim_cpu_list(ids, MAXCPU);
        for (i = 0; i < n; i++) {
                struct netisr_workstream *nwsp = DPCPU_ID_PTR(ids[i], nws);
                struct netisr_work *npwp = &nwsp->nws_work[NETISR_IP];
                struct mbuf *m;

                sim_set_cpu(ids[i]);
                while ((m = npwp->nw_head) != NULL) {
                        npwp->nw_head = m->m_nextpkt;
                        if (npwp->nw_head == NULL)
                                npwp->nw_tail = NULL;
                        m->m_nextpkt = NULL;
                        npwp->nw_len--;
                        npwp->nw_handled++;
                        sim_mbuf_free(m);
                }
                nwsp->nws_pendingbits &= ~(1u << NETISR_IP);
        }
}
#endif /* SIM_ERA >= 8 */
