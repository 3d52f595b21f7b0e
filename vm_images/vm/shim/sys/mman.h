/* kmemdbg VM shim: <sys/mman.h> (anonymous mappings come from guest RAM pages). */
#ifndef VM_SHIM_SYS_MMAN_H
#define VM_SHIM_SYS_MMAN_H
#include <stddef.h>
#define PROT_NONE	0
#define PROT_READ	1
#define PROT_WRITE	2
#define PROT_EXEC	4
#define MAP_SHARED	0x01
#define MAP_PRIVATE	0x02
#define MAP_ANONYMOUS	0x20
#define MAP_ANON	MAP_ANONYMOUS
#define MAP_NORESERVE	0x4000
#define MAP_FAILED	((void *)-1)
typedef long off_t;
void	*mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int	munmap(void *addr, size_t len);
#endif
