"""The two views of the allocator statistics, each its rules in one place.

A command picks its view once (``for_compat(args.compat)``) and hands it to ``uma_zone_stats`` or
``malloc_type_stats``; those read the kernel the same way in both views and ask the view at each
point where the two disagree.  ``TRUE`` counts what the kernel holds; ``KVM`` prints what
``vmstat -M core -z`` / ``-m`` of the kernel's own era prints, libmemstat's quirks included
(vm_images/GROUND_TRUTH.md; the simulator's ``row_true``/``row_kvm`` apply the same rules).

Citations name libmemstat's kvm functions in freebsd/freebsd-src: ``memstat_kvm_uma()`` in
lib/libmemstat/memstat_uma.c (8.3 at 039ea811636f, main at 17da660ad5b3) and
``memstat_kvm_malloc()`` in lib/libmemstat/memstat_malloc.c (8.3 at 039ea811636f; 12.x and 14.x
as described in docs/freebsd-abi.md).  What is the same in both views is not a rule here:
internal zones have no per-CPU caches in either, and counters of 32-bit members wrap at their own
width (``volatile u_long`` zone counters on i386) because both views read the member as declared.
"""

from ..access.errors import CorruptionError, MemoryFault, SymbolNotFound
from ..access.record import read_record
from . import probes

U64 = (1 << 64) - 1
UMA_ZONE_SECONDARY = 0x200
# The kernel's own malloc types (kern_malloc.c): their ks_version is the kernel's M_VERSION.
KERNEL_TYPES = ("M_DEVBUF", "M_TEMP")


class TrueView:
    """Every item counted once, over every present CPU, as the kernel enforces it."""

    name = "true"

    def summed_cpus(self, cpus):
        """The CPUs a per-CPU (zpcpu, counter(9)) sum visits, and those allowed to be unreadable:
        every present CPU (``all_cpus``), none absent; when ``all_cpus`` is damaged, every id
        up to ``mp_maxid``, those it does not list allowed to be unmapped."""
        return cpus.present, cpus.unsure

    def clamps_allocs(self, target):
        """Zone allocations are never raised to the frees (a negative USED is reported)."""
        return False

    def difference(self, a, b):
        """USED, InUse, MemUse: a plain difference (negative is a finding, not a wrap)."""
        return a - b

    def limit_from_pages(self, maxpages, ppera, ipers):
        """LIMIT before ``uz_max_items``: the keg's page limit in items, as ``keg_reserve``
        would allow (pages per slab, then items per slab)."""
        return (maxpages // ppera) * ipers if ppera else 0

    def counts_cross_bucket(self):
        """13+ ``uzd_cross`` holds free items of the zone: counted in the zone's cache."""
        return True

    def keg_free_counted(self, keg_flags, first, per_domain):
        """The keg's free slab items belong to the keg's first (primary) zone only."""
        return first

    def visits_cache_zones(self):
        """Cache-only zones (``uma_cachezones``, 10.0+) are zones too."""
        return True

    def malloc_slots(self, declared, cpus):
        """Before 12 ``mti_stats[MAXCPU]``: every declared slot (absent CPUs hold zeros)."""
        return declared

    def malloc_version(self, target):
        """Every malloc type is shown whatever its ``ks_version``: ``(None, None)``, no filter."""
        return None, None


class KvmView:
    """What libmemstat's kvm path computes, rule by rule."""

    name = "kvm"

    def summed_cpus(self, cpus):
        """libkvm's ``kvm_counter_u64_fetch`` and ``kvm_read_zpcpu`` (lib/libkvm/kvm_pcpu.c,
        used by memstat_kvm_uma/memstat_kvm_malloc from 12.x) loop CPUs ``0..mp_ncpus-1``
        whatever ``all_cpus`` says: with sparse CPU ids they read copies of absent CPUs
        (tolerated when unmapped) and miss the highest present ones."""
        cpus_read = tuple(range(cpus.ncpus))
        return cpus_read, frozenset(cpus_read) - (set(cpus.present) - cpus.unsure)

    def clamps_allocs(self, target):
        """memstat_kvm_uma() (main, 17da660ad5b3): ``if (mt_numallocs < mt_numfrees)
        mt_numallocs = mt_numfrees`` after the counter fetches, before the per-CPU sums; the
        libmemstat of 13.0 on (the layout with inline ``ucb_cnt``) does it, 12.x does not."""
        return probes.kvm_clamps_allocs(target)

    def difference(self, a, b):
        """memstat_kvm_uma()/memstat_kvm_malloc(): ``mt_count``, ``mt_bytes`` are ``uint64_t``
        differences, so frees above allocations wrap to 2**64 - n."""
        return (a - b) & U64

    def limit_from_pages(self, maxpages, ppera, ipers):
        """memstat_kvm_uma() up to 12.x (8.3, 039ea811636f): ``mt_countlimit`` is
        ``uk_maxpages / uk_ipers`` when ``uk_ppera > 1`` and ``uk_maxpages * uk_ipers`` else
        (pages divided by items for multi-page slabs), reproduced literally."""
        if ppera > 1:
            return maxpages // ipers if ipers else 0
        return maxpages * ipers

    def counts_cross_bucket(self):
        """memstat_kvm_uma() (main): the zone cache is ``uzd_buckets`` of each domain only;
        ``uzd_cross`` is never read (the per-CPU ``uc_crossbucket`` is, in both views)."""
        return False

    def keg_free_counted(self, keg_flags, first, per_domain):
        """memstat_kvm_uma(): ``mt_kegfree`` is added unless the *keg* carries
        ``UMA_ZONE_SECONDARY`` and the zone is not first on ``uk_zones``; only 6.x/7.x set that
        flag on kegs, so later every zone of a shared keg gets the keg's free items.  13+ (main,
        17da660ad5b3) adds ``ud_free_items`` only when reading ``uk_domain[i]`` *fails*: 0."""
        if per_domain:
            return False
        return not (keg_flags & UMA_ZONE_SECONDARY and not first)

    def visits_cache_zones(self):
        """memstat_kvm_uma() walks ``uma_kegs`` only; ``uma_cachezones`` is never visited."""
        return False

    def malloc_slots(self, declared, cpus):
        """memstat_kvm_malloc() before 12 (8.3, 039ea811636f) reads ``mp_maxcpus`` elements of
        ``mti_stats[]`` and sums all of them."""
        return min(declared, cpus.maxcpus)

    def malloc_version(self, target):
        """memstat_kvm_malloc() of 13.0 on skips a type whose ``ks_version`` is not the
        ``M_VERSION`` vmstat was built with (sys/malloc.h: 2020110501 in 13.x/14.x, 2024073001
        in 15).  A vmstat matching the kernel has the kernel's own value, the ``ks_version`` of
        its ``M_DEVBUF`` (or ``M_TEMP``), read here rather than taken from a release table.

        :returns: ``(version, None)``; ``(None, None)`` before ``ks_version``; ``(None, why)``
            when no kernel type is readable (then nothing is skipped).
        """
        if not probes.malloc_has_version(target):
            return None, None
        layout, errors = target.layout(probes.MALLOC_TYPE), []
        for symbol in KERNEL_TYPES:
            try:
                return read_record(target, layout, target.symbol_address(symbol)).int("ks_version"), None
            except (SymbolNotFound, MemoryFault, CorruptionError) as e:
                errors.append(f"{symbol}: {e}")
        return None, f"the kernel's M_VERSION is unknown ({'; '.join(errors)}); no type skipped"


TRUE, KVM = TrueView(), KvmView()


def for_compat(compat):
    """The view of a ``--compat`` option: ``kvm`` or none (the true view)."""
    return KVM if compat == "kvm" else TRUE
