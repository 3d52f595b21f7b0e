/* kmemdbg VM shim: the part of <stdio.h> the simulator uses (files live in memory, stdout/stderr
 * go to the serial console).  Not a general libc. */
#ifndef VM_SHIM_STDIO_H
#define VM_SHIM_STDIO_H
#include <stddef.h>
#include <stdarg.h>

typedef struct vm_file FILE;
extern FILE *stdin, *stdout, *stderr;
#define EOF (-1)

FILE	*fopen(const char *path, const char *mode);
int	fclose(FILE *f);
FILE	*open_memstream(char **ptr, size_t *sizeloc);
int	fflush(FILE *f);
int	fputc(int c, FILE *f);
int	putc(int c, FILE *f);
int	putchar(int c);
int	fputs(const char *s, FILE *f);
int	puts(const char *s);
size_t	fwrite(const void *p, size_t size, size_t n, FILE *f);
int	printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int	fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int	vfprintf(FILE *f, const char *fmt, va_list ap);
int	snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int	vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int	sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	perror(const char *s);
int	rename(const char *from, const char *to);
int	remove(const char *path);
#endif
