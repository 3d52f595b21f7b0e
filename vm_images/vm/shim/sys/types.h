/* kmemdbg VM shim: <sys/types.h> (glibc's underlying types, so DWARF matches the host build). */
#ifndef VM_SHIM_SYS_TYPES_H
#define VM_SHIM_SYS_TYPES_H
#include <stddef.h>
#include <stdint.h>
typedef long ssize_t;
typedef long off_t;
typedef int pid_t;
typedef long time_t;
typedef long suseconds_t;
typedef unsigned int mode_t;
#endif
