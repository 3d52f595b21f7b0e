/*
 * Network interfaces: struct ifnet and interface addresses are malloc(9)ed.  Interfaces are on
 * the ifnet list (TAILQ if_link); each keeps its addresses on if_addrhead (TAILQ ifa_link) and
 * its multicast addresses on if_multiaddrs (TAILQ ifma_link).  6.x has no M_IFNET: the ifnet
 * sits in the driver's softc (here a static array).
 */
#include <sys/malloc.h>
#include <sys/queue.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_IFADDR, "ifaddr", "interface address");
MALLOC_DEFINE(M_IFMADDR, "ether_multi", "link-level multicast address");
#if SIM_ERA >= 9
MALLOC_DEFINE(M_IFNET, "ifnet", "interface internals");
#endif

/* The members of net/if_var.h the simulator uses (allocation sizes are the era's). */
struct ifaddr {
	void	*ifa_addr;
	void	*ifa_ifp;
	TAILQ_ENTRY(ifaddr) ifa_link;
};

struct ifmultiaddr {
	TAILQ_ENTRY(ifmultiaddr) ifma_link;
	void	*ifma_addr;
};

struct ifnet {
	TAILQ_ENTRY(ifnet) if_link;
	char	if_xname[16];
	TAILQ_HEAD(, ifaddr) if_addrhead;
	TAILQ_HEAD(, ifmultiaddr) if_multiaddrs;
};

TAILQ_HEAD(ifnethead, ifnet);
struct ifnethead ifnet = TAILQ_HEAD_INITIALIZER(ifnet);
#if SIM_ERA < 9
static struct ifnet ifnet_softc[8];		/* the drivers' softcs */
#endif

#if SIM_ERA >= 9
static const struct sim_reach_kind k_ifnet = { "struct ifnet", "ifnet" };
#endif
static const struct sim_reach_kind k_ifaddr = { "struct ifaddr", "ifaddr" };
static const struct sim_reach_kind k_ifmaddr = { "struct ifmultiaddr", "ether_multi" };

/*
 * `item` is on list `head` of interface `ifp` (member path `member`); in 6.x the ifnet itself is
 * softc `slot` of a driver (`softc_path` is then the path from ifnet_softc).
 */
static void
if_listed(void *item, const struct sim_reach_kind *k, struct ifnet *ifp, void *head,
    size_t next_off, const char *member, const char *softc_path, int slot)
{
#if SIM_ERA >= 9
	(void)softc_path;
	(void)slot;
	sim_reach_listed(item, k, ifp, NULL, head, next_off, member, 0);
#else
	(void)ifp;
	(void)member;
	sim_reach_listed(item, k, NULL, "ifnet_softc", head, next_off, softc_path, slot);
#endif
}

/* Attach `n` interfaces with a few addresses each (boot-time, never freed). */
void if_attach_sim(int n);

void
if_attach_sim(int n)
{
	struct ifnet *ifp;
	struct ifaddr *ifa;
	struct ifmultiaddr *ifma;
	int i, j;

	for (i = 0; i < n; i++) {
#if SIM_ERA >= 9
		ifp = malloc(sizeof(void *) == 8 ? 1024 : 640, M_IFNET, M_WAITOK | M_ZERO);
#else
		ifp = &ifnet_softc[i % 8];
#endif
		TAILQ_INIT(&ifp->if_addrhead);
		TAILQ_INIT(&ifp->if_multiaddrs);
		TAILQ_INSERT_TAIL(&ifnet, ifp, if_link);
#if SIM_ERA >= 9
		sim_reach_listed(ifp, &k_ifnet, NULL, "ifnet", &ifnet, offsetof(struct ifnet, if_link),
		    "", 0);
#endif
		for (j = 0; j < 3; j++) {
			ifa = malloc(sizeof(void *) == 8 ? 200 : 120, M_IFADDR, M_WAITOK | M_ZERO);
			ifa->ifa_ifp = ifp;
			TAILQ_INSERT_TAIL(&ifp->if_addrhead, ifa, ifa_link);
			if_listed(ifa, &k_ifaddr, ifp, &ifp->if_addrhead,
			    offsetof(struct ifaddr, ifa_link), "if_addrhead", "[%d].if_addrhead", i % 8);
		}
		ifma = malloc(48, M_IFMADDR, M_WAITOK | M_ZERO);
		TAILQ_INSERT_TAIL(&ifp->if_multiaddrs, ifma, ifma_link);
		if_listed(ifma, &k_ifmaddr, ifp, &ifp->if_multiaddrs,
		    offsetof(struct ifmultiaddr, ifma_link), "if_multiaddrs", "[%d].if_multiaddrs",
		    i % 8);
	}
}
