/* kmemdbg VM shim: <libgen.h>. */
#ifndef VM_SHIM_LIBGEN_H
#define VM_SHIM_LIBGEN_H
char	*dirname(char *path);
char	*basename(char *path);
#endif
