/* Network interfaces: struct ifnet and interface addresses are malloc(9)ed. */
#include <sys/malloc.h>

#include "sim/scenario.h"

MALLOC_DEFINE(M_IFADDR, "ifaddr", "interface address");
MALLOC_DEFINE(M_IFMADDR, "ether_multi", "link-level multicast address");
#if SIM_ERA >= 9
MALLOC_DEFINE(M_IFNET, "ifnet", "interface internals");
#endif

/* Attach `n` interfaces with a few addresses each (boot-time, never freed). */
void if_attach_sim(int n);

void
if_attach_sim(int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
#if SIM_ERA >= 9
		(void)malloc(sizeof(void *) == 8 ? 1024 : 640, M_IFNET, M_WAITOK | M_ZERO);
#endif
		for (j = 0; j < 3; j++)
			(void)malloc(sizeof(void *) == 8 ? 200 : 120, M_IFADDR, M_WAITOK | M_ZERO);
		(void)malloc(48, M_IFMADDR, M_WAITOK | M_ZERO);
	}
}
