/* Threads: struct thread from "THREAD" (kernel stacks come from elsewhere). */
#include <sys/malloc.h>
#include <vm/uma.h>

#include "sim/scenario.h"

#if defined(__i386__)
#define THREAD_SIZE	(SIM_ERA <= 6 ? 560 : 760)
#else
#define THREAD_SIZE	(SIM_ERA <= 9 ? 1112 : SIM_ERA <= 12 ? 1256 : 1408)
#endif

uma_zone_t thread_zone;

void threadinit(void);

void
threadinit(void)
{
	thread_zone = uma_zcreate("THREAD", THREAD_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_CACHE, 0);
}

void *sim_thread_alloc(void) { return (uma_zalloc(thread_zone, M_WAITOK | M_ZERO)); }
void sim_thread_free(void *td) { uma_zfree(thread_zone, td); }
