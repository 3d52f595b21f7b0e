/*
 * kmemdbg VM: the few libc pieces the simulator sources use, for the freestanding (multiboot)
 * build.  Written for this project; deliberately small:
 *
 *   stdio   FILE is either the console (stdout/stderr -> COM1) or an in-memory file; printf
 *           supports the conversions the simulator uses (d i u x X p s c %, flags -0+ space,
 *           width/precision incl. *, length hh h l ll z j t); no floating point output.
 *   files   a handful of named in-memory files: fopen("w") truncates, rename() replaces; the
 *           rename hook (vm_file_renamed) lets machdep publish expected.json on the serial port.
 *   heap    malloc/calloc/realloc/free: power-of-two size classes over pages from vm_pages_take()
 *           (free lists, so per-tick temporaries do not leak guest RAM).
 *   misc    string.h, strtoul & co, getopt_long, getenv (from the kernel command line).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/mman.h>

#include "vm.h"

int errno;

/* ---- string.h ------------------------------------------------------------------------------ */

void *
memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return (d);
}

void *
memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return (d);
}

void *
memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp)
		while (n--)
			*dp++ = *sp++;
	else
		while (n--)
			dp[n] = sp[n];
	return (d);
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return (*x - *y);
	return (0);
}

size_t
strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return (n);
}

size_t
strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return (n);
}

int
strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return ((unsigned char)*a - (unsigned char)*b);
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return ((unsigned char)*a - (unsigned char)*b);
		if (*a == 0)
			break;
	}
	return (0);
}

char *
strcpy(char *d, const char *s)
{
	char *r = d;

	while ((*d++ = *s++) != 0)
		;
	return (r);
}

char *
strncpy(char *d, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++)
		d[i] = s[i];
	for (; i < n; i++)
		d[i] = 0;
	return (d);
}

char *
strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return ((char *)s);
		if (*s == 0)
			return (NULL);
	}
}

char *
strrchr(const char *s, int c)
{
	const char *r = NULL;

	for (;; s++) {
		if (*s == (char)c)
			r = s;
		if (*s == 0)
			return ((char *)r);
	}
}

char *
strstr(const char *h, const char *n)
{
	size_t ln = strlen(n);

	for (; *h; h++)
		if (strncmp(h, n, ln) == 0)
			return ((char *)h);
	return (ln == 0 ? (char *)h : NULL);
}

size_t
strcspn(const char *s, const char *reject)
{
	size_t n = 0;

	while (s[n] && strchr(reject, s[n]) == NULL)
		n++;
	return (n);
}

char *
strdup(const char *s)
{
	char *d = malloc(strlen(s) + 1);

	if (d != NULL)
		strcpy(d, s);
	return (d);
}

char *
strerror(int e)
{
	switch (e) {
	case ENOENT: return ("No such file or directory");
	case ENOMEM: return ("Cannot allocate memory");
	case ENOSYS: return ("Function not implemented");
	case EINVAL: return ("Invalid argument");
	default: return ("Error");
	}
}

/* ---- heap ------------------------------------------------------------------------------------ */

/*
 * Blocks of 2^k bytes (k >= 5) with a 16-byte header holding k; requests above 64 KiB take
 * whole pages (header page-aligned too).  Freed blocks go on their class's list.
 */
#define HEAP_MINSHIFT	5
#define HEAP_MAXSHIFT	16
#define HEAP_HDR	16

struct heap_free {
	struct heap_free *next;
};
static struct heap_free *heap_lists[HEAP_MAXSHIFT + 1];
static char *heap_cur, *heap_end;

static void *
heap_carve(size_t n)
{
	if (heap_cur == NULL || (size_t)(heap_end - heap_cur) < n) {
		size_t np = (n + 65535) / 65536 * 16;	/* whole 64 KiB chunks */

		heap_cur = vm_pages_take(np);
		if (heap_cur == NULL)
			return (NULL);
		heap_end = heap_cur + np * 4096;
	}
	heap_cur += n;
	return (heap_cur - n);
}

void *
malloc(size_t n)
{
	unsigned int k = HEAP_MINSHIFT;
	char *p;

	if (n + HEAP_HDR > ((size_t)1 << HEAP_MAXSHIFT)) {
		size_t np = (n + HEAP_HDR + 4095) / 4096;

		p = vm_pages_take(np);
		if (p == NULL) {
			errno = ENOMEM;
			return (NULL);
		}
		*(size_t *)p = np;
		((unsigned int *)p)[2] = 0xffu;	/* large: page count in the first word */
		return (p + HEAP_HDR);
	}
	while (((size_t)1 << k) < n + HEAP_HDR)
		k++;
	if (heap_lists[k] != NULL) {
		p = (char *)heap_lists[k];
		heap_lists[k] = heap_lists[k]->next;
	} else if ((p = heap_carve((size_t)1 << k)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	((unsigned int *)p)[2] = k;
	return (p + HEAP_HDR);
}

static size_t
heap_size(void *q)
{
	char *p = (char *)q - HEAP_HDR;
	unsigned int k = ((unsigned int *)p)[2];

	if (k == 0xffu)
		return (*(size_t *)p * 4096 - HEAP_HDR);
	return (((size_t)1 << k) - HEAP_HDR);
}

void
free(void *q)
{
	char *p;
	unsigned int k;

	if (q == NULL)
		return;
	p = (char *)q - HEAP_HDR;
	k = ((unsigned int *)p)[2];
	if (k == 0xffu) {
		vm_pages_give(p, *(size_t *)p);
		return;
	}
	((struct heap_free *)p)->next = heap_lists[k];
	heap_lists[k] = (struct heap_free *)p;
}

void *
calloc(size_t n, size_t size)
{
	void *p = malloc(n * size);

	if (p != NULL)
		memset(p, 0, n * size);
	return (p);
}

void *
realloc(void *q, size_t n)
{
	void *p;
	size_t old;

	if (q == NULL)
		return (malloc(n));
	old = heap_size(q);
	if (n <= old)
		return (q);
	p = malloc(n);
	if (p == NULL)
		return (NULL);
	memcpy(p, q, old);
	free(q);
	return (p);
}

/* Anonymous mappings (the simulator's page arena): page-aligned, zeroed guest RAM. */
void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	size_t np = (len + 4095) / 4096;
	void *p;

	(void)addr; (void)prot; (void)flags; (void)fd; (void)off;
	p = vm_pages_take(np);
	if (p == NULL) {
		errno = ENOMEM;
		return (MAP_FAILED);
	}
	memset(p, 0, np * 4096);
	return (p);
}

int
munmap(void *addr, size_t len)
{
	vm_pages_give(addr, (len + 4095) / 4096);
	return (0);
}

/* ---- numbers ---------------------------------------------------------------------------------- */

unsigned long long
strtoull(const char *s, char **end, int base)
{
	unsigned long long v = 0;
	int neg = 0, d;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	} else if (base == 0)
		base = s[0] == '0' ? 8 : 10;
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'z')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'Z')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		v = v * base + d;
	}
	if (end != NULL)
		*end = (char *)s;
	return (neg ? -v : v);
}

unsigned long
strtoul(const char *s, char **end, int base)
{
	return ((unsigned long)strtoull(s, end, base));
}

long
strtol(const char *s, char **end, int base)
{
	return ((long)strtoull(s, end, base));
}

int
atoi(const char *s)
{
	return ((int)strtol(s, NULL, 10));
}

long
atol(const char *s)
{
	return (strtol(s, NULL, 10));
}

double
atof(const char *s)
{
	double v = 0, scale = 1;
	int neg = 0;

	while (*s == ' ')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++) {
			scale /= 10;
			v += (*s - '0') * scale;
		}
	return (neg ? -v : v);
}

void
qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *b = base, tmp;
	size_t i, j, k;

	/* insertion sort: the simulator sorts short lists only */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0; j--)
			for (k = 0; k < size; k++) {
				tmp = b[(j - 1) * size + k];
				b[(j - 1) * size + k] = b[j * size + k];
				b[j * size + k] = tmp;
			}
}

/* ---- environment, process --------------------------------------------------------------------- */

char *
getenv(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < vm_nenv; i++)
		if (strncmp(vm_env[i], name, n) == 0 && vm_env[i][n] == '=')
			return (vm_env[i] + n + 1);
	return (NULL);
}

pid_t
getpid(void)
{
	return (1);
}

ssize_t
readlink(const char *path, char *buf, size_t n)
{
	const char *exe = "/boot/kernel/kernel";
	size_t l = strlen(exe);

	(void)path;
	if (l > n)
		l = n;
	memcpy(buf, exe, l);
	return ((ssize_t)l);
}

char *
dirname(char *path)
{
	char *s = strrchr(path, '/');

	if (s == NULL)
		return (".");
	if (s == path)
		return ("/");
	*s = 0;
	return (path);
}

char *
basename(char *path)
{
	char *s = strrchr(path, '/');

	return (s ? s + 1 : path);
}

int
mkdir(const char *path, mode_t mode)
{
	(void)path; (void)mode;
	return (0);
}

int
usleep(useconds_t usec)
{
	vm_idle_wait(usec);
	return (0);
}

unsigned int
sleep(unsigned int sec)
{
	vm_idle_wait((uint64_t)sec * 1000000u);
	return (0);
}

void
abort(void)
{
	vm_halt("abort()", 134);
}

void
exit(int status)
{
	vm_halt("exit()", status);
}

/* ---- getopt_long (long options, "--name value" and "--name=value") ------------------------------ */

char *optarg;
int optind = 1, opterr = 1, optopt;

int
getopt_long(int argc, char *const argv[], const char *optstring, const struct option *lo,
    int *longindex)
{
	const char *a, *eq;
	size_t n;
	int i;

	(void)optstring;
	if (optind >= argc)
		return (-1);
	a = argv[optind];
	if (a[0] != '-' || a[1] != '-')
		return (-1);
	if (a[2] == 0) {
		optind++;
		return (-1);
	}
	a += 2;
	eq = strchr(a, '=');
	n = eq ? (size_t)(eq - a) : strlen(a);
	optind++;
	for (i = 0; lo[i].name != NULL; i++) {
		if (strlen(lo[i].name) != n || strncmp(lo[i].name, a, n) != 0)
			continue;
		if (longindex)
			*longindex = i;
		optarg = NULL;
		if (lo[i].has_arg == required_argument) {
			if (eq)
				optarg = (char *)eq + 1;
			else if (optind < argc)
				optarg = argv[optind++];
			else
				return ('?');
		} else if (eq)
			optarg = (char *)eq + 1;
		if (lo[i].flag) {
			*lo[i].flag = lo[i].val;
			return (0);
		}
		return (lo[i].val);
	}
	return ('?');
}

/* ---- files -------------------------------------------------------------------------------------- */

#define VM_NFILES	8

struct vm_file {
	int	kind;		/* 0 free, 1 console, 2 memory */
	char	name[128];
	char	*buf;
	size_t	len, cap;
};

static struct vm_file console_out = { 1, "stdout", NULL, 0, 0 };
static struct vm_file console_err = { 1, "stderr", NULL, 0, 0 };
static struct vm_file files[VM_NFILES];
FILE *stdin = NULL, *stdout = &console_out, *stderr = &console_err;

static const char *
norm(const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (path[0] == '/')
		path++;
	return (path);
}

static struct vm_file *
file_lookup(const char *path)
{
	int i;

	for (i = 0; i < VM_NFILES; i++)
		if (files[i].kind == 2 && strcmp(files[i].name, norm(path)) == 0)
			return (&files[i]);
	return (NULL);
}

FILE *
fopen(const char *path, const char *mode)
{
	struct vm_file *f = file_lookup(path);
	int i;

	if (mode[0] == 'r') {
		if (f == NULL)
			errno = ENOENT;
		return (f);
	}
	if (f == NULL) {
		for (i = 0; i < VM_NFILES && files[i].kind != 0; i++)
			;
		if (i == VM_NFILES) {
			errno = ENOMEM;
			return (NULL);
		}
		f = &files[i];
		f->kind = 2;
		strncpy(f->name, norm(path), sizeof(f->name) - 1);
	}
	if (mode[0] == 'w')
		f->len = 0;
	return (f);
}

/* open_memstream: kind 3, not named; *ptr / *sizeloc follow the buffer on fflush/fclose. */
struct vm_memstream {
	struct vm_file	file;
	char		**ptr;
	size_t		*sizeloc;
};

FILE *
open_memstream(char **ptr, size_t *sizeloc)
{
	struct vm_memstream *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return (NULL);
	m->file.kind = 3;
	m->ptr = ptr;
	m->sizeloc = sizeloc;
	m->file.buf = malloc(64);
	if (m->file.buf == NULL) {
		free(m);
		return (NULL);
	}
	m->file.buf[0] = 0;
	m->file.cap = 64;
	*ptr = m->file.buf;
	*sizeloc = 0;
	return (&m->file);
}

int
fflush(FILE *f)
{
	if (f != NULL && f->kind == 3) {
		struct vm_memstream *m = (struct vm_memstream *)f;

		*m->ptr = f->buf;
		*m->sizeloc = f->len;
	}
	return (0);
}

int
fclose(FILE *f)
{
	fflush(f);
	if (f != NULL && f->kind == 3)
		free(f);
	return (0);
}

static void
file_put(FILE *f, const char *s, size_t n)
{
	if (f == NULL)
		return;
	if (f->kind == 1) {
		vm_console_write(s, n);
		return;
	}
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		char *nb;

		while (cap < f->len + n + 1)
			cap *= 2;
		nb = realloc(f->buf, cap);
		if (nb == NULL)
			return;
		f->buf = nb;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	f->buf[f->len] = 0;
}

int
rename(const char *from, const char *to)
{
	struct vm_file *a = file_lookup(from), *b;

	if (a == NULL) {
		errno = ENOENT;
		return (-1);
	}
	b = file_lookup(to);
	if (b != NULL && b != a) {
		free(b->buf);
		memset(b, 0, sizeof(*b));
	}
	strncpy(a->name, norm(to), sizeof(a->name) - 1);
	vm_file_renamed(a->name, a->buf ? a->buf : "", a->len);
	return (0);
}

int
remove(const char *path)
{
	struct vm_file *f = file_lookup(path);

	if (f == NULL)
		return (-1);
	free(f->buf);
	memset(f, 0, sizeof(*f));
	return (0);
}

int
fputc(int c, FILE *f)
{
	char ch = (char)c;

	file_put(f, &ch, 1);
	return (c & 0xff);
}

int
putc(int c, FILE *f)
{
	return (fputc(c, f));
}

int
putchar(int c)
{
	return (fputc(c, stdout));
}

int
fputs(const char *s, FILE *f)
{
	file_put(f, s, strlen(s));
	return (0);
}

int
puts(const char *s)
{
	fputs(s, stdout);
	fputc('\n', stdout);
	return (0);
}

size_t
fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	file_put(f, p, size * n);
	return (n);
}

void
perror(const char *s)
{
	fprintf(stderr, "%s: %s\n", s, strerror(errno));
}

/* ---- printf ---------------------------------------------------------------------------------- */

struct out {
	FILE	*f;		/* or a buffer: */
	char	*buf;
	size_t	cap, n;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	size_t i;

	if (o->f != NULL)
		file_put(o->f, s, n);
	else
		for (i = 0; i < n; i++)
			if (o->n + i + 1 < o->cap)
				o->buf[o->n + i] = s[i];
	o->n += n;
}

static void
out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_put(o, &c, 1);
}

static int
do_printf(struct out *o, const char *fmt, va_list ap)
{
	char tmp[72];
	const char *s;

	for (; *fmt; fmt++) {
		int left = 0, zero = 0, plus = 0, space = 0, alt = 0, width = 0, prec = -1, lng = 0;
		int neg = 0, base = 10, upper = 0, len, pfx = 0;
		unsigned long long u = 0;
		char c;

		if (*fmt != '%') {
			out_put(o, fmt, 1);
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '-') left = 1;
			else if (*fmt == '0') zero = 1;
			else if (*fmt == '+') plus = 1;
			else if (*fmt == ' ') space = 1;
			else if (*fmt == '#') alt = 1;
			else break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0)
				left = 1, width = -width;
			fmt++;
		} else
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
		}
		for (;; fmt++) {
			if (*fmt == 'h') lng = lng > 0 ? lng : -1;
			else if (*fmt == 'l') lng = lng >= 1 ? 2 : 1;
			else if (*fmt == 'z' || *fmt == 't') lng = sizeof(size_t) == 8 ? 2 : 1;
			else if (*fmt == 'j' || *fmt == 'q' || *fmt == 'L') lng = 2;
			else break;
		}
		c = *fmt;
		if (c == 0)
			break;
		switch (c) {
		case '%':
			out_put(o, "%", 1);
			continue;
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			if (!left) out_pad(o, ' ', width - 1);
			out_put(o, tmp, 1);
			if (left) out_pad(o, ' ', width - 1);
			continue;
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			len = prec >= 0 ? (int)strnlen(s, prec) : (int)strlen(s);
			if (!left) out_pad(o, ' ', width - len);
			out_put(o, s, len);
			if (left) out_pad(o, ' ', width - len);
			continue;
		case 'd': case 'i':
			{
				long long v;

				if (lng == 2) v = va_arg(ap, long long);
				else if (lng == 1) v = va_arg(ap, long);
				else v = va_arg(ap, int);
				neg = v < 0;
				u = neg ? -(unsigned long long)v : (unsigned long long)v;
			}
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			base = 16;
			alt = 1;
			break;
		case 'u': case 'x': case 'X': case 'o':
			if (lng == 2) u = va_arg(ap, unsigned long long);
			else if (lng == 1) u = va_arg(ap, unsigned long);
			else u = va_arg(ap, unsigned int);
			base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
			upper = c == 'X';
			break;
		case 'e': case 'f': case 'g': case 'E': case 'G':
			(void)va_arg(ap, double);
			out_put(o, "?", 1);
			continue;
		default:
			out_put(o, fmt, 1);
			continue;
		}
		/* integer */
		len = 0;
		do {
			int d = (int)(u % base);

			tmp[sizeof(tmp) - 1 - len++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
			u /= base;
		} while (u != 0);
		while (prec > len)
			tmp[sizeof(tmp) - 1 - len++] = '0';
		{
			char sign[3];

			if (neg) sign[pfx++] = '-';
			else if (plus) sign[pfx++] = '+';
			else if (space) sign[pfx++] = ' ';
			if (alt && base == 16) {
				sign[pfx++] = '0';
				sign[pfx++] = upper ? 'X' : 'x';
			}
			if (!left && !(zero && prec < 0))
				out_pad(o, ' ', width - len - pfx);
			out_put(o, sign, pfx);
			if (!left && zero && prec < 0)
				out_pad(o, '0', width - len - pfx);
			out_put(o, tmp + sizeof(tmp) - len, len);
			if (left)
				out_pad(o, ' ', width - len - pfx);
		}
	}
	return ((int)o->n);
}

int
vfprintf(FILE *f, const char *fmt, va_list ap)
{
	struct out o = { f, NULL, 0, 0 };

	return (do_printf(&o, fmt, ap));
}

int
fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfprintf(f, fmt, ap);
	va_end(ap);
	return (r);
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return (r);
}

int
vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { NULL, buf, n, 0 };
	int r = do_printf(&o, fmt, ap);

	if (n > 0)
		buf[o.n < n ? o.n : n - 1] = 0;
	return (r);
}

int
snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return (r);
}

int
sprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, (size_t)-1 / 2, fmt, ap);
	va_end(ap);
	return (r);
}
