/*
 * netgraph(4) core.  Every message or data packet travelling between nodes is queued as an item
 * from "NetGraph items" (control) or, from 7.x/8.x on, "NetGraph data items" (data).  Both zones
 * are capped (net.graph.maxalloc / net.graph.maxdata) and items are taken with M_NOWAIT, so a
 * busy graph shows FAIL counts on these zones rather than sleeping.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <string.h>

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
#if SIM_ERA > 6
	if (data) {
		uma_zfree(ng_qdzone, item);
		return;
	}
#endif
	(void)data;
	uma_zfree(ng_qzone, item);
}

/* A node with two hooks; the node keeps its type name in M_NETGRAPH_MSG storage. */
void
sim_ng_node_create(const char *type)
{
	char *name;

	(void)malloc(NG_NODE_SIZE, M_NETGRAPH_NODE, M_WAITOK | M_ZERO);
	(void)malloc(NG_HOOK_SIZE, M_NETGRAPH_HOOK, M_WAITOK | M_ZERO);
	(void)malloc(NG_HOOK_SIZE, M_NETGRAPH_HOOK, M_WAITOK | M_ZERO);
	name = malloc(strlen(type) + 1, M_NETGRAPH_MSG, M_WAITOK);
	if (name != NULL)
		strcpy(name, type);
}
