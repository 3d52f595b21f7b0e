/* newbus: device_t and softcs, malloc(9)ed at boot and mostly kept. */
#include <sys/malloc.h>

#include "sim/scenario.h"

MALLOC_DEFINE(M_BUS, "bus", "Bus data structures");
MALLOC_DEFINE(M_BUS_SC, "bus-sc", "Bus data structures, softc");

void bus_attach_sim(int ndevices);

void
bus_attach_sim(int ndevices)
{
	int i;

	for (i = 0; i < ndevices; i++) {
		(void)malloc(sizeof(void *) == 8 ? 136 : 80, M_BUS, M_WAITOK | M_ZERO);
		(void)malloc(64 + 96 * (i % 7), M_BUS_SC, M_WAITOK | M_ZERO);
		if (i % 5 == 0)
			(void)malloc(5000 + 1000 * (i % 3), M_DEVBUF, M_WAITOK | M_ZERO);
	}
}
