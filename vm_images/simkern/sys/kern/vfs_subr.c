/*
 * vnodes: every in-core file has a struct vnode from "VNODE", a filesystem inode (ffs: "FFS
 * inode" plus its on-disk copy in "FFS1 dinode"/"FFS2 dinode") and, for regular files, a VM
 * object ("VM OBJECT").  desiredvnodes bounds the cache softly (vnlru recycles), not via UMA.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <sys/queue.h>

#include "sim/reach.h"
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
void *sim_vm_object_allocate(void *vp);
void sim_vm_object_deallocate(void *obj);

/*
 * Every vnode is on vnode_list (TAILQ v_vnodelist, 13.x's global list; earlier eras keep vnodes
 * on their mount's mnt_nvnodelist, not modelled), holds its inode (v_data) and its VM object
 * (v_object, the bufobj's bo_object).
 */
struct vnode {
	int	v_type;
	void	*v_op;
	void	*v_data;			/* the inode */
	void	*v_mount;
	TAILQ_ENTRY(vnode) v_vnodelist;		/* vnode_list */
	void	*v_object;			/* v_bufobj.bo_object */
	int	v_ffs2;				/* simulator: UFS2 (else UFS1) */
	int	v_onlist;			/* simulator: on vnode_list */
};

static TAILQ_HEAD(freelst, vnode) vnode_list = TAILQ_HEAD_INITIALIZER(vnode_list);

static const struct sim_reach_kind k_vnode = { "struct vnode", NULL };

void *
sim_vnode_get(int ffs2)
{
	struct vnode *vp;

	vp = uma_zalloc(vnode_zone, M_WAITOK | M_ZERO);
	if (vp == NULL)
		return (NULL);
	vp->v_type = 1;			/* VREG */
	vp->v_ffs2 = ffs2;
	TAILQ_INSERT_TAIL(&vnode_list, vp, v_vnodelist);
	vp->v_onlist = 1;
	sim_reach_listed(vp, &k_vnode, NULL, "vnode_list", &vnode_list,
	    offsetof(struct vnode, v_vnodelist), "", 0);
	vp->v_data = sim_ffs_vget(vp, ffs2);
	vp->v_object = sim_vm_object_allocate(vp);
	return (vp);
}

void
sim_vnode_put(void *p)
{
	struct vnode *vp = p;

	if (vp->v_object != NULL)
		sim_vm_object_deallocate(vp->v_object);
	if (vp->v_data != NULL)
		sim_ffs_reclaim(vp->v_data, vp->v_ffs2);
	if (vp->v_onlist)
		TAILQ_REMOVE(&vnode_list, vp, v_vnodelist);
	sim_reach_freed(vp);
	uma_zfree(vnode_zone, vp);
}

/*
 * vnlru takes `vp` off vnode_list to reclaim it and sleeps (waiting for memory) with the vnode
 * in a local variable: from now on only thread `td`'s kernel stack holds it.
 */
void
sim_vnode_reclaim_sleep(void *p, void *td, int slot)
{
	struct vnode *vp = p;

	if (vp == NULL || !vp->v_onlist)
		return;
	TAILQ_REMOVE(&vnode_list, vp, v_vnodelist);
	vp->v_onlist = 0;
	if (sim_thread_stack_hold(td, slot, vp, &k_vnode) != 0)
		sim_reach_unlinked(vp);
}

/* Where vnode `vp` keeps its inode and its VM object (for their holders in the ledger). */
void *sim_vnode_datap(void *vp) { return (&((struct vnode *)vp)->v_data); }
void *sim_vnode_objectp(void *vp) { return (&((struct vnode *)vp)->v_object); }
