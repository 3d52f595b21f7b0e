/* libfixmod.so: a global, a file-static and a function outside the main executable. */
#include "fixmod.h"

struct modinfo fixmod_info = { "fixmod", 3, 4096 };
static struct modinfo fixmod_static = { "fixmod-static", 1, 8192 };

static int fixmod_line;

int
fixmod_func(int x)
{
	fixmod_line = __LINE__;
	return x + (int)fixmod_static.mi_refs;
}

void *fixmod_info_addr(void) { return &fixmod_info; }
void *fixmod_static_addr(void) { return &fixmod_static; }
void *fixmod_func_addr(void) { return (void *)fixmod_func; }
int fixmod_func_line(void) { fixmod_func(0); return fixmod_line; }
