/* kmemdbg VM shim: <string.h>. */
#ifndef VM_SHIM_STRING_H
#define VM_SHIM_STRING_H
#include <stddef.h>
void	*memset(void *d, int c, size_t n);
void	*memcpy(void *d, const void *s, size_t n);
void	*memmove(void *d, const void *s, size_t n);
int	memcmp(const void *a, const void *b, size_t n);
size_t	strlen(const char *s);
size_t	strnlen(const char *s, size_t n);
int	strcmp(const char *a, const char *b);
int	strncmp(const char *a, const char *b, size_t n);
char	*strcpy(char *d, const char *s);
char	*strncpy(char *d, const char *s, size_t n);
char	*strchr(const char *s, int c);
char	*strrchr(const char *s, int c);
char	*strstr(const char *h, const char *n);
size_t	strcspn(const char *s, const char *reject);
char	*strdup(const char *s);
char	*strerror(int e);
#endif
