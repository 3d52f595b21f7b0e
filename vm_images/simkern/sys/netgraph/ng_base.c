/*
 * netgraph(4) core.  Every message or data packet travelling between nodes is queued as an item
 * from "NetGraph items" (control) or, from 7.x/8.x on, "NetGraph data items" (data).  Both zones
 * are capped (net.graph.maxalloc / net.graph.maxdata) and items are taken with M_NOWAIT, so a
 * busy graph shows FAIL counts on these zones rather than sleeping.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <string.h>
#include <sys/queue.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_NETGRAPH, "netgraph", "netgraph structures and ctrl messages");
MALLOC_DEFINE(M_NETGRAPH_HOOK, "netgraph_hook", "netgraph hook structures");
MALLOC_DEFINE(M_NETGRAPH_NODE, "netgraph_node", "netgraph node structures");
MALLOC_DEFINE(M_NETGRAPH_MSG, "netgraph_msg", "netgraph name storage");

#if defined(__i386__)
#define NG_ITEM_SIZE	(SIM_ERA <= 6 ? 60 : 72)
#define NG_NODE_SIZE	168
#define NG_HOOK_SIZE	84
#else
#define NG_ITEM_SIZE	(SIM_ERA <= 9 ? 104 : 120)
#define NG_NODE_SIZE	304
#define NG_HOOK_SIZE	152
#endif

#if SIM_ERA <= 6
static int maxalloc = 512;
#else
static int maxalloc = 4096;
static int maxdata = 512;
#endif

uma_zone_t ng_qzone;
#if SIM_ERA > 6
uma_zone_t ng_qdzone;
#endif

void ngb_mod_init(void *dummy);

void
ngb_mod_init(void *dummy)
{
	(void)dummy;
	ng_qzone = uma_zcreate("NetGraph items", NG_ITEM_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_CACHE, 0);
	uma_zone_set_max(ng_qzone, maxalloc);
#if SIM_ERA > 6
	ng_qdzone = uma_zcreate("NetGraph data items", NG_ITEM_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_CACHE, 0);
	uma_zone_set_max(ng_qdzone, maxdata);
#endif
}

void *
sim_ng_item_get(int data)
{
#if SIM_ERA > 6
	if (data)
		return (uma_zalloc(ng_qdzone, M_NOWAIT | M_ZERO));
#endif
	(void)data;
	return (uma_zalloc(ng_qzone, M_NOWAIT | M_ZERO));
}

void
sim_ng_item_free(void *item, int data)
{
	sim_reach_freed(item);
#if SIM_ERA > 6
	if (data) {
		uma_zfree(ng_qdzone, item);
		return;
	}
#endif
	(void)data;
	uma_zfree(ng_qzone, item);
}

/*
 * Nodes and hooks.  A node is on the ID hash (ng_ID_hash[ID % NG_ID_HASH_SIZE], LIST nd_idnodes)
 * and keeps its hooks on nd_hooks (LIST hk_hooks); its type's private data hangs off nd_private.
 * The member layout follows netgraph.h of 6.x-12.x (13+ moved the hashes under VNET, not
 * modelled); the allocation sizes are the era's sizeof.
 */
#define NG_NODESIZ		32
#define NG_HOOKSIZ		32
#define NG_ID_HASH_SIZE		128

struct ng_hook {
	char		hk_name[NG_HOOKSIZ];
	void		*hk_private;
	int		hk_flags;
	int		hk_type;
	struct ng_hook	*hk_peer;
	struct ng_node	*hk_node;
	LIST_ENTRY(ng_hook) hk_hooks;
};

struct ng_node {
	char		nd_name[NG_NODESIZ];
	void		*nd_type;
	int		nd_flags;
	int		nd_numhooks;
	void		*nd_private;
	uint32_t	nd_ID;
	LIST_HEAD(hooks, ng_hook) nd_hooks;
	LIST_ENTRY(ng_node) nd_nodes;
	LIST_ENTRY(ng_node) nd_idnodes;
	char		*nd_typename;	/* simulator: the type's name, M_NETGRAPH_MSG storage */
};

static LIST_HEAD(, ng_node) ng_ID_hash[NG_ID_HASH_SIZE];
static uint32_t nextID = 1;

static const struct sim_reach_kind k_node = { "struct ng_node", "netgraph_node" };
static const struct sim_reach_kind k_hook = { "struct ng_hook", "netgraph_hook" };
static const struct sim_reach_kind k_name = { "char", "netgraph_msg" };

static void
ng_add_hook(struct ng_node *node, const char *name, struct ng_hook *peer)
{
	struct ng_hook *hook;

	hook = malloc(NG_HOOK_SIZE, M_NETGRAPH_HOOK, M_WAITOK | M_ZERO);
	if (hook == NULL)
		return;
	strncpy(hook->hk_name, name, NG_HOOKSIZ - 1);
	hook->hk_node = node;
	hook->hk_peer = peer;
	LIST_INSERT_HEAD(&node->nd_hooks, hook, hk_hooks);
	node->nd_numhooks++;
	sim_reach_listed(hook, &k_hook, node, NULL, &node->nd_hooks,
	    offsetof(struct ng_hook, hk_hooks), "nd_hooks", 0);
}

/* A node of `type` with two hooks; returns the node (its nd_private is the type's to set). */
void *
sim_ng_node_create(const char *type)
{
	struct ng_node *node;
	u_int slot;

	node = malloc(NG_NODE_SIZE, M_NETGRAPH_NODE, M_WAITOK | M_ZERO);
	if (node == NULL)
		return (NULL);
	node->nd_ID = nextID++;
	slot = node->nd_ID % NG_ID_HASH_SIZE;
	LIST_INSERT_HEAD(&ng_ID_hash[slot], node, nd_idnodes);
	sim_reach_listed(node, &k_node, NULL, "ng_ID_hash", &ng_ID_hash[slot],
	    offsetof(struct ng_node, nd_idnodes), "[%d]", (int)slot);
	ng_add_hook(node, "in", NULL);
	ng_add_hook(node, "out", NULL);
	node->nd_typename = malloc(strlen(type) + 1, M_NETGRAPH_MSG, M_WAITOK);
	if (node->nd_typename != NULL) {
		strcpy(node->nd_typename, type);
		sim_reach_held(node->nd_typename, &k_name, node, NULL, &node->nd_typename,
		    "nd_typename", 0);
	}
	return (node);
}

/* Set a node's private data (NG_NODE_SET_PRIVATE); the node holds it. */
void
sim_ng_node_set_private(void *nodep, void *priv, const struct sim_reach_kind *k)
{
	struct ng_node *node = nodep;

	node->nd_private = priv;
	sim_reach_held(priv, k, node, NULL, &node->nd_private, "nd_private", 0);
}

uint32_t
sim_ng_node_id(void *nodep)
{
	return (((struct ng_node *)nodep)->nd_ID);
}

/* The private data of the node with ID `id` (ng_ID2noderef), or NULL. */
void *
sim_ng_node_private(uint32_t id)
{
	struct ng_node *node;

	LIST_FOREACH(node, &ng_ID_hash[id % NG_ID_HASH_SIZE], nd_idnodes)
		if (node->nd_ID == id)
			return (node->nd_private);
	return (NULL);
}
