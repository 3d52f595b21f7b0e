/*
 * Kernel virtual memory accounting as the era exposes it.  6.x-9.x carve malloc(9) and UMA
 * pages out of kmem_map, a submap of kernel_map whose `size` is vm.kmem_map_size; 10.x and
 * 11.x use the kmem_arena vmem (subr_vmem.c); 12.x and later account with uma_kmem_total /
 * uma_kmem_limit (sys/vm/uma_core.c).  The simulated struct vm_map carries the members used for that
 * accounting only.
 */
#include <sys/malloc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"

extern u_long vm_kmem_size;

/*
 * kmem in use, from the ledgers: the pages of every keg's slabs (UMA ledger) plus the
 * page-rounded large allocations (malloc ledger).  Boot-time pages that the kernel never
 * accounts as kmem (per-CPU areas, UMA's boot pages) are not part of it.
 */
static unsigned long
kmem_pages_bytes(void)
{
	char *buf = NULL, *p;
	size_t len = 0;
	unsigned long pages = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	sim_uma_write_kegs(f);
	fclose(f);
	for (p = buf; (p = strstr(p, "\"pages\": ")) != NULL; p += 9)
		pages += strtoul(p + 9, NULL, 10);
	(free)(buf);
	return (pages * PAGE_SIZE + sim_malloc_large_bytes());
}

#if SIM_ERA <= 9
struct vm_map {
	int		nentries;	/* entries in the map */
	vm_size_t	size;		/* bytes mapped: vm.kmem_map_size */
	u_int		timestamp;
	u_char		needs_wakeup;
	u_char		system_map;	/* a kernel (system) map */
	vm_offset_t	min_offset;
	vm_offset_t	max_offset;
};
typedef struct vm_map *vm_map_t;

static struct vm_map kmem_map_store;
vm_map_t kmem_map = &kmem_map_store;

/* Bytes currently allocated from kmem (kmem_map->size). */
unsigned long
sim_kmem_allocated(void)
{
	return (kmem_map->size);
}
#else
unsigned long sim_kmem_vmem_inuse(void);

unsigned long
sim_kmem_allocated(void)
{
#if SIM_ERA <= 11
	return (sim_kmem_vmem_inuse());
#else
	return (kmem_pages_bytes());
#endif
}
#endif

void
sim_kmem_sync(void)
{
#if SIM_ERA <= 9
	kmem_map->system_map = 1;
	kmem_map->nentries = 1;
	kmem_map->min_offset = 0;
	kmem_map->max_offset = vm_kmem_size;
	kmem_map->size = kmem_pages_bytes();
#elif SIM_ERA <= 11
	extern void sim_vmem_sync(void);

	sim_vmem_sync();
#endif
}

void
sim_malloc_write_kmem(FILE *f)
{
	sim_kmem_sync();
#if SIM_ERA <= 9
	fprintf(f, "{\"vm_kmem_size\": %lu, \"kmem_map_size\": %lu}", vm_kmem_size,
	    (unsigned long)kmem_map->size);
#elif SIM_ERA <= 11
	fprintf(f, "{\"vm_kmem_size\": %lu, \"kmem_arena_inuse\": %lu}", vm_kmem_size,
	    sim_kmem_allocated());
#else
	fprintf(f, "{\"vm_kmem_size\": %lu, \"uma_kmem_total\": %lu, \"uma_kmem_limit\": %lu}",
	    vm_kmem_size, kmem_pages_bytes(), vm_kmem_size);
#endif
}

unsigned long
sim_kmem_ledger_bytes(void)
{
	return (kmem_pages_bytes());
}
