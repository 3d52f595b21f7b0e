/*
 * scale: many zones and malloc types over many CPUs, for benchmarks (defaults: 1,000 zones,
 * 2,000 types).  Names are generated from driver/subsystem-like stems.  Each zone and type gets
 * a few allocations on a few CPUs, so per-CPU caches and statistics are populated.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <stdio.h>
#include <string.h>

#include "scenario.h"

int sim_scale_zones = 1000;
int sim_scale_types = 2000;

static const char *const stems[] = {
	"ixl_rx", "ixl_tx", "em_buf", "vtnet_rxq", "cam_ccb", "g_bio", "zio_buf", "zio_data",
	"arc_buf", "dnode", "dmu_buf", "sa_cache", "ipfw_dyn", "pf_state", "pf_rule", "bpf_buf",
	"tmpfs_node", "nullfs_node", "kqueue_knote", "pipe", "audit_rec", "mac_label",
	"crypto_op", "vm_pager", "ktls_sess", "iflib_rxq", "mlx5_cq", "nvme_req", "ahci_slot",
	"usb_xfer",
};
#define NSTEMS	(sizeof(stems) / sizeof(stems[0]))

static char *
gen_name(int i, const char *suffix)
{
	char buf[64];
	char *s;

	snprintf(buf, sizeof(buf), "%s%s_%d", stems[i % NSTEMS], suffix, i / (int)NSTEMS);
	s = calloc(1, strlen(buf) + 1);
	strcpy(s, buf);
	return (s);
}

static void
scale_setup(void)
{
	int i, k;

	for (i = 0; i < sim_scale_zones; i++) {
		uma_zone_t z = uma_zcreate(gen_name(i, " zone"), 16 + 8 * sim_randn(120), NULL,
		    NULL, NULL, NULL, UMA_ALIGN_PTR, 0);

		for (k = 0; k < 4; k++) {
			sim_cpu_pick();
			void *p = uma_zalloc(z, M_WAITOK);
			if (k & 1) {
				sim_cpu_pick();
				uma_zfree(z, p);
			}
		}
	}
	for (i = 0; i < sim_scale_types; i++) {
		struct malloc_type *mtp = calloc(1, sizeof(*mtp));

		mtp->ks_shortdesc = gen_name(i, "");
#if SIM_ERA <= 12
		mtp->ks_magic = M_MAGIC;
#else
		mtp->ks_version = M_VERSION;
#endif
		sim_set_cpu(0);		/* SYSINITs (and so malloc_init) run on the boot CPU */
		malloc_init(mtp);
		for (k = 0; k < 3; k++) {
			sim_cpu_pick();
			void *p = malloc(16 + sim_randn(2000), mtp, M_WAITOK);
			if (k == 1) {
				sim_cpu_pick();
				free(p, mtp);
			}
		}
	}
}

static int
scale_tick(int t)
{
	(void)t;
	return (0);
}

static void
scale_crash(void)
{
	sim_set_panic("kdb_sysctl_panic");
}

const struct sim_scenario scenario_scale = {
	.name = "scale",
	.default_ticks = 1,
	.default_cpus = 256,
	.kmem_size = (sizeof(void *) == 8 ? 1024ul : 256ul) << 20,
	.setup = scale_setup,
	.tick = scale_tick,
	.crash = scale_crash,
	.write_leak = NULL,
	.modules = NULL,
};
