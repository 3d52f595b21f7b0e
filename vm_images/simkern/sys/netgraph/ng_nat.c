/*
 * ng_nat(4) (ng_nat.ko): a netgraph node translating packets with libalias.  Each packet
 * arriving on the node is a "NetGraph data item" carrying an mbuf; new flows make libalias add
 * an alias link.
 */
#include <sys/malloc.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DECLARE(M_NETGRAPH);

/* The node's private data (ng_nat.c's priv, the members the simulator uses). */
struct ng_nat_priv {
	void		*node;			/* node_p: the node */
	struct libalias	*lib;			/* the instance, from LibAliasInit */
	unsigned long	packets;
};

static const struct sim_reach_kind k_priv = { "struct ng_nat_priv", "netgraph" };
static const struct sim_reach_kind k_libalias = { "struct libalias", "libalias" };

/* The node is found by its ID (ng_ID2noderef), as a netgraph message addresses it. */
static uint32_t nat_ID;

static struct ng_nat_priv *
nat_priv(void)
{
	return (sim_ng_node_private(nat_ID));
}

static void
ng_nat_rcvdata(void)
{
	void *item, *m;

	item = sim_ng_item_get(1);
	if (item == NULL)
		return;			/* the queue is at net.graph.maxdata: packet dropped */
	m = sim_mbuf_getcl(M_NOWAIT);
	nat_priv()->packets++;
	if (m != NULL)
		sim_mbuf_freecl(m);
	sim_ng_item_free(item, 1);
}

/* A new flow through the node: libalias adds a link to the node's instance. */
static void *
ng_nat_newflow(void)
{
	return (sim_modops.libalias_addlink(nat_priv()->lib));
}

void ng_nat_sim_init(const char *modname);

/* The node's constructor (ng_nat_constructor): private data, then its libalias instance. */
void
ng_nat_sim_init(const char *modname)
{
	struct ng_nat_priv *priv;
	void *node;

	sim_malloc_register_module(modname);
	node = sim_ng_node_create("nat");
	nat_ID = sim_ng_node_id(node);
	priv = malloc(sizeof(*priv), M_NETGRAPH, M_WAITOK | M_ZERO);
	priv->node = node;
	sim_ng_node_set_private(node, priv, &k_priv);
	priv->lib = sim_modops.libalias_init();
	sim_reach_held(priv->lib, &k_libalias, priv, NULL, &priv->lib, "lib", 0);
	sim_modops.nat_packet = ng_nat_rcvdata;
	sim_modops.alias_link_new = ng_nat_newflow;
}
