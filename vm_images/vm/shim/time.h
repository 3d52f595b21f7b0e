/* kmemdbg VM shim: <time.h> (time_t is `long`, as glibc's on i386 and amd64). */
#ifndef VM_SHIM_TIME_H
#define VM_SHIM_TIME_H
typedef long time_t;
time_t time(time_t *t);
#endif
