/*
 * vnodes: every in-core file has a struct vnode from "VNODE", a filesystem inode (ffs: "FFS
 * inode" plus its on-disk copy in "FFS1 dinode"/"FFS2 dinode") and, for regular files, a VM
 * object ("VM OBJECT").  desiredvnodes bounds the cache softly (vnlru recycles), not via UMA.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include "sim/scenario.h"

MALLOC_DEFINE(M_NETADDR, "subr_export_host", "Export host address structure");

#if defined(__i386__)
#define VNODE_SIZE	(SIM_ERA <= 6 ? 264 : 320)
#elif SIM_ERA <= 9
#define VNODE_SIZE	472
#elif SIM_ERA <= 12
#define VNODE_SIZE	480
#else
#define VNODE_SIZE	448
#endif

int desiredvnodes = 4096;
uma_zone_t vnode_zone;
uma_zone_t vnodepoll_zone;

void vntblinit(void *dummy);

void
vntblinit(void *dummy)
{
	(void)dummy;
	vnode_zone = uma_zcreate("VNODE", VNODE_SIZE, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
	vnodepoll_zone = uma_zcreate("VNODEPOLL", sizeof(void *) == 8 ? 120 : 64, NULL, NULL,
	    NULL, NULL, UMA_ALIGN_PTR, 0);
}

void *sim_ffs_vget(void *vp, int ffs2);
void sim_ffs_reclaim(void *ip, int ffs2);
void *sim_vm_object_allocate(void);
void sim_vm_object_deallocate(void *obj);

struct sim_vnode {
	void	*v_data;		/* the inode */
	void	*v_object;		/* the VM object */
	int	v_ffs2;
};

void *
sim_vnode_get(int ffs2)
{
	struct sim_vnode *vp;

	vp = uma_zalloc(vnode_zone, M_WAITOK | M_ZERO);
	if (vp == NULL)
		return (NULL);
	vp->v_ffs2 = ffs2;
	vp->v_data = sim_ffs_vget(vp, ffs2);
	vp->v_object = sim_vm_object_allocate();
	return (vp);
}

void
sim_vnode_put(void *p)
{
	struct sim_vnode *vp = p;

	if (vp->v_object != NULL)
		sim_vm_object_deallocate(vp->v_object);
	if (vp->v_data != NULL)
		sim_ffs_reclaim(vp->v_data, vp->v_ffs2);
	uma_zfree(vnode_zone, vp);
}
