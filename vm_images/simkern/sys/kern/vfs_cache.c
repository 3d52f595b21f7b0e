/*
 * The name cache.  6.x malloc()s each entry (M_VFSCACHE); from 7.x/8.x entries come from two
 * zones by name length, "S VFS Cache" (short names) and "L VFS Cache" (long), and 12.x adds
 * timestamped variants "STS VFS Cache"/"LTS VFS Cache".  The hash table stays in M_VFSCACHE.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

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
	/* The hash table: 1024 buckets of one pointer. */
	(void)malloc(1024 * sizeof(void *), M_VFSCACHE, M_WAITOK | M_ZERO);
}

struct sim_ncp {
	int	nc_nlen;
};

void *
sim_namecache_enter(int namelen)
{
	struct sim_ncp *ncp;

#if SIM_ERA > 6
	if (namelen <= CACHE_PATH_CUTOFF)
		ncp = uma_zalloc(cache_zone_small, M_WAITOK);
	else
		ncp = uma_zalloc(cache_zone_large, M_WAITOK);
#else
	ncp = malloc(NCP_BASE + namelen + 1, M_VFSCACHE, M_WAITOK);
#endif
	if (ncp != NULL)
		ncp->nc_nlen = namelen;
	return (ncp);
}

void
sim_namecache_remove(void *p)
{
	struct sim_ncp *ncp = p;

#if SIM_ERA > 6
	if (ncp->nc_nlen <= CACHE_PATH_CUTOFF)
		uma_zfree(cache_zone_small, ncp);
	else
		uma_zfree(cache_zone_large, ncp);
#else
	free(ncp, M_VFSCACHE);
#endif
}
