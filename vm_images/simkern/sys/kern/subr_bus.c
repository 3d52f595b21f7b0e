/*
 * newbus: device_t and softcs, malloc(9)ed at boot and kept.  Every device is on
 * bus_data_devices (TAILQ devlink) and holds its softc; every fifth driver's softc holds a
 * buffer of M_DEVBUF in its first word.
 */
#include <sys/malloc.h>
#include <sys/queue.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_BUS, "bus", "Bus data structures");
MALLOC_DEFINE(M_BUS_SC, "bus-sc", "Bus data structures, softc");

/* The first members of subr_bus.c's struct _device; the allocation is the era's sizeof. */
struct _device {
	TAILQ_ENTRY(_device) link;		/* siblings */
	TAILQ_ENTRY(_device) devlink;		/* bus_data_devices */
	void	*parent;
	void	*softc;
};

static TAILQ_HEAD(, _device) bus_data_devices = TAILQ_HEAD_INITIALIZER(bus_data_devices);

static const struct sim_reach_kind k_device = { "struct _device", "bus" };
static const struct sim_reach_kind k_softc = { "softc", "bus-sc" };
static const struct sim_reach_kind k_devbuf = { "driver buffer", "devbuf" };

void bus_attach_sim(int ndevices);

void
bus_attach_sim(int ndevices)
{
	struct _device *dev;
	void **sc;
	int i;

	for (i = 0; i < ndevices; i++) {
		dev = malloc(sizeof(void *) == 8 ? 136 : 80, M_BUS, M_WAITOK | M_ZERO);
		TAILQ_INSERT_TAIL(&bus_data_devices, dev, devlink);
		sim_reach_listed(dev, &k_device, NULL, "bus_data_devices", &bus_data_devices,
		    offsetof(struct _device, devlink), "", 0);
		sc = malloc(64 + 96 * (i % 7), M_BUS_SC, M_WAITOK | M_ZERO);
		dev->softc = sc;
		sim_reach_held(sc, &k_softc, dev, NULL, &dev->softc, "softc", 0);
		if (i % 5 == 0) {
			sc[0] = malloc(5000 + 1000 * (i % 3), M_DEVBUF, M_WAITOK | M_ZERO);
			sim_reach_held(sc[0], &k_devbuf, sc, NULL, &sc[0], "[0]", 0);
		}
	}
}
