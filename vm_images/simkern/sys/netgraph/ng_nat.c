/*
 * ng_nat(4) (ng_nat.ko): a netgraph node translating packets with libalias.  Each packet
 * arriving on the node is a "NetGraph data item" carrying an mbuf; new flows make libalias add
 * an alias link.
 */
#include <sys/malloc.h>

#include "sim/scenario.h"

MALLOC_DECLARE(M_NETGRAPH);

struct ng_nat_priv {
	void		*lib;			/* struct libalias */
	unsigned long	packets;
	unsigned long	flows;
};

static struct ng_nat_priv *nat_priv;

static void
ng_nat_rcvdata(void)
{
	void *item, *m;

	item = sim_ng_item_get(1);
	if (item == NULL)
		return;			/* the queue is at net.graph.maxdata: packet dropped */
	m = sim_mbuf_getcl(M_NOWAIT);
	nat_priv->packets++;
	if (m != NULL)
		sim_mbuf_freecl(m);
	sim_ng_item_free(item, 1);
}

void ng_nat_sim_init(const char *modname);

void
ng_nat_sim_init(const char *modname)
{
	sim_malloc_register_module(modname);
	sim_ng_node_create("nat");
	nat_priv = malloc(sizeof(*nat_priv), M_NETGRAPH, M_WAITOK | M_ZERO);
	sim_modops.nat_packet = ng_nat_rcvdata;
}
