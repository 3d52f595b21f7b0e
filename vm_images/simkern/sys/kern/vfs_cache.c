/*
 * The name cache.  6.x malloc()s each entry (M_VFSCACHE); from 7.x/8.x entries come from two
 * zones by name length, "S VFS Cache" (short names) and "L VFS Cache" (long), and 12.x adds
 * timestamped variants "STS VFS Cache"/"LTS VFS Cache".  The hash table stays in M_VFSCACHE.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <sys/queue.h>

#include <string.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_VFSCACHE, "vfscache", "VFS name cache entries");

#define CACHE_PATH_CUTOFF	(SIM_ERA >= 12 ? 39 : 35)
#define NCP_BASE		(sizeof(void *) == 8 ? 64 : 36)

#if SIM_ERA > 6
uma_zone_t cache_zone_small;
uma_zone_t cache_zone_large;
#endif
#if SIM_ERA >= 12
uma_zone_t cache_zone_small_ts;
uma_zone_t cache_zone_large_ts;
#endif

#define NCHASH_SIZE		1024

static LIST_HEAD(nchashhead, namecache) *nchashtbl;
static u_long nchash;
static u_int nchash_next;	/* entries made: spreads them over the chains */

static const struct sim_reach_kind k_nchashtbl = { "struct nchashhead", "vfscache" };
static const struct sim_reach_kind k_ncp = { "struct namecache", NULL };
static const struct sim_reach_kind k_ncp_malloc = { "struct namecache", "vfscache" };

void nchinit(void *dummy);

void
nchinit(void *dummy)
{
	(void)dummy;
#if SIM_ERA > 6
	cache_zone_small = uma_zcreate("S VFS Cache", NCP_BASE + CACHE_PATH_CUTOFF + 1,
	    NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
#if SIM_ERA >= 12
	cache_zone_small_ts = uma_zcreate("STS VFS Cache", NCP_BASE + 16 + CACHE_PATH_CUTOFF + 1,
	    NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
#endif
	cache_zone_large = uma_zcreate("L VFS Cache", NCP_BASE + 255 + 1,
	    NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
#if SIM_ERA >= 12
	cache_zone_large_ts = uma_zcreate("LTS VFS Cache", NCP_BASE + 16 + 255 + 1,
	    NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
#endif
#endif
	/* The hash table (hashinit): NCHASH_SIZE list heads, nchashtbl points at it. */
	nchashtbl = malloc(NCHASH_SIZE * sizeof(*nchashtbl), M_VFSCACHE, M_WAITOK | M_ZERO);
	nchash = NCHASH_SIZE - 1;
	sim_reach_held(nchashtbl, &k_nchashtbl, NULL, "nchashtbl", &nchashtbl, "", 0);
}

/*
 * An entry: on its hash chain (nc_hash), from its directory's list (nc_src) in FreeBSD (not
 * modelled); names are not stored (negative entries, nc_vp NULL).  Member names follow
 * vfs_cache.c; the allocation is the era's size for the name length.
 */
struct namecache {
	LIST_ENTRY(namecache) nc_hash;
	LIST_ENTRY(namecache) nc_src;
	void	*nc_dvp;
	void	*nc_vp;
	u_char	nc_flag;
	u_char	nc_nlen;
};

void *
sim_namecache_enter(int namelen)
{
	struct namecache *ncp;
	u_int h;

#if SIM_ERA > 6
	if (namelen <= CACHE_PATH_CUTOFF)
		ncp = uma_zalloc(cache_zone_small, M_WAITOK);
	else
		ncp = uma_zalloc(cache_zone_large, M_WAITOK);
#else
	ncp = malloc(NCP_BASE + namelen + 1, M_VFSCACHE, M_WAITOK);
#endif
	if (ncp == NULL)
		return (NULL);
	memset(ncp, 0, sizeof(*ncp));
	ncp->nc_nlen = (u_char)namelen;
	h = (nchash_next++ * 2654435761u >> 8) & nchash;
	LIST_INSERT_HEAD(&nchashtbl[h], ncp, nc_hash);
	sim_reach_listed(ncp, SIM_ERA > 6 ? &k_ncp : &k_ncp_malloc, nchashtbl, NULL, &nchashtbl[h],
	    offsetof(struct namecache, nc_hash), "[%d]", (int)h);
	return (ncp);
}

void
sim_namecache_remove(void *p)
{
	struct namecache *ncp = p;

	LIST_REMOVE(ncp, nc_hash);
	sim_reach_freed(ncp);
#if SIM_ERA > 6
	if (ncp->nc_nlen <= CACHE_PATH_CUTOFF)
		uma_zfree(cache_zone_small, ncp);
	else
		uma_zfree(cache_zone_large, ncp);
#else
	free(ncp, M_VFSCACHE);
#endif
}
