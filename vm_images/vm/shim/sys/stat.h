/* kmemdbg VM shim: <sys/stat.h> (mkdir of the in-memory file system is a no-op). */
#ifndef VM_SHIM_SYS_STAT_H
#define VM_SHIM_SYS_STAT_H
typedef unsigned int mode_t;
int	mkdir(const char *path, mode_t mode);
#endif
