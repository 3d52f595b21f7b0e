/* VM objects: one per file with pages in memory, from "VM OBJECT". */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <sys/queue.h>

#include "sim/reach.h"
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

/* The first members of vm/vm_object.h; a vnode's object points back at it (handle). */
struct vm_object {
	void	*lock;
	TAILQ_ENTRY(vm_object) object_list;
	void	*handle;			/* the vnode */
};

static const struct sim_reach_kind k_object = { "struct vm_object", NULL };

void *sim_vm_object_allocate(void *vp);
void sim_vm_object_deallocate(void *obj);

/* vnode_create_vobject: the object of vnode `vp`, held by its v_object. */
void *
sim_vm_object_allocate(void *vp)
{
	struct vm_object *obj;

	obj = uma_zalloc(obj_zone, M_WAITOK | M_ZERO);
	if (obj == NULL)
		return (NULL);
	obj->handle = vp;
	sim_reach_held(obj, &k_object, vp, NULL, sim_vnode_objectp(vp), "v_object", 0);
	return (obj);
}

void
sim_vm_object_deallocate(void *obj)
{
	sim_reach_freed(obj);
	uma_zfree(obj_zone, obj);
}
