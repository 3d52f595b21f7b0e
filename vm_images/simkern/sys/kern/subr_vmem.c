/*
 * vmem(9) arenas (10.x/11.x): kmem_arena hands out the KVA of malloc(9) and UMA.  struct vmem
 * is private to this file in FreeBSD as well; only the naming and size members are simulated.
 */
#include <sys/malloc.h>

#include <string.h>

#include "sim/scenario.h"

#if SIM_ERA >= 10 && SIM_ERA <= 11
#define VMEM_NAME_MAX	16

typedef size_t vmem_size_t;

struct vmem {
	char		vm_name[VMEM_NAME_MAX + 1];
	vmem_size_t	vm_quantum_mask;
	int		vm_quantum_shift;
	vmem_size_t	vm_size;	/* bytes in the arena */
	vmem_size_t	vm_inuse;	/* bytes allocated */
	vmem_size_t	vm_limit;
};
typedef struct vmem vmem_t;

static struct vmem kmem_arena_storage;
vmem_t *kmem_arena = &kmem_arena_storage;

extern u_long vm_kmem_size;

void
sim_vmem_sync(void)
{
	strcpy(kmem_arena->vm_name, "kmem arena");
	kmem_arena->vm_quantum_mask = PAGE_SIZE - 1;
	kmem_arena->vm_quantum_shift = PAGE_SHIFT;
	kmem_arena->vm_size = vm_kmem_size;
	kmem_arena->vm_inuse = sim_kmem_ledger_bytes();
}

unsigned long
sim_kmem_vmem_inuse(void)
{
	return (kmem_arena->vm_inuse);
}
#endif
