/* kmemdbg VM: interfaces between the freestanding libc shim (libc.c) and machdep.c. */
#ifndef VM_VM_H
#define VM_VM_H
#include <stddef.h>
#include <stdint.h>

extern char **vm_env;
extern int vm_nenv;

void	*vm_pages_take(size_t npages);		/* zeroed? no: caller clears */
void	vm_pages_give(void *va, size_t npages);
void	vm_console_write(const char *s, size_t n);
void	vm_idle_wait(uint64_t usec);
void	vm_file_renamed(const char *name, const char *buf, size_t len);
void	vm_halt(const char *why, int status) __attribute__((noreturn));
#endif
