/* timecounters: seconds since boot. */
#include <time.h>

#if SIM_ERA <= 6
time_t time_uptime = 1;
#else
volatile time_t time_uptime = 1;
#endif
