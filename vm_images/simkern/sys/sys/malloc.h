/*
 * malloc(9) as the simulated FreeBSD kernels declare it.
 *
 * The structures below are written for this simulator; their names, member names, C types,
 * member order and array shapes follow each era's sys/sys/malloc.h so that the debug info
 * matches what a debugger finds in a real kernel of that era:
 *
 *   SIM_ERA 6        malloc_type keeps the 5.x ABI size (dummy statistics and lock fields);
 *                    ks_handle -> malloc_type_internal { mti_stats[MAXCPU] }.
 *   SIM_ERA 9, 11    compact malloc_type { ks_next, ks_magic, ks_shortdesc, ks_handle };
 *                    malloc_type_internal { mti_probes[2], mti_zone, mti_stats[MAXCPU] }.
 *   SIM_ERA 12       as 9/11, but mti_stats is a pointer to a per-CPU (zpcpu) allocation.
 *   SIM_ERA 13-15    malloc_type_internal is embedded as ks_mti, ks_magic became ks_version,
 *                    mti_stats per-CPU pointer followed by mti_spare[8]; 15 raised M_VERSION.
 *
 * The kernel entry points are reached through function-like macros (malloc(size, type, flags),
 * free(addr, type)): the simulator is a user process linked against libc, and an exported
 * function named malloc would replace libc's allocator.
 */
#ifndef _SYS_MALLOC_H_
#define _SYS_MALLOC_H_

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>	/* libc malloc/free declared before the macros below hide them */

/* MAXCPU, PAGE_SIZE and the BSD typedefs of the era (sys/param.h stand-in). */
#include <sys/_sim_kern.h>

/* Flags of malloc(9) and uma_zalloc(9). */
#define M_NOWAIT	0x0001		/* fail instead of sleeping */
#define M_WAITOK	0x0002		/* may sleep; never returns NULL */
#define M_ZERO		0x0100		/* return zeroed memory */
#define M_NOVM		0x0200		/* no new pages from the VM */
#define M_USE_RESERVE	0x0400		/* may dip into the reserve */
#if SIM_ERA >= 9
#define M_NODUMP	0x0800		/* leave these pages out of dumps */
#endif

#if SIM_ERA <= 12
#define M_MAGIC		877983977	/* checked in ks_magic */
#elif SIM_ERA <= 14
#define M_VERSION	2020110501	/* checked in ks_version; libmemstat filters on it */
#else
#define M_VERSION	2024073001	/* 15.0: the structure is unchanged, the version is not */
#endif

/* Per-CPU statistics of one malloc type; 64 bytes in every era. */
struct malloc_type_stats {
	uint64_t	mts_memalloced;	/* bytes handed out on this CPU */
	uint64_t	mts_memfreed;	/* bytes returned on this CPU */
	uint64_t	mts_numallocs;	/* successful allocations on this CPU */
	uint64_t	mts_numfrees;	/* frees on this CPU */
	uint64_t	mts_size;	/* bit i set: kmemzones[i] was used */
	uint64_t	_mts_reserved1;
	uint64_t	_mts_reserved2;
	uint64_t	_mts_reserved3;
};

#if SIM_ERA >= 9
/* Slots of mti_probes[] (dtmalloc provider). */
#define DTMALLOC_PROBE_MALLOC	0
#define DTMALLOC_PROBE_FREE	1
#define DTMALLOC_PROBE_MAX	2
#endif

/* malloc(9)'s private part of a type. */
#if SIM_ERA <= 6
struct malloc_type_internal {
	struct malloc_type_stats mti_stats[MAXCPU];
};
#elif SIM_ERA <= 11
struct malloc_type_internal {
	uint32_t	mti_probes[DTMALLOC_PROBE_MAX];
	u_char		mti_zone;		/* malloc sub-zone (MALLOC_DEBUG_MAXZONES) */
	struct malloc_type_stats mti_stats[MAXCPU];
};
#elif SIM_ERA == 12
struct malloc_type_internal {
	uint32_t	mti_probes[DTMALLOC_PROBE_MAX];
	u_char		mti_zone;
	struct malloc_type_stats *mti_stats;	/* zpcpu: CPU i at + i * PAGE_SIZE */
};
#else
struct malloc_type_internal {
	uint32_t	mti_probes[DTMALLOC_PROBE_MAX];
	u_char		mti_zone;
	struct malloc_type_stats *mti_stats;	/* zpcpu; amd64: offset from __pcpu */
	u_long		mti_spare[8];
};
#endif

struct witness;

/* The type a subsystem declares (statically, so modules need a stable layout). */
#if SIM_ERA <= 6
struct malloc_type {
	struct malloc_type *ks_next;		/* kmemstatistics chain */
	u_long		_ks_memuse;		/* 5.x statistics, unused since 6.0 */
	u_long		_ks_size;
	u_long		_ks_inuse;
	uint64_t	_ks_calls;
	u_long		_ks_maxused;
	u_long		ks_magic;		/* M_MAGIC */
	const char	*ks_shortdesc;		/* name shown by vmstat -m */
	void		*ks_handle;		/* -> malloc_type_internal; sits where the
						   5.x embedded mutex had lo_class */
	const char	*_lo_name;		/* rest of the old struct mtx, unused */
	const char	*_lo_type;
	u_int		_lo_flags;
	void		*_lo_list_next;
	struct witness	*_lo_witness;
	uintptr_t	_mtx_lock;
	u_int		_mtx_recurse;
};
#elif SIM_ERA <= 12
struct malloc_type {
	struct malloc_type *ks_next;
	u_long		ks_magic;
	const char	*ks_shortdesc;
	void		*ks_handle;		/* -> malloc_type_internal (from "mt_zone") */
};
#else
struct malloc_type {
	struct malloc_type *ks_next;
	u_long		ks_version;
	const char	*ks_shortdesc;
	struct malloc_type_internal ks_mti;
};
#endif

/*
 * MALLOC_DEFINE: a global `struct malloc_type name[1]`, registered at boot (or at module load)
 * by malloc_init().  FreeBSD registers through a SYSINIT linker set; here a descriptor goes into
 * the linker set "set_sim_malloc" of the object that defines it (kernel or module), which
 * mallocinit() / sim_malloc_register_module() walk.  The descriptor also records the C symbol
 * and source file, which the ground truth reports as the type's owner.
 */
struct sim_malloc_decl {
	struct malloc_type *smd_type;
	const char	*smd_symbol;
	const char	*smd_file;
};

#define SIM_LINKER_SET_ENTRY(set, sym)						\
	static const void *__set_##set##_##sym					\
	    __attribute__((section("set_" #set), used)) = &(sym)

#if SIM_ERA <= 12
#define SIM_MALLOC_TYPE_INIT(shortdesc)						\
	{ .ks_next = NULL, .ks_magic = M_MAGIC, .ks_shortdesc = (shortdesc) }
#else
#define SIM_MALLOC_TYPE_INIT(shortdesc)						\
	{ .ks_next = NULL, .ks_version = M_VERSION, .ks_shortdesc = (shortdesc) }
#endif

#define MALLOC_DEFINE(type, shortdesc, longdesc)				\
	struct malloc_type type[1] = { SIM_MALLOC_TYPE_INIT(shortdesc) };	\
	static struct sim_malloc_decl type##_sim_decl = {			\
		.smd_type = type, .smd_symbol = #type, .smd_file = __FILE__ };	\
	SIM_LINKER_SET_ENTRY(sim_malloc, type##_sim_decl)

#define MALLOC_DECLARE(type)							\
	extern struct malloc_type type[1]

/* Bounds of this object's own set (hidden: a module must not bind to the kernel's). */
extern const void *__start_set_sim_malloc[] __attribute__((visibility("hidden"), weak));
extern const void *__stop_set_sim_malloc[] __attribute__((visibility("hidden"), weak));

MALLOC_DECLARE(M_CACHE);
MALLOC_DECLARE(M_DEVBUF);
MALLOC_DECLARE(M_TEMP);

void	*kern_malloc(size_t size, struct malloc_type *type, int flags);
void	kern_free(void *addr, struct malloc_type *type);
#define malloc(size, type, flags)	kern_malloc((size), (type), (flags))
#define free(addr, type)		kern_free((addr), (type))

void	malloc_init(void *data);
void	malloc_uninit(void *data);
void	malloc_type_allocated(struct malloc_type *type, unsigned long size);
void	malloc_type_freed(struct malloc_type *type, unsigned long size);

/* Simulator: kmeminit + mallocinit of the era; registers the kernel's own types. */
void	sim_malloc_startup(void);
/*
 * Simulator: register the types of the calling object (a module's init function calls this
 * with its module file name, the kernel's types are registered by sim_malloc_startup).
 */
#define sim_malloc_register_module(modname)					\
	sim_malloc_register_set(__start_set_sim_malloc, __stop_set_sim_malloc, (modname))
void	sim_malloc_register_set(const void **start, const void **stop, const char *modname);

#endif /* !_SYS_MALLOC_H_ */
