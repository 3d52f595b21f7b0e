/*
 * The simulated kernel program:
 *
 *   kernel --scenario S [--ticks N] [--seed N] [--cpus N] [--absent IDS] [--domains N]
 *          [--snapshot-at T[,T...]] [--crash [--sparse]] [--live [--interval SEC]] [--out DIR]
 *          [--zones N] [--types N]
 *
 * It boots (CPUs, UMA, malloc, subsystems, modules), then runs the scenario tick by tick.  At
 * each snapshot tick it writes DIR/vmcore.T and DIR/expected.T.json; with --crash it panics
 * after N ticks (or when the scenario's kernel runs out of memory) and writes DIR/vmcore and
 * DIR/expected.json; with --live it prints "kernel pid N", keeps ticking and rewrites
 * DIR/expected.json after every tick (write + rename) before sleeping, until killed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <sys/_sim_kern.h>

#include "reach.h"
#include "scenario.h"
#include "items_ledger.h"

void sim_write_expected(const char *path, const struct sim_scenario *sc, uint64_t seed,
    int tick, int ndomains, void (*extra)(FILE *));

extern unsigned long vm_kmem_size;		/* kern_malloc.c */

/* uma_timeout() runs every UMA_TIMEOUT (20 s) and trims the zones' bucket caches. */
#define UMA_TIMEOUT_TICKS	20

int sim_live;

static const struct sim_scenario *const scenarios[] = {
	&scenario_router, &scenario_fileserver, &scenario_idle, &scenario_scale,
#ifdef SIM_BIGHEAP
	&scenario_bigheap,
#endif
	NULL,
};

/* ---- PRNG and CPU choice --------------------------------------------------------------- */

static uint64_t prng_state = 1;

void
sim_srand(uint64_t seed)
{
	prng_state = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	if (prng_state == 0)
		prng_state = 1;
}

uint64_t
sim_rand(void)
{
	prng_state ^= prng_state >> 12;
	prng_state ^= prng_state << 25;
	prng_state ^= prng_state >> 27;
	return (prng_state * 0x2545f4914f6cdd1dull);
}

static int cpu_ids[1024], cpu_count;

int
sim_ncpus(void)
{
	return (cpu_count);
}

void
sim_cpu_pick(void)
{
	sim_set_cpu(cpu_ids[sim_randn(cpu_count)]);
}

/* ---- dumps ------------------------------------------------------------------------------ */

static const char *outdir = ".";
static uint64_t seed = 1;
static int ndomains = 1;
static const struct sim_scenario *sc;
static int cur_tick;

static void
check_or_die(void)
{
	int bad = sim_uma_check(stderr) + sim_malloc_check(stderr);

	if (bad != 0) {
		fprintf(stderr, "kernel: %d ledger invariant violation(s); not dumping\n", bad);
		exit(2);
	}
}

static void
write_expected_atomic(const char *name, void (*extra)(FILE *))
{
	char path[4096], tmp[4200];

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	sim_write_expected(tmp, sc, seed, cur_tick, ndomains, extra);
	if (rename(tmp, path) != 0) {
		perror(path);
		exit(1);
	}
}

/* expected.sparse.json: expected.json plus the "sparse" object `extra` writes. */
static void
write_sparse_expected(void (*extra)(FILE *))
{
	write_expected_atomic("expected.sparse.json", extra);
}

/* the item ledger of the final core, beside its expected.json */
static void
write_items(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/items.json", outdir);
	sim_items_write(path);
}

static void
dump(const char *core, const char *json)
{
	char path[4096];

	sim_kmem_sync();
	check_or_die();
	write_expected_atomic(json, NULL);
	if (strcmp(json, "expected.json") == 0)
		write_items();
	/* reach.json beside expected.json (reach.T.json beside expected.T.json) */
	snprintf(path, sizeof(path), "%s/reach%s", outdir, json + strlen("expected"));
	if (sim_reach_write(path) != 0) {
		fprintf(stderr, "kernel: writing %s failed (or the reach ledger is broken)\n", path);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/%s", outdir, core);
	if (sim_dump_core(path) != 0) {
		fprintf(stderr, "kernel: dumping %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: kernel --scenario router|fileserver|idle|scale [--ticks N] "
	    "[--seed N] [--cpus N]\n    [--absent ID[,ID...]] [--domains N] "
	    "[--snapshot-at T[,T...]] [--crash [--sparse]]\n    [--live [--interval SEC]] [--out DIR] "
	    "[--zones N] [--types N] [--kmem-mb N]\n");
	exit(64);
}

static uint64_t
parse_list_mask(const char *s)
{
	uint64_t m = 0;
	char *end;

	while (*s) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v >= 64)
			usage();
		m |= 1ull << v;
		s = *end == ',' ? end + 1 : end;
	}
	return (m);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "ticks", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'S' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "absent", required_argument, NULL, 'a' },
		{ "domains", required_argument, NULL, 'd' },
		{ "snapshot-at", required_argument, NULL, 'n' },
		{ "crash", no_argument, NULL, 'C' },
		{ "sparse", no_argument, NULL, 'P' },
		{ "live", no_argument, NULL, 'L' },
		{ "interval", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "zones", required_argument, NULL, 'z' },
		{ "types", required_argument, NULL, 'y' },
		{ "kmem-mb", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *snaps = "";
	int ticks = -1, ncpus = -1, crash = 0, live = 0, sparse = 0, ch, t, i, panicked = 0;
	double interval = 1.0;
	unsigned long kmem_size, kmem_mb = 0;
	uint64_t absent = 0;
	char fname[64];

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': name = optarg; break;
		case 't': ticks = atoi(optarg); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'c': ncpus = atoi(optarg); break;
		case 'a': absent = parse_list_mask(optarg); break;
		case 'd': ndomains = atoi(optarg); break;
		case 'n': snaps = optarg; break;
		case 'C': crash = 1; break;
		case 'P': sparse = 1; break;
		case 'L': live = 1; break;
		case 'i': interval = atof(optarg); break;
		case 'o': outdir = optarg; break;
		case 'z': sim_scale_zones = atoi(optarg); break;
		case 'y': sim_scale_types = atoi(optarg); break;
		case 'K': kmem_mb = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (name == NULL || optind != argc)
		usage();
	for (i = 0; scenarios[i] != NULL; i++)
		if (strcmp(scenarios[i]->name, name) == 0)
			sc = scenarios[i];
	if (sc == NULL)
		usage();
	if (ticks < 0)
		ticks = sc->default_ticks;
	if (ncpus <= 0)
		ncpus = sc->default_cpus;
	if (ncpus > MAXCPU)
		ncpus = MAXCPU;
	if (ndomains < 1 || SIM_ERA < 12)
		ndomains = 1;
	mkdir(outdir, 0755);

	/*
	 * Boot: the page arena is the era's kmem map/arena, sized like vm.kmem_size (live: the
	 * scenario's larger live size, so a leak keeps growing for a long time).
	 */
	sim_srand(seed);
	sim_live = live;
#ifdef SIM_FREESTANDING
	sim_reach_enable(0);		/* the VM hands out only expected.json (serial line) */
#else
	sim_reach_enable(!live);	/* reach.json beside each core */
#endif
	kmem_size = live && sc->live_kmem_size ? sc->live_kmem_size : sc->kmem_size;
	if (kmem_mb)		/* --kmem-mb: a bigger machine (1024 CPUs) has a bigger kmem */
		kmem_size = kmem_mb << 20;
	sim_page_arena_init(kmem_size / SIM_PAGE_SIZE);
	sim_set_ndomains(ndomains);
	sim_cpus_init(ncpus, absent);
	sim_uma_startup();
	cpu_count = sim_cpu_list(cpu_ids, 1024);
	sim_set_cpu(cpu_ids[0]);
	vm_kmem_size = kmem_size;
	sim_kernel_sysinit();
	for (i = 0; sc->modules != NULL && sc->modules[i] != NULL; i++)
		if (sim_load_module(sc->modules[i]) != 0)
			return (1);
	sc->setup();

	if (live) {
#if defined(__linux__) && defined(PR_SET_PTRACER)
		/* Yama (ptrace_scope 1): let any process of this user attach (gdb -p, lldb -p) */
		(void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
		printf("kernel pid %d\n", (int)getpid());
		fflush(stdout);
		for (t = 1;; t++) {
			cur_tick = t;
			sim_clock_tick();
			if (!panicked && sc->tick(t))
				panicked = 1;	/* a live kernel keeps running in this model */
			if (t % UMA_TIMEOUT_TICKS == 0)
				sim_uma_tick();
			sim_kmem_sync();
			check_or_die();
			write_expected_atomic("expected.json", NULL);
			printf("tick %d\n", t);
			fflush(stdout);
			usleep((useconds_t)(interval * 1e6));
		}
	}

	for (t = 1; t <= ticks; t++) {
		const char *p;

		cur_tick = t;
		sim_clock_tick();
		if (sc->tick(t)) {
			panicked = 1;
			break;
		}
		if (t % UMA_TIMEOUT_TICKS == 0)
			sim_uma_tick();
		for (p = snaps; *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p)) {
			if (atoi(p) == t) {
				snprintf(fname, sizeof(fname), "expected.%d.json", t);
				char core[64];
				snprintf(core, sizeof(core), "vmcore.%d", t);
				dump(core, fname);
			}
		}
		if (getenv("SIM_TRACE") != NULL)
			fprintf(stderr, "tick %d: %zu pages in use, %zu free\n", t,
			    sim_pages_in_use(), sim_pages_free());
	}
	if (crash || panicked) {
		if (sim_panicstr() == NULL)
			sc->crash();
		dump("vmcore", "expected.json");
		if (sparse) {
			snprintf(fname, sizeof(fname), "%s/vmcore.sparse", outdir);
			sim_write_sparse(fname, write_sparse_expected);
		}
	}
	return (0);
}
