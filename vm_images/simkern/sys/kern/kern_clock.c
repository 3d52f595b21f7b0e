/* The clock: `ticks` counts hardclock interrupts since boot (hz per second). */
#include <time.h>

#include "sim/scenario.h"

#if SIM_ERA <= 9
int ticks;
#else
volatile int ticks;
#endif

extern int hz;
#if SIM_ERA <= 6
extern time_t time_uptime;
#else
extern volatile time_t time_uptime;
#endif

/* One simulated tick is one second of kernel time. */
void
sim_clock_tick(void)
{
	ticks += hz;
	time_uptime++;
}

int
sim_ticks(void)
{
	return (ticks);
}
