/*
 * Sockets: one "socket" zone item per socket (capped by maxsockets), socket addresses in the
 * "soname" malloc type, protocol control blocks not in a zone of their own in "pcb".
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_PCB, "pcb", "protocol control block");
MALLOC_DEFINE(M_SONAME, "soname", "socket name");

/* Item size of struct socket in each era (approximate, LP64 / ILP32). */
#if defined(__i386__)
#define SOCKET_SIZE	(SIM_ERA <= 6 ? 356 : 412)
#elif SIM_ERA <= 9
#define SOCKET_SIZE	680
#elif SIM_ERA <= 11
#define SOCKET_SIZE	704
#elif SIM_ERA == 12
#define SOCKET_SIZE	872
#else
#define SOCKET_SIZE	944
#endif

struct socket {
	void	*so_pcb;		/* protocol control block (inpcb) */
	void	*so_name;		/* sockaddr from M_SONAME (simulator: kept here) */
	char	so_rest[SOCKET_SIZE - 2 * sizeof(void *)];
};

int maxsockets = 8192;
uma_zone_t socket_zone;

void socket_init(void *dummy);

void
socket_init(void *dummy)
{
	(void)dummy;
	socket_zone = uma_zcreate("socket", sizeof(struct socket), NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
	uma_zone_set_max(socket_zone, maxsockets);
}

void *sim_tcp_attach(void *so);
void sim_tcp_detach(void *inp);

static const struct sim_reach_kind k_soname = { "struct sockaddr_in", "soname" };

void *
sim_tcp_connect(void)
{
	struct socket *so;

	so = uma_zalloc(socket_zone, M_NOWAIT | M_ZERO);
	if (so == NULL)
		return (NULL);
	so->so_name = malloc(16, M_SONAME, M_NOWAIT);	/* struct sockaddr_in */
	so->so_pcb = sim_tcp_attach(so);	/* the inpcb holds the socket from now on */
	if (so->so_pcb == NULL) {
		free(so->so_name, M_SONAME);
		uma_zfree(socket_zone, so);
		return (NULL);
	}
	sim_reach_held(so->so_name, &k_soname, so, NULL, &so->so_name, "so_name", 0);
	return (so);
}

void
sim_tcp_close(void *sop)
{
	struct socket *so = sop;

	sim_tcp_detach(so->so_pcb);
	sim_reach_freed(so->so_name);
	free(so->so_name, M_SONAME);
	sim_reach_freed(so);
	uma_zfree(socket_zone, so);
}
