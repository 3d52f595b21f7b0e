/*
 * mbuf(9) zones.  Packet headers and small data live in 256-byte mbufs (MSIZE), larger data in
 * 2048-byte clusters (MCLBYTES) or page-sized jumbo clusters.  "mbuf_packet" is a secondary zone
 * on the mbuf keg: its cached items are an mbuf with a cluster already attached, so it shares
 * the mbuf keg's slabs.  nmbclusters caps the cluster zone; from 10.x nmbufs caps mbufs too.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include "sim/reach.h"
#include "sim/scenario.h"

#define MSIZE		256
#define MCLBYTES	2048
#define MJUMPAGESIZE	SIM_PAGE_SIZE
#define MJUM9BYTES	(9 * 1024)
#define MJUM16BYTES	(16 * 1024)

#define MBUF_MEM_NAME		"mbuf"
#define MBUF_CLUSTER_MEM_NAME	"mbuf_cluster"
#define MBUF_PACKET_MEM_NAME	"mbuf_packet"
#if SIM_ERA <= 6
#define MBUF_JUMBOP_MEM_NAME	"mbuf_jumbo_pagesize"
#else
#define MBUF_JUMBOP_MEM_NAME	"mbuf_jumbo_page"
#endif
#define MBUF_JUMBO9_MEM_NAME	"mbuf_jumbo_9k"
#define MBUF_JUMBO16_MEM_NAME	"mbuf_jumbo_16k"

int nmbclusters = 4096;
int nmbjumbop = 2048;
int nmbjumbo9 = 512;
int nmbjumbo16 = 256;
#if SIM_ERA >= 11
long nmbufs = 16384;
#endif

uma_zone_t zone_mbuf;
uma_zone_t zone_clust;
uma_zone_t zone_pack;
uma_zone_t zone_jumbop;
uma_zone_t zone_jumbo9;
uma_zone_t zone_jumbo16;

void mbuf_init(void *dummy);

void
mbuf_init(void *dummy)
{
	(void)dummy;
	zone_mbuf = uma_zcreate(MBUF_MEM_NAME, MSIZE, NULL, NULL, NULL, NULL, MSIZE - 1, 0);
#if SIM_ERA >= 11
	uma_zone_set_max(zone_mbuf, nmbufs);
#endif
	zone_clust = uma_zcreate(MBUF_CLUSTER_MEM_NAME, MCLBYTES, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
	uma_zone_set_max(zone_clust, nmbclusters);
	zone_pack = uma_zsecond_create(MBUF_PACKET_MEM_NAME, NULL, NULL, NULL, NULL, zone_mbuf);
	zone_jumbop = uma_zcreate(MBUF_JUMBOP_MEM_NAME, MJUMPAGESIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
	uma_zone_set_max(zone_jumbop, nmbjumbop);
	zone_jumbo9 = uma_zcreate(MBUF_JUMBO9_MEM_NAME, MJUM9BYTES, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
	uma_zone_set_max(zone_jumbo9, nmbjumbo9);
	zone_jumbo16 = uma_zcreate(MBUF_JUMBO16_MEM_NAME, MJUM16BYTES, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_PTR, 0);
	uma_zone_set_max(zone_jumbo16, nmbjumbo16);
}

/*
 * A packet from zone_pack carries its cluster with it; the simulator takes the cluster from
 * zone_clust at the same time (the real uma_zalloc on zone_pack would import both via the
 * zone's init), so a packet is two items: one on the mbuf keg, one in the cluster zone.
 */
struct sim_pkt {
	void	*m_data;	/* the cluster */
};

/* Frees also forget the item in the reachability ledger (it may have been held). */
void *sim_mbuf_get(int how) { return (uma_zalloc(zone_mbuf, how)); }
void sim_mbuf_free(void *m) { sim_reach_freed(m); uma_zfree(zone_mbuf, m); }
void *sim_cluster_get(int how) { return (uma_zalloc(zone_clust, how)); }
void sim_cluster_free(void *c) { sim_reach_freed(c); uma_zfree(zone_clust, c); }
void *sim_jumbop_get(int how) { return (uma_zalloc(zone_jumbop, how)); }
void sim_jumbop_free(void *c) { sim_reach_freed(c); uma_zfree(zone_jumbop, c); }

void *
sim_mbuf_getcl(int how)
{
	struct sim_pkt *m;
	void *cl;

	cl = uma_zalloc(zone_clust, how);
	if (cl == NULL)
		return (NULL);
	m = uma_zalloc(zone_pack, how);
	if (m == NULL) {
		uma_zfree(zone_clust, cl);
		return (NULL);
	}
	m->m_data = cl;
	return (m);
}

void
sim_mbuf_freecl(void *mp)
{
	struct sim_pkt *m = mp;

	uma_zfree(zone_clust, m->m_data);
	uma_zfree(zone_pack, m);
}
