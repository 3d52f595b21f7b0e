/*
 * libalias(3) in the kernel (libalias.ko): the NAT engine behind ng_nat(4) and ipfw nat.  Each
 * translated flow gets a struct alias_link malloc(9)ed from M_ALIAS ("libalias"); an instance
 * (struct libalias) holds the link hash tables and is a single large allocation.
 *
 * The simulated bug: links are never expired (the expiry sweep never runs), so every new flow
 * leaks one alias_link -- a 128-byte malloc zone item that only grows.
 */
#include <sys/malloc.h>

#include <string.h>

#include "sim/scenario.h"

MALLOC_DEFINE(M_ALIAS, "libalias", "packet aliasing");

#define LINK_TABLE_OUT_SIZE	4001
#define LINK_TABLE_IN_SIZE	4001

/* Field layout loosely follows libalias' own; what matters here is the malloc size. */
struct alias_link {
	struct libalias	*la;
	uint32_t	src_addr, dst_addr, alias_addr, proxy_addr;
	uint16_t	src_port, dst_port, alias_port, proxy_port;
	void		*server;
	int		link_type;
	int		flags;
	int		timestamp;
	int		expire_time;
	void		*list_out[2];
	void		*list_in[2];
	void		*data;
	int		sockfd;
	int		pad[sizeof(void *) == 8 ? 3 : 1];
};

struct libalias {
	void		*instancelist[2];
	uint32_t	aliasAddress;
	int		packetAliasMode;
	int		icmpLinkCount, udpLinkCount, tcpLinkCount, fragmentIdLinkCount;
	void		*linkTableOut[LINK_TABLE_OUT_SIZE];
	void		*linkTableIn[LINK_TABLE_IN_SIZE];
};

static struct libalias *la_instance;
static unsigned long la_links;

struct libalias *LibAliasInit(struct libalias *la);

struct libalias *
LibAliasInit(struct libalias *la)
{
	if (la == NULL)
		la = malloc(sizeof(*la), M_ALIAS, M_WAITOK | M_ZERO);
	return (la);
}

static void *
AddLink(void)
{
	struct alias_link *lnk;

	lnk = malloc(sizeof(*lnk), M_ALIAS, M_NOWAIT | M_ZERO);
	if (lnk == NULL)
		return (NULL);
	lnk->la = la_instance;
	lnk->link_type = 6;		/* LINK_TCP */
	la_links++;
	if (la_instance != NULL)
		la_instance->tcpLinkCount++;
	return (lnk);
}

static void
DeleteLink(void *p)
{
	free(p, M_ALIAS);
	la_links--;
}

void libalias_sim_init(const char *modname);

void
libalias_sim_init(const char *modname)
{
	sim_malloc_register_module(modname);
	la_instance = LibAliasInit(NULL);
	sim_modops.alias_link_new = AddLink;
	sim_modops.alias_link_free = DeleteLink;
	sim_modops.alias_link_size = sizeof(struct alias_link);
}
