/* VM objects: one per file with pages in memory, from "VM OBJECT". */
#include <sys/malloc.h>
#include <vm/uma.h>

#include "sim/scenario.h"

#if defined(__i386__)
#define VM_OBJECT_SIZE	(SIM_ERA <= 6 ? 140 : 172)
#else
#define VM_OBJECT_SIZE	(SIM_ERA <= 11 ? 232 : 256)
#endif

uma_zone_t obj_zone;

void vm_object_init(void);

void
vm_object_init(void)
{
	obj_zone = uma_zcreate("VM OBJECT", VM_OBJECT_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
}

void *sim_vm_object_allocate(void) { return (uma_zalloc(obj_zone, M_WAITOK | M_ZERO)); }
void sim_vm_object_deallocate(void *obj) { uma_zfree(obj_zone, obj); }
