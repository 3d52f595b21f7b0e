/* kmemdbg VM shim: <dlfcn.h>.  The modules are linked into the image; dlopen() finds them in a
 * table by file name and dlsym() their init function by name (vm/modules.c). */
#ifndef VM_SHIM_DLFCN_H
#define VM_SHIM_DLFCN_H
#define RTLD_LAZY	1
#define RTLD_NOW	2
#define RTLD_LOCAL	0
#define RTLD_GLOBAL	0x100
void	*dlopen(const char *path, int flags);
void	*dlsym(void *h, const char *sym);
char	*dlerror(void);
int	dlclose(void *h);
#endif
