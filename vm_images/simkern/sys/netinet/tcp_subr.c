/*
 * TCP: per connection an inpcb ("tcp_inpcb" zone) and a tcpcb ("tcpcb" zone); the tcpcb zone
 * is capped like the socket zone (maxsockets).  14.x allocates both as one "tcp_inpcb" item.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

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

struct sim_inpcb {
	void	*inp_ppcb;		/* the tcpcb */
};

void *
sim_tcp_attach(void)
{
	struct sim_inpcb *inp;

	inp = uma_zalloc(tcp_inpcb_zone, M_NOWAIT | M_ZERO);
	if (inp == NULL)
		return (NULL);
	inp->inp_ppcb = uma_zalloc(tcpcb_zone, M_NOWAIT | M_ZERO);
	if (inp->inp_ppcb == NULL) {
		uma_zfree(tcp_inpcb_zone, inp);
		return (NULL);
	}
	return (inp);
}

void
sim_tcp_detach(void *p)
{
	struct sim_inpcb *inp = p;

	uma_zfree(tcpcb_zone, inp->inp_ppcb);
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

void *sim_tcp_attach(void) { return (uma_zalloc(tcp_inpcb_zone, M_NOWAIT | M_ZERO)); }
void sim_tcp_detach(void *p) { uma_zfree(tcp_inpcb_zone, p); }
#endif
