/*
 * Internet protocol control blocks.  Up to 13.x tcp_init() creates the "tcp_inpcb" zone itself
 * (tcp_subr.c); 14.x moved inpcb storage here and embeds the inpcb in the tcpcb, so a single
 * "tcp_inpcb" zone item holds both.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include "sim/scenario.h"

#if SIM_ERA >= 14
#define TCP_INPCB_SIZE	1320		/* struct tcpcb with its inpcb inside (approximate) */

uma_zone_t tcp_inpcb_zone;

void in_pcbstorage_init(void *dummy);

void
in_pcbstorage_init(void *dummy)
{
	(void)dummy;
	tcp_inpcb_zone = uma_zcreate("tcp_inpcb", TCP_INPCB_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_CACHE, 0);
}
#endif
