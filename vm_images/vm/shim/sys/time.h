/* kmemdbg VM shim: <sys/time.h>. */
#ifndef VM_SHIM_SYS_TIME_H
#define VM_SHIM_SYS_TIME_H
#include <sys/types.h>
struct timeval {
	time_t		tv_sec;
	suseconds_t	tv_usec;
};
#endif
