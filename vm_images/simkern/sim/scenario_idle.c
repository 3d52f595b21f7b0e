/*
 * idle: a freshly booted machine doing almost nothing; a timer process wakes up, a temporary
 * buffer or a name lookup now and then.
 */
#include <stdio.h>

#include "reach.h"
#include "scenario.h"

static void *keep[16];
static const struct sim_reach_kind k_temp = { "buffer", "temp" };

static void
idle_setup(void)
{
}

static int
idle_tick(int t)
{
	int j = t % 16;
	void *p;

	sim_cpu_pick();
	if (keep[j] != NULL)
		sim_kfree("temp", keep[j]);
	keep[j] = sim_kmalloc("temp", 64 + sim_randn(200), 0);
	sim_reach_held(keep[j], &k_temp, NULL, "keep", &keep[j], "[%d]", j);
	sim_cpu_pick();
	p = sim_proc_fork(1);
	sim_cpu_pick();
	sim_proc_exit(p);
	if (t % 4 == 0) {
		sim_cpu_pick();
		p = sim_mbuf_get(SIM_M_NOWAIT);
		if (p != NULL)
			sim_mbuf_free(p);
	}
	return (0);
}

static void
idle_crash(void)
{
	sim_set_panic("kdb_sysctl_panic");
}

const struct sim_scenario scenario_idle = {
	.name = "idle",
	.default_ticks = 20,
	.default_cpus = 4,
	.kmem_size = 16ul << 20,
	.setup = idle_setup,
	.tick = idle_tick,
	.crash = idle_crash,
	.write_leak = NULL,
	.modules = NULL,
};
