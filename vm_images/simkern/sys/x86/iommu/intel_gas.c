/*
 * The Intel IOMMU's guest address space (sys/x86/iommu/intel_gas.c): map entries come from a
 * UMA_ZONE_NODUMP zone, "DMAR_MAP_ENTRY" (12.x) / "IOMMU_MAP_ENTRY" (13+), so minidumps leave
 * its pages out.  The simulated amd64 machine of 12+ has DMAR enabled: the boot-time busdma
 * mappings of its devices are entries that stay.
 */
#include <sys/malloc.h>
#include <vm/uma.h>

#if SIM_ERA >= 12 && SIM_AMD64
#if SIM_ERA == 12
#define MAP_ENTRY_NAME  "DMAR_MAP_ENTRY"
#else
#define MAP_ENTRY_NAME  "IOMMU_MAP_ENTRY"
#endif
/* struct iommu_map_entry: RB links, start/end/first/last/free_down, flags, domain, tlb link */
#define MAP_ENTRY_SIZE  120

static uma_zone_t iommu_map_entry_zone;

/* SYSINIT(intel_gas, SI_SUB_DRIVERS), then the devices' boot mappings. */
void intel_gas_init_sim(int nmappings);

void
intel_gas_init_sim(int nmappings)
{
        int i;

        iommu_map_entry_zone = uma_zcreate(MAP_ENTRY_NAME, MAP_ENTRY_SIZE, NULL, NULL, NULL,
            NULL, UMA_ALIGN_PTR, UMA_ZONE_NODUMP);
        for (i = 0; i < nmappings; i++)
                (void)uma_zalloc(iommu_map_entry_zone, M_WAITOK | M_ZERO);
}
#endif
