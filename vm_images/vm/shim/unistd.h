/* kmemdbg VM shim: <unistd.h>. */
#ifndef VM_SHIM_UNISTD_H
#define VM_SHIM_UNISTD_H
#include <stddef.h>
typedef int pid_t;
typedef long ssize_t;
typedef unsigned int useconds_t;
pid_t	getpid(void);
int	usleep(useconds_t usec);
unsigned int sleep(unsigned int sec);
ssize_t	readlink(const char *path, char *buf, size_t n);
#endif
