/* kmemdbg VM shim: <stdlib.h> (a small size-class heap over guest RAM). */
#ifndef VM_SHIM_STDLIB_H
#define VM_SHIM_STDLIB_H
#include <stddef.h>
void	*malloc(size_t n);
void	*calloc(size_t n, size_t size);
void	*realloc(void *p, size_t n);
void	free(void *p);
void	abort(void) __attribute__((noreturn));
void	exit(int status) __attribute__((noreturn));
int	atoi(const char *s);
long	atol(const char *s);
double	atof(const char *s);
long	strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
char	*getenv(const char *name);
void	qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
#endif
