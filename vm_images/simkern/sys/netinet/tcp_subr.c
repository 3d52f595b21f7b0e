/*
 * TCP: per connection an inpcb ("tcp_inpcb" zone) and a tcpcb ("tcpcb" zone); the tcpcb zone
 * is capped like the socket zone (maxsockets).  14.x allocates both as one "tcp_inpcb" item.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <sys/queue.h>

#include "sim/reach.h"
#include "sim/scenario.h"

#if defined(__i386__)
#define INPCB_SIZE	(SIM_ERA <= 6 ? 180 : 284)
#define TCPCB_SIZE	(SIM_ERA <= 6 ? 464 : 632)
#elif SIM_ERA <= 9
#define INPCB_SIZE	376
#define TCPCB_SIZE	976
#elif SIM_ERA <= 11
#define INPCB_SIZE	440
#define TCPCB_SIZE	1016
#else
#define INPCB_SIZE	496
#define TCPCB_SIZE	1064
#endif

extern int maxsockets;

/*
 * Every TCP inpcb is on tcbinfo's list (ipi_listhead -> tcb, LIST inp_list), as in_pcballoc()
 * puts it; the inpcb points at its socket (inp_socket) and, up to 13.x, at its tcpcb (inp_ppcb).
 * Member names and order follow in_pcb.h; the item sizes above are the era's sizeof.
 */
struct inpcb {
	LIST_ENTRY(inpcb) inp_hash;
	LIST_ENTRY(inpcb) inp_list;		/* tcbinfo.ipi_listhead */
	void	*inp_ppcb;			/* the tcpcb (<= 13.x) */
	struct inpcbinfo *inp_pcbinfo;
	void	*inp_socket;			/* back pointer to the socket */
};

LIST_HEAD(inpcbhead, inpcb);

struct inpcbinfo {
	struct inpcbhead *ipi_listhead;
	u_int	ipi_count;
};

struct inpcbhead tcb;
struct inpcbinfo tcbinfo = { &tcb, 0 };

static const struct sim_reach_kind k_socket = { "struct socket", NULL };

/* in_pcballoc: on the list, pointing at its socket (the socket's holder from now on). */
static void
in_pcballoc(struct inpcb *inp, void *so, const struct sim_reach_kind *k)
{
	inp->inp_pcbinfo = &tcbinfo;
	inp->inp_socket = so;
	LIST_INSERT_HEAD(tcbinfo.ipi_listhead, inp, inp_list);
	tcbinfo.ipi_count++;
	sim_reach_listed(inp, k, NULL, "tcb", &tcb, offsetof(struct inpcb, inp_list), "", 0);
	sim_reach_held(so, &k_socket, inp, NULL, &inp->inp_socket, "inp_socket", 0);
}

static void
in_pcbfree(struct inpcb *inp)
{
	LIST_REMOVE(inp, inp_list);
	tcbinfo.ipi_count--;
	sim_reach_freed(inp);
}

#if SIM_ERA <= 13
uma_zone_t tcpcb_zone;
uma_zone_t tcp_inpcb_zone;

void tcp_init(void *dummy);

void
tcp_init(void *dummy)
{
	(void)dummy;
	tcp_inpcb_zone = uma_zcreate("tcp_inpcb", INPCB_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
	uma_zone_set_max(tcp_inpcb_zone, maxsockets);
	tcpcb_zone = uma_zcreate("tcpcb", TCPCB_SIZE, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
	uma_zone_set_max(tcpcb_zone, maxsockets);
}

static const struct sim_reach_kind k_inpcb = { "struct inpcb", NULL };
static const struct sim_reach_kind k_tcpcb = { "struct tcpcb", NULL };

void *
sim_tcp_attach(void *so)
{
	struct inpcb *inp;

	inp = uma_zalloc(tcp_inpcb_zone, M_NOWAIT | M_ZERO);
	if (inp == NULL)
		return (NULL);
	inp->inp_ppcb = uma_zalloc(tcpcb_zone, M_NOWAIT | M_ZERO);
	if (inp->inp_ppcb == NULL) {
		uma_zfree(tcp_inpcb_zone, inp);
		return (NULL);
	}
	in_pcballoc(inp, so, &k_inpcb);
	sim_reach_held(inp->inp_ppcb, &k_tcpcb, inp, NULL, &inp->inp_ppcb, "inp_ppcb", 0);
	return (inp);
}

void
sim_tcp_detach(void *p)
{
	struct inpcb *inp = p;

	sim_reach_freed(inp->inp_ppcb);
	uma_zfree(tcpcb_zone, inp->inp_ppcb);
	in_pcbfree(inp);
	uma_zfree(tcp_inpcb_zone, inp);
}
#else
extern uma_zone_t tcp_inpcb_zone;

void tcp_init(void *dummy);

void
tcp_init(void *dummy)
{
	(void)dummy;
	uma_zone_set_max(tcp_inpcb_zone, maxsockets);
}

/* 14.x: struct tcpcb starts with its inpcb (t_inpcb); one item holds both. */
static const struct sim_reach_kind k_tcpcb = { "struct tcpcb", NULL };

void *
sim_tcp_attach(void *so)
{
	struct inpcb *inp;

	inp = uma_zalloc(tcp_inpcb_zone, M_NOWAIT | M_ZERO);
	if (inp != NULL)
		in_pcballoc(inp, so, &k_tcpcb);
	return (inp);
}

void
sim_tcp_detach(void *p)
{
	in_pcbfree(p);
	uma_zfree(tcp_inpcb_zone, p);
}
#endif
