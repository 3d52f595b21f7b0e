/*
 * FFS: in-core inodes come from "FFS inode", their on-disk copies from "FFS1 dinode" (UFS1,
 * 128 bytes) or "FFS2 dinode" (UFS2, 256 bytes).
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include "sim/reach.h"
#include "sim/scenario.h"

#if defined(__i386__)
#define INODE_SIZE	(SIM_ERA <= 6 ? 184 : 212)
#else
#define INODE_SIZE	(SIM_ERA <= 11 ? 296 : 272)
#endif

static uma_zone_t uma_inode, uma_ufs1, uma_ufs2;

void ffs_init(void *dummy);

void
ffs_init(void *dummy)
{
	(void)dummy;
	uma_inode = uma_zcreate("FFS inode", INODE_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
	uma_ufs1 = uma_zcreate("FFS1 dinode", 128, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
	uma_ufs2 = uma_zcreate("FFS2 dinode", 256, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
}

/* The in-core inode: its vnode and its dinode copy (i_din1 / i_din2 of ufs/inode.h). */
struct inode {
	void	*i_vnode;
	union {
		void	*din1;			/* struct ufs1_dinode */
		void	*din2;			/* struct ufs2_dinode */
	} dinode_u;
};

static const struct sim_reach_kind k_inode = { "struct inode", NULL };
static const struct sim_reach_kind k_din1 = { "struct ufs1_dinode", NULL };
static const struct sim_reach_kind k_din2 = { "struct ufs2_dinode", NULL };

void *
sim_ffs_vget(void *vp, int ffs2)
{
	struct inode *ip;

	ip = uma_zalloc(uma_inode, M_WAITOK | M_ZERO);
	if (ip == NULL)
		return (NULL);
	ip->i_vnode = vp;
	sim_reach_held(ip, &k_inode, vp, NULL, sim_vnode_datap(vp), "v_data", 0);
	ip->dinode_u.din1 = uma_zalloc(ffs2 ? uma_ufs2 : uma_ufs1, M_WAITOK | M_ZERO);
	sim_reach_held(ip->dinode_u.din1, ffs2 ? &k_din2 : &k_din1, ip, NULL, &ip->dinode_u.din1,
	    ffs2 ? "dinode_u.din2" : "dinode_u.din1", 0);
	return (ip);
}

void
sim_ffs_reclaim(void *p, int ffs2)
{
	struct inode *ip = p;

	if (ip->dinode_u.din1 != NULL) {
		sim_reach_freed(ip->dinode_u.din1);
		uma_zfree(ffs2 ? uma_ufs2 : uma_ufs1, ip->dinode_u.din1);
	}
	sim_reach_freed(ip);
	uma_zfree(uma_inode, ip);
}
