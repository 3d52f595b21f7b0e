/*
 * FFS: in-core inodes come from "FFS inode", their on-disk copies from "FFS1 dinode" (UFS1,
 * 128 bytes) or "FFS2 dinode" (UFS2, 256 bytes).
 */
#include <sys/malloc.h>
#include <vm/uma.h>

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

struct sim_inode {
	void	*i_din;			/* the dinode copy */
};

void *
sim_ffs_vget(void *vp, int ffs2)
{
	struct sim_inode *ip;

	(void)vp;
	ip = uma_zalloc(uma_inode, M_WAITOK | M_ZERO);
	if (ip != NULL)
		ip->i_din = uma_zalloc(ffs2 ? uma_ufs2 : uma_ufs1, M_WAITOK | M_ZERO);
	return (ip);
}

void
sim_ffs_reclaim(void *p, int ffs2)
{
	struct sim_inode *ip = p;

	if (ip->i_din != NULL)
		uma_zfree(ffs2 ? uma_ufs2 : uma_ufs1, ip->i_din);
	uma_zfree(uma_inode, ip);
}
