/*
 * malloc(9) of the simulated kernels: small requests are rounded up to one of the kmemzones[]
 * UMA zones, larger ones (above KMEM_ZMAX) take whole pages from the large-allocation path; every
 * request is charged to the caller's malloc type in the per-CPU malloc_type_stats of the CPU it
 * runs on, exactly where the era's kernel keeps them (ks_handle->mti_stats[cpu] up to 11.x, a
 * zpcpu allocation from 12.x on).
 *
 * Beside the kernel structures this file keeps the malloc ledger: its own per type, per CPU
 * counters and a table of live allocations.  expected.json is computed from the ledger only.
 */
#include <sys/malloc.h>
#include <sys/pcpu.h>
#include <sys/smp.h>
#include <vm/uma.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_CACHE, "cache", "Various Dynamically allocated caches");
MALLOC_DEFINE(M_DEVBUF, "devbuf", "device driver memory");
MALLOC_DEFINE(M_TEMP, "temp", "misc temporary data buffers");
#if SIM_ERA <= 11
MALLOC_DEFINE(M_IP6OPT, "ip6opt", "IPv6 options");
MALLOC_DEFINE(M_IP6NDP, "ip6ndp", "IPv6 Neighbor Discovery");
#endif

/* Head of the chain of registered types; malloc_init pushes, so the newest comes first. */
static struct malloc_type *kmemstatistics;
static int kmemcount __attribute__((used));

/*
 * Request sizes map to zones through kmemsize[]: one entry per 16-byte step up to KMEM_ZMAX,
 * holding the index of the smallest kmemzones[] entry that fits.
 */
#define KMEM_ZSHIFT	4
#define KMEM_ZBASE	16
#define KMEM_ZMASK	(KMEM_ZBASE - 1)
#if SIM_ERA <= 11
#define KMEM_ZMAX	PAGE_SIZE
#else
#define KMEM_ZMAX	65536
#endif
#define KMEM_ZSIZE	(KMEM_ZMAX >> KMEM_ZSHIFT)
static uint8_t kmemsize[KMEM_ZSIZE + 1];

#if SIM_ERA >= 9
#ifndef MALLOC_DEBUG_MAXZONES
#define MALLOC_DEBUG_MAXZONES	1
#endif
static int numzones __attribute__((used)) = MALLOC_DEBUG_MAXZONES;
#endif

/*
 * The malloc zones.  6.x-8.x keep one zone pointer per size; later kernels one per debug
 * sub-zone.  Up to 11.x the sizes stop at PAGE_SIZE (4096 here); 12.x goes to 65536; 13.x
 * renames them "malloc-N" and adds a 384-byte zone.
 */
#if SIM_ERA <= 6
struct {
	int		kz_size;
	char		*kz_name;
	uma_zone_t	kz_zone;
} kmemzones[] = {
#elif SIM_ERA <= 12
struct {
	int		kz_size;
	char		*kz_name;
	uma_zone_t	kz_zone[MALLOC_DEBUG_MAXZONES];
} kmemzones[] = {
#else
struct {
	int		kz_size;
	const char	*kz_name;
	uma_zone_t	kz_zone[MALLOC_DEBUG_MAXZONES];
} kmemzones[] = {
#endif
#if SIM_ERA <= 12
	{ 16, "16" }, { 32, "32" }, { 64, "64" }, { 128, "128" }, { 256, "256" },
	{ 512, "512" }, { 1024, "1024" }, { 2048, "2048" }, { 4096, "4096" },
#if SIM_ERA == 12
	{ 8192, "8192" }, { 16384, "16384" }, { 32768, "32768" }, { 65536, "65536" },
#endif
#else
	{ 16, "malloc-16" }, { 32, "malloc-32" }, { 64, "malloc-64" }, { 128, "malloc-128" },
	{ 256, "malloc-256" }, { 384, "malloc-384" }, { 512, "malloc-512" },
	{ 1024, "malloc-1024" }, { 2048, "malloc-2048" }, { 4096, "malloc-4096" },
	{ 8192, "malloc-8192" }, { 16384, "malloc-16384" }, { 32768, "malloc-32768" },
	{ 65536, "malloc-65536" },
#endif
	{ 0, NULL },
};
#define NKMEMZONES	((int)(sizeof(kmemzones) / sizeof(kmemzones[0])) - 1)

#if SIM_ERA <= 6
#define KZ_ZONE(i, sub)	(kmemzones[i].kz_zone)
#define NSUBZONES	1
#else
/* Sub-zone `sub` of size i: -CURRENT's MALLOC_DEBUG_MAXZONES=8 keeps 8 per size. */
#define KZ_ZONE(i, sub)	(kmemzones[i].kz_zone[sub])
#define NSUBZONES	numzones
#endif

/*
 * The sub-zone a type allocates from (kern_malloc.c mtp_set_subzone): with more than one,
 * the character of the type's name at (zone_offset = __FreeBSD_version) modulo its length,
 * modulo numzones; with one, 0.
 */
static u_int
mtp_subzone_of(const char *desc)
{
#if SIM_ERA >= 9 && MALLOC_DEBUG_MAXZONES > 1
	size_t len = desc != NULL ? strlen(desc) : 0;

	return (len == 0 ? 0 : (u_char)desc[(u_int)sim_osreldate() % len] % numzones);
#else
	(void)desc;
	return (0);
#endif
}

static u_int
mtp_get_subzone(struct malloc_type *mtp)
{
#if SIM_ERA <= 6
	(void)mtp;
	return (0);
#elif SIM_ERA <= 12
	return (((struct malloc_type_internal *)mtp->ks_handle)->mti_zone);
#else
	return (mtp->ks_mti.mti_zone);
#endif
}

#if SIM_ERA >= 13
static u_int vm_malloc_zone_count __attribute__((used)) = sizeof(kmemzones) / sizeof(kmemzones[0]);
#endif

#if SIM_ERA <= 12
/* malloc_type_internal records come from their own zone, so modules never see their size. */
static uma_zone_t mt_zone;
#endif
#if SIM_ERA == 12
/* 12.x: the per-CPU statistics are a zpcpu allocation from this UMA_ZONE_PCPU zone. */
static uma_zone_t mt_stats_zone;
#endif

u_long vm_kmem_size;
#if SIM_ERA >= 12
static u_long kmem_zmax = KMEM_ZMAX;
#else
#define kmem_zmax	KMEM_ZMAX
#endif

/* ---- the ledger --------------------------------------------------------------------------- */

struct mt_ledger {
	struct malloc_type *type;
	const char	*symbol, *file, *module;
	int		registered;		/* still on kmemstatistics */
	uint64_t	*allocs, *frees, *bytes_alloc, *bytes_freed, *sizebits, *fails;
};

static struct mt_ledger *ledger;
static int nledger, ledger_cap;
static int ledger_ncpu;			/* mp_maxid + 1 */

/*
 * Live allocations: open addressing on the address, backward-shift deletion.  The table lives
 * in the simulator's heap and so in every core: entries are packed (16 bytes, 12 on i386), the
 * table grows by half at three-quarters load.
 */
struct live_alloc {
	uintptr_t	addr;			/* 0: empty slot */
	uint32_t	size;			/* bytes charged */
	int16_t		type;			/* ledger index */
	int16_t		zindx;			/* -1: large */
};
static struct live_alloc *live;
static size_t live_cap, live_count;
static uint64_t large_count, large_bytes;

static size_t
live_hash(uintptr_t a)
{
	uint64_t x = (uint64_t)a * 0x9e3779b97f4a7c15ull;

	return ((size_t)(x >> 17) % live_cap);
}

static void live_insert(uintptr_t addr, int type, int zindx, unsigned long size);

static void
live_grow(void)
{
	struct live_alloc *old = live;
	size_t i, ocap = live_cap;

	live_cap = ocap ? ocap + ocap / 2 : 4096;
	live = calloc(live_cap, sizeof(*live));
	if (live == NULL) {
		fprintf(stderr, "kern_malloc: ledger out of host memory\n");
		abort();
	}
	live_count = 0;
	for (i = 0; i < ocap; i++)
		if (old[i].addr != 0)
			live_insert(old[i].addr, old[i].type, old[i].zindx, old[i].size);
	(free)(old);
}

static void
live_insert(uintptr_t addr, int type, int zindx, unsigned long size)
{
	size_t i;

	if (type > INT16_MAX || size > UINT32_MAX) {
		fprintf(stderr, "kern_malloc: ledger entry out of range (type %d, size %lu)\n", type,
		    size);
		abort();
	}
	if ((live_count + 1) * 4 > live_cap * 3)
		live_grow();
	for (i = live_hash(addr); live[i].addr != 0; i = (i + 1) % live_cap)
		if (live[i].addr == addr) {
			fprintf(stderr, "kern_malloc: %p handed out twice\n", (void *)addr);
			abort();
		}
	live[i] = (struct live_alloc){ addr, (uint32_t)size, (int16_t)type, (int16_t)zindx };
	live_count++;
}

static int
live_remove(uintptr_t addr, struct live_alloc *out)
{
	size_t i, j, h;

	if (live_cap == 0)
		return (0);
	for (i = live_hash(addr); live[i].addr != addr; i = (i + 1) % live_cap)
		if (live[i].addr == 0)
			return (0);
	*out = live[i];
	/* Close the gap so later probes still find their entries. */
	for (j = (i + 1) % live_cap; live[j].addr != 0; j = (j + 1) % live_cap) {
		h = live_hash(live[j].addr);
		if ((j + live_cap - h) % live_cap >= (j + live_cap - i) % live_cap) {
			live[i] = live[j];
			i = j;
		}
	}
	live[i].addr = 0;
	live_count--;
	return (1);
}

static int
ledger_index(struct malloc_type *mtp)
{
	int i;

	/* Most recent first: types are looked up far more often than registered. */
	for (i = nledger - 1; i >= 0; i--)
		if (ledger[i].type == mtp)
			return (i);
	fprintf(stderr, "kern_malloc: type %s used before malloc_init\n", mtp->ks_shortdesc);
	abort();
}

static uint64_t *
ledger_array(void)
{
	uint64_t *a = calloc(ledger_ncpu, sizeof(uint64_t));

	if (a == NULL)
		abort();
	return (a);
}

static void
ledger_add(struct malloc_type *mtp, const char *symbol, const char *file, const char *module)
{
	struct mt_ledger *l;
	const char *p;

	if (nledger == ledger_cap) {
		ledger_cap = ledger_cap ? ledger_cap * 2 : 64;
		ledger = realloc(ledger, ledger_cap * sizeof(*ledger));
		if (ledger == NULL)
			abort();
	}
	if (ledger_ncpu == 0)
		ledger_ncpu = (int)mp_maxid + 1;
	/* Report the path inside the simulated source tree: "sys/kern/kern_malloc.c". */
	if (file != NULL && (p = strstr(file, "simkern/")) != NULL)
		file = p + strlen("simkern/");
	l = &ledger[nledger++];
	*l = (struct mt_ledger){ .type = mtp, .symbol = symbol, .file = file, .module = module,
	    .registered = 1 };
	l->allocs = ledger_array();
	l->frees = ledger_array();
	l->bytes_alloc = ledger_array();
	l->bytes_freed = ledger_array();
	l->sizebits = ledger_array();
	l->fails = ledger_array();
}

/* ---- statistics as the kernel keeps them --------------------------------------------------- */

static struct malloc_type_stats *
mtp_stats_curcpu(struct malloc_type *mtp)
{
#if SIM_ERA <= 11
	struct malloc_type_internal *mtip = mtp->ks_handle;

	return (&mtip->mti_stats[curcpu]);
#elif SIM_ERA == 12
	struct malloc_type_internal *mtip = mtp->ks_handle;

	return (zpcpu_get(mtip->mti_stats));
#else
	return (zpcpu_get(mtp->ks_mti.mti_stats));
#endif
}

/*
 * Charge an allocation: bytes and count only when it succeeded (size > 0), but the zone bit is
 * set even for a failed small request -- the kernel passes the zone index either way.
 */
static void
malloc_type_zone_allocated(struct malloc_type *mtp, unsigned long size, int zindx)
{
	struct malloc_type_stats *mtsp = mtp_stats_curcpu(mtp);
	struct mt_ledger *l = &ledger[ledger_index(mtp)];
	int cpu = curcpu;

	if (size > 0) {
		mtsp->mts_memalloced += size;
		mtsp->mts_numallocs++;
		l->bytes_alloc[cpu] += size;
		l->allocs[cpu]++;
	}
	if (zindx != -1) {
		mtsp->mts_size |= 1 << zindx;
		l->sizebits[cpu] |= 1ull << zindx;
	}
}

void
malloc_type_allocated(struct malloc_type *mtp, unsigned long size)
{
	if (size > 0)
		malloc_type_zone_allocated(mtp, size, -1);
}

void
malloc_type_freed(struct malloc_type *mtp, unsigned long size)
{
	struct malloc_type_stats *mtsp = mtp_stats_curcpu(mtp);
	struct mt_ledger *l = &ledger[ledger_index(mtp)];
	int cpu = curcpu;

	mtsp->mts_memfreed += size;
	mtsp->mts_numfrees++;
	l->bytes_freed[cpu] += size;
	l->frees[cpu]++;
}

/* ---- malloc / free ----------------------------------------------------------------------- */

void *
kern_malloc(size_t size, struct malloc_type *mtp, int flags)
{
	uma_zone_t zone;
	void *va;
	int indx;

	if (size <= kmem_zmax) {
		if (size & KMEM_ZMASK)
			size = (size & ~KMEM_ZMASK) + KMEM_ZBASE;
		indx = kmemsize[size >> KMEM_ZSHIFT];
		zone = KZ_ZONE(indx, mtp_get_subzone(mtp));
		va = uma_zalloc(zone, flags);
		if (va != NULL)
			size = kmemzones[indx].kz_size;
		malloc_type_zone_allocated(mtp, va == NULL ? 0 : size, indx);
	} else {
		/* Whole pages, straight from kmem; no zone, so no size bit. */
		size = (size + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
		indx = -1;
		va = uma_large_malloc(size, flags);
		malloc_type_allocated(mtp, va == NULL ? 0 : size);
	}
	if (va == NULL) {
		ledger[ledger_index(mtp)].fails[curcpu]++;
		return (NULL);
	}
	if (flags & M_ZERO)
		memset(va, 0, size);
	live_insert((uintptr_t)va, ledger_index(mtp), indx, size);
	if (indx == -1) {
		large_count++;
		large_bytes += size;
	}
	return (va);
}

void
kern_free(void *addr, struct malloc_type *mtp)
{
	struct live_alloc a;

	if (addr == NULL)
		return;
	/* The kernel finds the zone from the slab (vtozoneslab); so does this. */
	if (!live_remove((uintptr_t)addr, &a)) {
		fprintf(stderr, "panic: free: address %p has not been allocated.\n", addr);
		abort();
	}
	if (a.zindx >= 0) {
		uma_zfree(uma_sim_item_zone(addr), addr);
	} else {
		uma_large_free(addr);
		large_count--;
		large_bytes -= a.size;
	}
	malloc_type_freed(mtp, a.size);
}

/* ---- registration ------------------------------------------------------------------------ */

/* M_WAITOK cannot fail in a kernel (it sleeps); the simulator stops instead of going on. */
static void
malloc_init_nomem(struct malloc_type *mtp)
{
	fprintf(stderr, "malloc_init: no kmem left for type %s (raise the scenario's kmem)\n",
	    mtp->ks_shortdesc);
	abort();
}

#if SIM_ERA <= 12
/* Reachability ledger kinds: ks_handle's internal part and, 12.x, its per-CPU statistics. */
static const struct sim_reach_kind k_mti = { "struct malloc_type_internal", NULL };
#if SIM_ERA == 12
static const struct sim_reach_kind k_mts = { "struct malloc_type_stats", NULL };
#endif
#endif

static void
malloc_init_owned(struct malloc_type *mtp, const char *symbol, const char *file,
    const char *module)
{
#if SIM_ERA <= 12
	struct malloc_type_internal *mtip;

	if (mtp->ks_magic != M_MAGIC) {
		fprintf(stderr, "panic: malloc_init: bad malloc type magic\n");
		abort();
	}
	mtip = uma_zalloc(mt_zone, M_WAITOK | M_ZERO);
	if (mtip == NULL)
		malloc_init_nomem(mtp);
	memset(mtip, 0, sizeof(*mtip));
#if SIM_ERA >= 9
	mtip->mti_zone = mtp_subzone_of(mtp->ks_shortdesc);
#endif
#if SIM_ERA == 12
	mtip->mti_stats = uma_zalloc_pcpu(mt_stats_zone, M_WAITOK | M_ZERO);
	if (mtip->mti_stats == NULL)
		malloc_init_nomem(mtp);
#endif
	mtp->ks_handle = mtip;
	if (symbol != NULL) {			/* the type's global holds its internal part */
		sim_reach_held(mtip, &k_mti, NULL, symbol, &mtp->ks_handle, "ks_handle", 0);
#if SIM_ERA == 12
		sim_reach_held(mtip->mti_stats, &k_mts, mtip, NULL, &mtip->mti_stats, "mti_stats",
		    0);
#endif
	}
#else
	if (mtp->ks_version != M_VERSION) {
		fprintf(stderr, "panic: malloc_init: type %s with unsupported version %lu\n",
		    mtp->ks_shortdesc, mtp->ks_version);
		abort();
	}
	mtp->ks_mti.mti_stats = uma_zalloc_pcpu(pcpu_zone_64, M_WAITOK | M_ZERO);
	if (mtp->ks_mti.mti_stats == NULL)
		malloc_init_nomem(mtp);
	mtp->ks_mti.mti_zone = mtp_subzone_of(mtp->ks_shortdesc);
#endif
	ledger_add(mtp, symbol, file, module);
	mtp->ks_next = kmemstatistics;
	kmemstatistics = mtp;
	kmemcount++;
}

void
malloc_init(void *data)
{
	malloc_init_owned(data, NULL, NULL, NULL);
}

void
malloc_uninit(void *data)
{
	struct malloc_type *mtp = data, *t;

	if (kmemstatistics == mtp) {
		kmemstatistics = mtp->ks_next;
	} else {
		for (t = kmemstatistics; t != NULL && t->ks_next != mtp; t = t->ks_next)
			;
		if (t != NULL)
			t->ks_next = mtp->ks_next;
	}
	kmemcount--;
	ledger[ledger_index(mtp)].registered = 0;
#if SIM_ERA <= 12
	sim_reach_freed(mtp->ks_handle);
#endif
#if SIM_ERA <= 11
	uma_zfree(mt_zone, mtp->ks_handle);
#elif SIM_ERA == 12
	sim_reach_freed(((struct malloc_type_internal *)mtp->ks_handle)->mti_stats);
	uma_zfree_pcpu(mt_stats_zone,
	    ((struct malloc_type_internal *)mtp->ks_handle)->mti_stats);
	uma_zfree(mt_zone, mtp->ks_handle);
#else
	uma_zfree_pcpu(pcpu_zone_64, mtp->ks_mti.mti_stats);
#endif
}

void
sim_malloc_register_set(const void **start, const void **stop, const char *modname)
{
	const void **p;

	for (p = start; p < stop; p++) {
		const struct sim_malloc_decl *d = *p;

		malloc_init_owned(d->smd_type, d->smd_symbol, d->smd_file, modname);
	}
}

/*
 * kmeminit + mallocinit: size kmem, create the malloc zones (and the zones holding malloc's own
 * records), fill kmemsize[], then register the kernel's types.
 */
void
sim_malloc_startup(void)
{
	int i, indx;

	if (vm_kmem_size == 0)
		vm_kmem_size = 8ul << 20;
#if SIM_ERA <= 12
	mt_zone = uma_zcreate("mt_zone", sizeof(struct malloc_type_internal), NULL, NULL, NULL,
	    NULL, UMA_ALIGN_PTR, UMA_ZONE_MALLOC);
#endif
#if SIM_ERA == 12
	mt_stats_zone = uma_zcreate("mt_stats_zone", sizeof(struct malloc_type_stats), NULL, NULL,
	    NULL, NULL, UMA_ALIGN_PTR, UMA_ZONE_PCPU);
#endif
	for (i = 0, indx = 0; kmemzones[indx].kz_size != 0; indx++) {
		int size = kmemzones[indx].kz_size, sub;

		for (sub = 0; sub < NSUBZONES; sub++)
			KZ_ZONE(indx, sub) = uma_zcreate(kmemzones[indx].kz_name, size, NULL, NULL,
			    NULL, NULL, UMA_ALIGN_PTR, UMA_ZONE_MALLOC);
		for (; i <= size && i <= KMEM_ZMAX; i += KMEM_ZBASE)
			kmemsize[i >> KMEM_ZSHIFT] = indx;
	}
	sim_malloc_register_set(__start_set_sim_malloc, __stop_set_sim_malloc, NULL);
}

/* ---- ledger queries ------------------------------------------------------------------------- */

unsigned long
sim_kmem_limit(void)
{
	return (vm_kmem_size);
}

static int
zone_index(unsigned long size)
{
	if (size > kmem_zmax)
		return (-1);
	if (size & KMEM_ZMASK)
		size = (size & ~KMEM_ZMASK) + KMEM_ZBASE;
	return (kmemsize[size >> KMEM_ZSHIFT]);
}

unsigned long
sim_malloc_zone_size(unsigned long size)
{
	int i = zone_index(size);

	return (i < 0 ? 0 : (unsigned long)kmemzones[i].kz_size);
}

const char *
sim_malloc_zone_name(unsigned long size)
{
	int i = zone_index(size);

	return (i < 0 ? NULL : kmemzones[i].kz_name);
}

int
sim_malloc_is_zone(const void *zone)
{
	int i, sub;

	for (i = 0; i < NKMEMZONES; i++)
		for (sub = 0; sub < NSUBZONES; sub++)
			if ((const void *)KZ_ZONE(i, sub) == zone)
				return (1);
	return (0);
}

uint64_t
sim_malloc_type_inuse(const char *name)
{
	uint64_t n = 0;
	int i, c;

	for (i = 0; i < nledger; i++)
		if (strcmp(ledger[i].type->ks_shortdesc, name) == 0)
			for (c = 0; c < ledger_ncpu; c++)
				n += ledger[i].allocs[c] - ledger[i].frees[c];
	return (n);
}

/*
 * CPUs whose statistics a view adds up.  True view: every present CPU.  kvm view: up to 11.x
 * libmemstat reads all mp_maxcpus slots of mti_stats[] (absent CPUs hold zeros, so that is every
 * CPU); from 12.x it reads the zpcpu copies of CPUs 0 .. mp_ncpus - 1 only, so a present CPU with
 * an id >= mp_ncpus is left out.
 */
static int
view_counts_cpu(enum sim_view view, int cpu)
{
	if (view == SIM_VIEW_KVM && SIM_ERA >= 12)
		return (cpu < mp_ncpus);
	return (1);
}

/*
 * The rows of `view` in vmstat's order (kmemstatistics is newest first, vmstat prints its list
 * reversed: registration order), without the types vmstat omits; returns their count.
 */
static int
type_rows(enum sim_view view, struct sim_vmstat_type **out)
{
	struct sim_vmstat_type *rows = calloc(nledger + 1, sizeof(*rows));
	int i, c, n = 0;

	for (i = 0; i < nledger; i++) {
		struct mt_ledger *l = &ledger[i];
		uint64_t allocs = 0, frees = 0, ba = 0, bf = 0, bits = 0;

		if (!l->registered)
			continue;
		for (c = 0; c < ledger_ncpu; c++) {
			if (!view_counts_cpu(view, c))
				continue;
			allocs += l->allocs[c];
			frees += l->frees[c];
			ba += l->bytes_alloc[c];
			bf += l->bytes_freed[c];
			bits |= l->sizebits[c];
		}
		if (allocs == 0 && allocs - frees == 0)
			continue;
		rows[n++] = (struct sim_vmstat_type){ l->type->ks_shortdesc, allocs - frees,
		    ba - bf, allocs, bits };
	}
	*out = rows;
	return (n);
}

void
sim_malloc_write_types(FILE *f, enum sim_view view)
{
	struct sim_vmstat_type *rows;
	int n = type_rows(view, &rows), i, b, firstsz;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s\n{\"type\": ", i == 0 ? "" : ",");
		sim_json_string(f, rows[i].name);
		fprintf(f, ", \"in-use\": %llu, \"memory-use\": %llu, \"high-use\": null, "
		    "\"requests\": %llu, \"size\": [", (unsigned long long)rows[i].in_use,
		    (unsigned long long)rows[i].bytes, (unsigned long long)rows[i].requests);
		for (b = 0, firstsz = 1; b < NKMEMZONES; b++)
			if (rows[i].size_mask & (1ull << b)) {
				fprintf(f, "%s%d", firstsz ? "" : ", ", kmemzones[b].kz_size);
				firstsz = 0;
			}
		fputs("]}", f);
	}
	fputs("]", f);
	(free)(rows);
}

void
sim_malloc_write_vmstat(FILE *f)
{
	struct sim_vmstat_type *rows;
	int n = type_rows(SIM_VIEW_KVM, &rows), sizes[NKMEMZONES], i;

	for (i = 0; i < NKMEMZONES; i++)
		sizes[i] = kmemzones[i].kz_size;
	sim_vmstat_malloc(f, rows, n, sizes, NKMEMZONES);
	(free)(rows);
}

void
sim_malloc_write_owners(FILE *f)
{
	int i;

	fputc('[', f);
	for (i = 0; i < nledger; i++) {
		struct mt_ledger *l = &ledger[i];

		fprintf(f, "%s\n{\"type\": ", i ? "," : "");
		sim_json_string(f, l->type->ks_shortdesc);
		fputs(", \"symbol\": ", f);
		if (l->symbol)
			sim_json_string(f, l->symbol);
		else
			fputs("null", f);
		fputs(", \"file\": ", f);
		if (l->file)
			sim_json_string(f, l->file);
		else
			fputs("null", f);
		fputs(", \"module\": ", f);
		if (l->module)
			sim_json_string(f, l->module);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputs("]", f);
}

unsigned long
sim_malloc_large_bytes(void)
{
	return ((unsigned long)large_bytes);
}

void
sim_malloc_write_large(FILE *f)
{
	fprintf(f, "{\"count\": %llu, \"bytes\": %llu}", (unsigned long long)large_count,
	    (unsigned long long)large_bytes);
}

/*
 * Invariants of the ledger: per type, frees never exceed allocations (items and bytes); the
 * live table agrees with allocations - frees per type, item for item and byte for byte; each
 * small live item is charged its zone's size; large totals agree.
 */
int
sim_malloc_check(FILE *err)
{
	uint64_t *items, *bytes, lc = 0, lb = 0;
	int i, c, bad = 0;
	size_t k;

	items = calloc(nledger + 1, sizeof(uint64_t));
	bytes = calloc(nledger + 1, sizeof(uint64_t));
	for (k = 0; k < live_cap; k++) {
		struct live_alloc *a = &live[k];

		if (a->addr == 0)
			continue;
		items[a->type]++;
		bytes[a->type] += a->size;
		if (a->zindx >= 0 && a->size != (unsigned long)kmemzones[a->zindx].kz_size) {
			fprintf(err, "malloc: item %p charged %lu, zone %s\n", (void *)a->addr,
			    (unsigned long)a->size, kmemzones[a->zindx].kz_name);
			bad++;
		}
		if (a->zindx < 0) {
			lc++;
			lb += a->size;
			if (a->size % PAGE_SIZE != 0 || a->size <= kmem_zmax) {
				fprintf(err, "malloc: large item %p size %lu\n", (void *)a->addr,
				    (unsigned long)a->size);
				bad++;
			}
		}
	}
	for (i = 0; i < nledger; i++) {
		struct mt_ledger *l = &ledger[i];
		uint64_t al = 0, fr = 0, ba = 0, bf = 0;

		for (c = 0; c < ledger_ncpu; c++) {
			al += l->allocs[c];
			fr += l->frees[c];
			ba += l->bytes_alloc[c];
			bf += l->bytes_freed[c];
		}
		if (fr > al || bf > ba) {
			fprintf(err, "malloc: type %s frees exceed allocations\n",
			    l->type->ks_shortdesc);
			bad++;
		}
		if (al - fr != items[i] || ba - bf != bytes[i]) {
			fprintf(err, "malloc: type %s in use %llu/%llu bytes, live table %llu/%llu\n",
			    l->type->ks_shortdesc, (unsigned long long)(al - fr),
			    (unsigned long long)(ba - bf), (unsigned long long)items[i],
			    (unsigned long long)bytes[i]);
			bad++;
		}
	}
	if (lc != large_count || lb != large_bytes) {
		fprintf(err, "malloc: large totals %llu/%llu, live table %llu/%llu\n",
		    (unsigned long long)large_count, (unsigned long long)large_bytes,
		    (unsigned long long)lc, (unsigned long long)lb);
		bad++;
	}
	(free)(items);
	(free)(bytes);
	return (bad);
}

/* Scenario helpers: malloc/free by type name (scenarios are host code without malloc.h). */
static struct malloc_type *
type_by_name(const char *name)
{
	int i;

	for (i = nledger - 1; i >= 0; i--)
		if (ledger[i].registered && strcmp(ledger[i].type->ks_shortdesc, name) == 0)
			return (ledger[i].type);
	fprintf(stderr, "kern_malloc: no malloc type %s\n", name);
	abort();
}

void *
sim_kmalloc(const char *type, unsigned long size, int nowait)
{
	return (kern_malloc(size, type_by_name(type), nowait ? M_NOWAIT : M_WAITOK));
}

void
sim_kfree(const char *type, void *p)
{
	sim_reach_freed(p);
	kern_free(p, type_by_name(type));
}
