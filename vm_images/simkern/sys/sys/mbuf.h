/*
 * struct mbuf, reduced to the header words that chain mbufs (FreeBSD's <sys/mbuf.h>): the next
 * mbuf of the same packet, the next packet of a queue (m_nextpkt: socket buffers, interface and
 * netisr queues link packets through it), the data pointer and length.  The rest of the
 * 256-byte (MSIZE) item -- packet header, external storage, inline data -- is not modelled.
 *
 *  6.x-9.x   the words sit in struct m_hdr (mh_next, mh_nextpkt, mh_data, mh_len, ...), the
 *            m_* names are macros into it;
 *  11.x+     they are direct members of struct mbuf, the list pointers in unions with their
 *            SLIST/STAILQ views.
 */
#ifndef _SYS_MBUF_H_
#define _SYS_MBUF_H_

#include <sys/_sim_kern.h>
#include <sys/queue.h>

typedef char *caddr_t;

#if SIM_ERA <= 10
struct m_hdr {
        struct mbuf     *mh_next;       /* next mbuf of this packet */
        struct mbuf     *mh_nextpkt;    /* next packet of the queue */
        caddr_t         mh_data;        /* start of the data */
        int             mh_len;         /* bytes in this mbuf */
        int             mh_flags;
        short           mh_type;
};

struct mbuf {
        struct m_hdr    m_hdr;
};

#define m_next          m_hdr.mh_next
#define m_nextpkt       m_hdr.mh_nextpkt
#define m_data          m_hdr.mh_data
#define m_len           m_hdr.mh_len
#else
struct mbuf {
        union {                                 /* next mbuf of this packet */
                struct mbuf             *m_next;
                SLIST_ENTRY(mbuf)       m_slist;
                STAILQ_ENTRY(mbuf)      m_stailq;
        };
        union {                                 /* next packet of the queue */
                struct mbuf             *m_nextpkt;
                SLIST_ENTRY(mbuf)       m_slistpkt;
                STAILQ_ENTRY(mbuf)      m_stailqpkt;
        };
        caddr_t         m_data;                 /* start of the data */
        int32_t         m_len;                  /* bytes in this mbuf */
        uint32_t        m_type:8,
                        m_flags:24;
};
#endif

#endif /* !_SYS_MBUF_H_ */
