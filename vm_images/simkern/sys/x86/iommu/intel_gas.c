/*
 * The Intel IOMMU's guest address space (sys/x86/iommu/intel_gas.c): map entries come from a
 * UMA_ZONE_NODUMP zone, "DMAR_MAP_ENTRY" (12.x) / "IOMMU_MAP_ENTRY" (13+), so minidumps leave
 * its pages out.  The simulated amd64 machine of 12+ has DMAR enabled: the boot-time busdma
 * mappings of its devices are entries that stay.
 */
#include <sys/malloc.h>
#include <sys/queue.h>
#include <vm/uma.h>

#include "sim/reach.h"

#if SIM_ERA >= 12 && SIM_AMD64
#if SIM_ERA == 12
#define MAP_ENTRY_NAME  "DMAR_MAP_ENTRY"
#else
#define MAP_ENTRY_NAME  "IOMMU_MAP_ENTRY"
#endif
/* struct iommu_map_entry: RB links, start/end/first/last/free_down, flags, domain, tlb link */
#define MAP_ENTRY_SIZE  120

/*
 * The members the simulator uses: each entry is on its busdma map's entry list (dmamap_link);
 * the boot mappings' map is a static here (the domain's RB tree is not modelled).
 */
struct iommu_map_entry {
        uint64_t        start, end;
        TAILQ_ENTRY(iommu_map_entry) dmamap_link;
};

static uma_zone_t iommu_map_entry_zone;
static TAILQ_HEAD(, iommu_map_entry) iommu_boot_entries =
    TAILQ_HEAD_INITIALIZER(iommu_boot_entries);

static const struct sim_reach_kind k_map_entry = { "struct iommu_map_entry", NULL };

/* SYSINIT(intel_gas, SI_SUB_DRIVERS), then the devices' boot mappings. */
void intel_gas_init_sim(int nmappings);

void
intel_gas_init_sim(int nmappings)
{
        int i;

        iommu_map_entry_zone = uma_zcreate(MAP_ENTRY_NAME, MAP_ENTRY_SIZE, NULL, NULL, NULL,
            NULL, UMA_ALIGN_PTR, UMA_ZONE_NODUMP);
        for (i = 0; i < nmappings; i++) {
                struct iommu_map_entry *e = uma_zalloc(iommu_map_entry_zone, M_WAITOK | M_ZERO);

                e->start = (uint64_t)i << 12;
                e->end = e->start + (1 << 12);
                TAILQ_INSERT_TAIL(&iommu_boot_entries, e, dmamap_link);
                sim_reach_listed(e, &k_map_entry, NULL, "iommu_boot_entries",
                    &iommu_boot_entries, offsetof(struct iommu_map_entry, dmamap_link), "", 0);
        }
}
#endif
