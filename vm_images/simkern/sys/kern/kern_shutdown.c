/*
 * panic(9) state.  After a panic the kernel's message buffer holds the formatted message and
 * panicstr points to it; debuggers and crashinfo(8) print it from a core.
 */
#include <stdio.h>

#include "sim/scenario.h"

const char *panicstr;
static char panic_buf[256];

void
sim_set_panic(const char *msg)
{
	if (panicstr != NULL)
		return;			/* a nested panic keeps the first message */
	snprintf(panic_buf, sizeof(panic_buf), "%s", msg);
	panicstr = panic_buf;
}

const char *
sim_panicstr(void)
{
	return (panicstr);
}
