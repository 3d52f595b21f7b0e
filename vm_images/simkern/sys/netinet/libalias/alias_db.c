/*
 * libalias(3) in the kernel (libalias.ko): the NAT engine behind ng_nat(4) and ipfw nat.  Each
 * translated flow gets a struct alias_link malloc(9)ed from M_ALIAS ("libalias"); an instance
 * (struct libalias, a single large allocation made by LibAliasInit for its user, here ng_nat)
 * is on the module's instance list and holds the link hash tables: every link is on one chain
 * of linkTableOut[] (hashed by its outside address and ports) and one of linkTableIn[] (hashed by
 * the alias side), LIST_ENTRY list_out / list_in, as alias_db.c of 6.x-12.x keeps them.
 *
 * The simulated bugs:
 *  - links are never expired (the expiry sweep never runs): every new flow adds a link that stays
 *    on the hash chains until the instance goes away -- held, but growing without bound;
 *  - ReLink forgets a free: every RELINK_EVERY-th new flow replaces the newest link of its outside
 *    chain, and the replaced link is taken off both chains but never freed -- a true leak, an
 *    allocated item nothing points at (the reachability ledger, sim/reach.h, records it).
 */
#include <sys/malloc.h>
#include <sys/queue.h>

#include <string.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_ALIAS, "libalias", "packet aliasing");

#define LINK_TABLE_OUT_SIZE	4001
#define LINK_TABLE_IN_SIZE	4001
#define LINK_TCP		6
#define LINK_UNLINKED		0x1000	/* simulator: off the chains (ReLink's leak) */
#define RELINK_EVERY		53

struct in_addr {
	uint32_t	s_addr;
};

struct alias_link {
	struct libalias	*la;
	struct in_addr	src_addr, dst_addr, alias_addr, proxy_addr;
	uint16_t	src_port, dst_port, alias_port, proxy_port;
	void		*server;
	int		link_type;
	int		flags;
	int		timestamp;
	int		expire_time;
	LIST_ENTRY(alias_link) list_out;	/* linkTableOut[] chain */
	LIST_ENTRY(alias_link) list_in;		/* linkTableIn[] chain */
	void		*data;
	int		sockfd;
	int		pad[sizeof(void *) == 8 ? 3 : 1];
};

struct libalias {
	LIST_ENTRY(libalias) instancelist;
	struct in_addr	aliasAddress;
	int		packetAliasMode;
	int		icmpLinkCount, udpLinkCount, tcpLinkCount, fragmentIdLinkCount;
	LIST_HEAD(, alias_link) linkTableOut[LINK_TABLE_OUT_SIZE];
	LIST_HEAD(, alias_link) linkTableIn[LINK_TABLE_IN_SIZE];
};

static LIST_HEAD(, libalias) instancehead = LIST_HEAD_INITIALIZER(instancehead);
static unsigned long la_links;
static unsigned int la_flows;		/* flows seen: source of the simulated addresses */

static const struct sim_reach_kind k_libalias = { "struct libalias", "libalias" };
static const struct sim_reach_kind k_alias_link = { "struct alias_link", "libalias" };

static struct libalias *
LibAliasInit(struct libalias *la)
{
	if (la == NULL) {
		la = malloc(sizeof(*la), M_ALIAS, M_WAITOK | M_ZERO);
		if (la == NULL)
			return (NULL);
		LIST_INSERT_HEAD(&instancehead, la, instancelist);
		sim_reach_listed(la, &k_libalias, NULL, "instancehead", &instancehead,
		    offsetof(struct libalias, instancelist), "", 0);
	}
	la->aliasAddress.s_addr = 0xc0a80001;	/* 192.168.0.1 */
	return (la);
}

static u_int
StartPointOut(struct in_addr src, struct in_addr dst, u_short sport, u_short dport, int type)
{
	return ((src.s_addr + dst.s_addr + sport + dport + type) % LINK_TABLE_OUT_SIZE);
}

static u_int
StartPointIn(struct in_addr alias, u_short aport, int type)
{
	return ((alias.s_addr + aport + type) % LINK_TABLE_IN_SIZE);
}

static void
link_chains(struct libalias *la, struct alias_link *lnk)
{
	u_int out, in;

	out = StartPointOut(lnk->src_addr, lnk->dst_addr, lnk->src_port, lnk->dst_port,
	    lnk->link_type);
	in = StartPointIn(lnk->alias_addr, lnk->alias_port, lnk->link_type);
	LIST_INSERT_HEAD(&la->linkTableOut[out], lnk, list_out);
	LIST_INSERT_HEAD(&la->linkTableIn[in], lnk, list_in);
	sim_reach_listed(lnk, &k_alias_link, la, NULL, &la->linkTableOut[out],
	    offsetof(struct alias_link, list_out), "linkTableOut[%d]", (int)out);
}

static void
unlink_chains(struct alias_link *lnk)
{
	LIST_REMOVE(lnk, list_out);
	LIST_REMOVE(lnk, list_in);
	lnk->flags |= LINK_UNLINKED;
}

static void
DeleteLink(void *p)
{
	struct alias_link *lnk = p;

	if (!(lnk->flags & LINK_UNLINKED)) {
		unlink_chains(lnk);
		lnk->la->tcpLinkCount--;
	}
	sim_reach_freed(lnk);
	free(lnk, M_ALIAS);
	la_links--;
}

/*
 * ReLink with its bug: the old link goes off the chains and out of the counts, but the free
 * (DeleteLink) is missing, so the link stays allocated with nothing pointing at it.
 */
static void
ReLink(struct alias_link *old)
{
	unlink_chains(old);
	old->la->tcpLinkCount--;
	sim_reach_unlinked(old);
}

static void *
AddLink(struct libalias *la)
{
	struct alias_link *lnk, *old;
	unsigned int n = la_flows++;

	lnk = malloc(sizeof(*lnk), M_ALIAS, M_NOWAIT | M_ZERO);
	if (lnk == NULL)
		return (NULL);
	lnk->la = la;
	lnk->link_type = LINK_TCP;
	lnk->src_addr.s_addr = 0x0a000000 + n % 65521;		/* 10.0.x.y */
	lnk->dst_addr.s_addr = 0xc6336400 + n % 251;		/* 198.51.100.x */
	lnk->src_port = (u_short)(1024 + n % 60000);
	lnk->dst_port = 443;
	lnk->alias_addr = la->aliasAddress;
	lnk->alias_port = (u_short)(0x8000 + n % 0x7fff);
	old = LIST_FIRST(&la->linkTableOut[StartPointOut(lnk->src_addr, lnk->dst_addr,
	    lnk->src_port, lnk->dst_port, lnk->link_type)]);
	link_chains(la, lnk);
	la_links++;
	la->tcpLinkCount++;
	if (n % RELINK_EVERY == RELINK_EVERY - 1 && old != NULL)
		ReLink(old);
	return (lnk);
}

/* LibAliasInit(NULL) for ng_nat.ko (modules see the kernel's symbols, not each other's). */
static void *
libalias_new(void)
{
	return (LibAliasInit(NULL));
}

void libalias_sim_init(const char *modname);

void
libalias_sim_init(const char *modname)
{
	sim_malloc_register_module(modname);
	sim_modops.libalias_init = libalias_new;
	sim_modops.libalias_addlink = (void *(*)(void *))AddLink;
	sim_modops.alias_link_free = DeleteLink;
	sim_modops.alias_link_size = sizeof(struct alias_link);
}
