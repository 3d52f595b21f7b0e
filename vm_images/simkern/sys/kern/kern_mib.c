/* kern.osreldate: __FreeBSD_version of the simulated release. */
#include "sim/scenario.h"

#if SIM_ERA == 6
#define SIM_FREEBSD_VERSION	604000		/* 6.4-RELEASE */
#elif SIM_ERA == 9
#define SIM_FREEBSD_VERSION	903000		/* 9.3-RELEASE */
#elif SIM_ERA == 11
#define SIM_FREEBSD_VERSION	1104000		/* 11.4-RELEASE */
#elif SIM_ERA == 12
#define SIM_FREEBSD_VERSION	1201000		/* 12.1-RELEASE */
#elif SIM_ERA == 13
#define SIM_FREEBSD_VERSION	1302000		/* 13.2-RELEASE */
#elif SIM_ERA == 14
#define SIM_FREEBSD_VERSION	1401000		/* 14.1-RELEASE */
#elif defined(SIM_CURRENT)
#define SIM_FREEBSD_VERSION	1500023		/* 15.0-CURRENT, August 2024 */
#else
#define SIM_FREEBSD_VERSION	1500068		/* 15.0-RELEASE */
#endif

int osreldate = SIM_FREEBSD_VERSION;

int
sim_osreldate(void)
{
	return (osreldate);
}
