/* kmemdbg VM shim: <errno.h>. */
#ifndef VM_SHIM_ERRNO_H
#define VM_SHIM_ERRNO_H
extern int errno;
#define ENOENT	2
#define EIO	5
#define ENOMEM	12
#define EEXIST	17
#define EINVAL	22
#define ENOSYS	38
#endif
