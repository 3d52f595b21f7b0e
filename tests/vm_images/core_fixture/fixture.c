/*
 * Test program for sim_dump_core() (tests/vm_images/test_core_writer.py): a few kinds of memory
 * a simulated kernel has, with known values, then a core.  `fixture CORE1 CORE2` dumps twice
 * (state changed in between); `fixture --wait` prints its pid and sleeps (debugger attach test).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim.h"

#define ARENA_SIZE (64UL << 20)

struct zone_table {
	int count;
	const char *owner;
	long items[];
};

struct zone_table *zone_table; /* lives in a malloc'd block */
const char *zone_name = "fixture-zone-name";
static volatile int file_static = 17; /* volatile: kept at -O2 */
/*
 * Initialised data zeroed at run time: the core must say 0, not the file's 0x5a.  Its own
 * section lands after .data, so it is the last page of the executable's writable file mapping.
 */
char data_page[4096] __attribute__((section("sim_zeroed_tail"), aligned(4096))) = { 0x5a };
char *arena;       /* 64 MB anonymous, mostly untouched */
char *arena_probe; /* an untouched spot past the arena's last used page */
int generation = 1;

int
main(int argc, char **argv)
{
	char exe[PATH_MAX], mod[PATH_MAX + 32];
	ssize_t len;
	void *h;
	void (*mod_init)(int);

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return 2;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(mod, sizeof(mod), "%s/modules/test.ko", exe);
	h = dlopen(mod, RTLD_NOW);
	if (h == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	mod_init = (void (*)(int))dlsym(h, "mod_init");
	mod_init(4242);

	zone_table = malloc(sizeof(*zone_table) + 5 * sizeof(long));
	zone_table->count = 5;
	zone_table->owner = zone_name;
	for (int i = 0; i < 5; i++)
		zone_table->items[i] = 1000 + i;
	file_static = 23;
	memset(data_page, 0, sizeof(data_page));

	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		return 2;
	strcpy(arena, "arena-head");
	strcpy(arena + (1 << 20), "arena-1mb"); /* zero pages in between stay holes */
	arena_probe = arena + (32 << 20);

	if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
		printf("%d\n", (int)getpid());
		fflush(stdout);
		sleep(120);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (sim_dump_core(argv[i]) != 0) {
			perror("sim_dump_core");
			return 1;
		}
		generation++;
		zone_table->items[0] += 1;
	}
	return 0;
}
