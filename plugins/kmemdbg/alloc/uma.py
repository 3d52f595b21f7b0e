"""UMA kegs and zones: walks and per-zone statistics, as plain data.

Mirrors ``sys/vm/uma_int.h`` (``struct uma_keg``, ``uma_zone``, ``uma_cache``, ``uma_bucket``,
``uma_zone_domain``, ``uma_domain``) of every era from 6.x to 15.  Where the true view and
libmemstat's kvm view differ, the walk asks its view (``views.py``); the breakdown
``free_cpu``/``free_zone``/``free_keg`` (``uma-zones --where``) is always kept.
"""

import struct
from collections import namedtuple
from dataclasses import dataclass, field
from itertools import compress
from typing import NamedTuple, Optional, Tuple

from ..kernel.cpus import CpuInfo, read_cpu_info
from ..kernel.memory import read_symbol_int
from ..kernel.queue import list_foreach
from ..kernel.strided import Strided, cpu_runs
from ..kernel.zpcpu import Zpcpu
from ..access import per_run, read_cstring
from ..access.errors import CorruptionError, MemoryFault, Misaligned, SymbolNotFound
from ..access.pagecache import read_buffer
from ..access.record import Record, misaligned, read_array, read_bytes, read_record
from . import probes, views
from .probes import CACHE, KEG, ZONE
from .kmem_limit import kmem_limit
from .rows import ROW_ERRORS
from .slabs import geometry_problem

UMA_ZFLAG_INTERNAL = 0x20000000

MAX_KEGS = 100000
MAX_ZONES_PER_KEG = 10000
MAX_BUCKETS = 1 << 20
MAX_DOMAINS = 64          # MAXMEMDOM is 8 on amd64; anything far above is a corrupt vm_ndomains
BATCH_BYTES = 1 << 20     # uz_cpu[] bytes read and summed together (all zones' would be 17 MiB
                          # on 256 CPUs; a batch much above a MiB faults in fresh pages each time)


class ZoneStats(NamedTuple):
    """One zone's numbers in one view; ``None`` means "could not be read" (see ``issues``).

    A named tuple, not a frozen dataclass: as immutable, and made three times faster (a walk
    makes one per zone).

    :param keg: ``struct uma_keg *`` the zone was found on, 0 for cache-only zones.
    :param requests: successful allocations (zone counter plus per-CPU ``uc_allocs``).
    :param frees: zone counter plus per-CPU ``uc_frees``.
    :param used: ``requests - frees`` (the view's ``difference``).
    :param free_cpu: items in per-CPU buckets; ``free_zone``: in the zone's bucket cache;
        ``free_keg``: free items in the keg's slabs attributed to this zone by the view's rule.
    :param sleep: ``uz_sleeps``, ``None`` in eras without it (6.x-8.x).
    :param xdomain: ``uz_xdomain``, ``None`` before 13.
    :param bucket: items per bucket (``uz_bucket_size`` 13+, ``uz_count`` before).
    :param cross_cpu: of ``free_cpu``, the items in per-CPU cross-domain buckets (13+);
        ``cross_zone``: of ``free_zone``, the items in the domains' ``uzd_cross`` buckets (13+,
        not in the kvm view).  ddb's ``show uma`` counts them apart (XFree), see report/ddb.py.
    """

    name: str
    address: int
    keg: int
    size: Optional[int]
    limit: Optional[int]
    requests: Optional[int]
    frees: Optional[int]
    used: Optional[int]
    free_cpu: Optional[int]
    free_zone: Optional[int]
    free_keg: Optional[int]
    fail: Optional[int]
    sleep: Optional[int]
    xdomain: Optional[int]
    cache_only: bool = False
    issues: Tuple[str, ...] = ()
    bucket: Optional[int] = None
    cross_cpu: Optional[int] = 0
    cross_zone: Optional[int] = 0

    @property
    def free(self):
        parts = (self.free_cpu, self.free_zone, self.free_keg)
        return None if None in parts else sum(parts)

    @property
    def memory(self):
        """Bytes of the items in use (used × size)."""
        return None if None in (self.used, self.size) else self.used * self.size

    @property
    def total(self):
        """The zone's footprint in items, (used + free) × size: ddb's ``Total Mem``."""
        free = self.free
        return None if None in (self.used, free, self.size) else (self.used + free) * self.size


# One zone's uz_cpu[]: the present CPUs' records (for what is looked at CPU by CPU: damage, bucket
# headers before 13), their uc_allocs and uc_frees sums, and ``free``: (items in the per-CPU
# buckets, of them cross-domain) from the inline counts of 13+, None before 13 or when absurd.
_CpuCaches = namedtuple("_CpuCaches", "records allocs frees free")


@dataclass(frozen=True)
class UmaReport:
    """All zones of one walk, in walk order (vmstat prints the reverse)."""

    zones: Tuple[ZoneStats, ...]
    warnings: Tuple[str, ...]
    cpus: CpuInfo
    ndomains: int
    has_sleep: bool
    has_xdomain: bool
    # the keg records walked, in walk order, for kmem-summary's pages (not what a report says)
    kegs: Tuple[Record, ...] = field(default=(), compare=False, repr=False)


def for_each_keg(target):
    """Yield a ``Record`` of every ``struct uma_keg`` on ``uma_kegs`` (newest first)."""
    return list_foreach(target, target.symbol_address("uma_kegs"), target.layout(KEG), "uk_link",
                        "uma_kegs", MAX_KEGS)


def for_each_zone(target, keg):
    """Yield a ``Record`` of every zone on ``keg->uk_zones`` (the first one is primary)."""
    return list_foreach(target, keg.field_addr("uk_zones"), target.layout(ZONE), "uz_link",
                        f"uk_zones of keg {keg.addr:#x}", MAX_ZONES_PER_KEG)


def for_each_cache_zone(target):
    """Yield the cache-only zones on ``uma_cachezones`` (10.0+; none before)."""
    if not probes.has_cache_zones(target):
        return iter(())
    return list_foreach(target, target.symbol_address("uma_cachezones"), target.layout(ZONE),
                        "uz_link", "uma_cachezones", MAX_ZONES_PER_KEG)


def read_ndomains(target):
    """``vm_ndomains`` (12.0+), 1 before NUMA."""
    try:
        n = read_symbol_int(target, "vm_ndomains")
    except SymbolNotFound:
        return 1
    if not 1 <= n <= MAX_DOMAINS:
        raise CorruptionError(f"vm_ndomains = {n} is absurd (expected 1..{MAX_DOMAINS})")
    return n


@per_run
def uma_zone_stats(target, view=views.TRUE):
    """Walk every keg and zone and compute each zone's statistics in ``view``.

    A damaged zone becomes a row with ``None`` cells and ``issues``; a damaged list ends that
    list with a warning; a missing symbol or type raises (not a FreeBSD kernel we understand).

    :param view: ``views.TRUE`` or ``views.KVM``.
    :raises SymbolNotFound, TypeNotFound, FieldNotFound, UnsupportedLayout, CorruptionError:
    """
    reader = _ZoneReader(target, view)
    found, warnings = [], list(reader.cpus.warnings)   # (zone, keg, first on the keg)
    kegs = []
    try:
        for keg in for_each_keg(target):
            kegs.append(keg)
            _walk_keg(target, keg, found, warnings)
    except ROW_ERRORS as e:
        warnings.append(f"uma_kegs: {e}")
    else:
        if not kegs:      # UMA's own kegs ("UMA Kegs", "UMA Zones", ...) exist from boot on
            warnings.append(f"uma_kegs at {target.symbol_address('uma_kegs'):#x} is empty, but "
                            "every kernel has UMA's own kegs (a damaged list head)")
    if view.visits_cache_zones():
        try:
            for zone in for_each_cache_zone(target):
                found.append((zone, None, True))
        except ROW_ERRORS as e:
            warnings.append(f"uma_cachezones: {e}")
    reader.prefetch_counters([zone for zone, _, _ in found if zone is not None])
    zones = []
    for at in range(0, len(found), reader.batch):
        batch = found[at:at + reader.batch]
        reader.read_cpu_caches([zone for zone, keg, _ in batch
                                if zone is not None and not reader.internal(keg)])
        zones += [reader.zone_stats(zone, keg, first) if zone is not None
                  else reader.unreadable_zone(first[0], keg, first[1])
                  for zone, keg, first in batch]
    return UmaReport(tuple(zones), tuple(warnings), reader.cpus, reader.ndomains,
                     probes.zone_has_sleeps(target), probes.zone_has_xdomain(target), tuple(kegs))


def keg_domain_pages(target, keg, ndomains):
    """The pages a 13+ keg record ``keg`` holds: the sum of ``uk_domain[d].ud_pages`` (one read;
    before 13 it is ``uk_pages``).

    :raises MemoryFault: naming the keg.
    """
    dom = target.layout("struct uma_domain")
    data = read_bytes(target, keg.addr + keg.layout.offset("uk_domain"), ndomains * dom.size,
                      f"struct uma_keg {keg.addr:#x}: uk_domain[{ndomains}]")
    return sum(dom.column_unpacker("ud_pages", ndomains, target.byteorder)(data))


def _walk_keg(target, keg, found, warnings):
    """The zones of one keg into ``found``: a misaligned zone pointer becomes a marked row
    (``(None, keg, (address, issue))``), any other damage ends the keg's list with a warning, and
    a keg without zones is named (every keg has one)."""
    count = 0
    try:
        for i, zone in enumerate(for_each_zone(target, keg)):
            count += 1
            found.append((zone, keg, i == 0))
    except Misaligned as e:
        found.append((None, keg, (e.addr, str(e))))
    except ROW_ERRORS as e:
        warnings.append(f"zones of keg at {keg.addr:#x}: {e}")
    else:
        if not count:
            warnings.append(f"keg at {keg.addr:#x} has no zone: its uk_zones list at "
                            f"{keg.field_addr('uk_zones'):#x} is empty (a damaged list head)")


class _ZoneReader:
    """Layouts, offsets and CPU sets for one command run; computes one zone at a time."""

    def __init__(self, target, view):
        t = self.target = target
        self.view = view
        self.cpus = read_cpu_info(t)
        self.ndomains = read_ndomains(t)
        self.zone = t.layout(ZONE)
        self.keg = t.layout(KEG)
        self.cache = t.layout(CACHE)
        self.bucket = t.layout("struct uma_bucket")
        self.bucket_values = self.bucket.unpacker(("ub_cnt", "ub_entries"), t.byteorder)
        self.bucket_kind = probes.zone_bucket_cache_kind(t)
        self.inline_buckets = probes.cache_bucket_is_struct(t)
        self.counter9 = probes.zone_counters_are_counter9(t)
        self.has_sleeps = probes.zone_has_sleeps(t)
        self.has_xdomain = probes.zone_has_xdomain(t)
        self.has_max_items = probes.zone_has_max_items(t)
        self.keg_domains = probes.keg_free_per_domain(t)
        self.clamp = view.clamps_allocs(t)
        self.zpcpu = Zpcpu(t, self.cpus) if self.counter9 or self.has_xdomain else None
        if self.bucket_kind in (probes.DOMAIN_POINTER, probes.DOMAINS_AFTER_CPUS):
            self.zdom = t.layout("struct uma_zone_domain")
        if self.keg_domains:
            self.udom = t.layout("struct uma_domain")
            self.off_uk_domain = self.keg.offset("uk_domain")
            self.ud_free_items = self.udom.column_unpacker("ud_free_items", self.ndomains,
                                                           t.byteorder)
        self.kmem_limit = kmem_limit(t)[0] or 1 << 64     # _over_capacity's first sieve
        self.counter_cpus, self.absent_ok = view.summed_cpus(self.cpus)
        self._prepare_members()
        self._prepare_cache_columns()

    def _prepare_members(self):
        """One ``struct`` unpack per zone and keg record for every integer member the era's
        statistics use (``StructLayout.unpacker``); a member the era must have is looked up
        here, so its absence fails the command as ``Record.int`` would, not a row."""
        t, z, k = self.target, self.zone, self.keg
        self.counters = ("uz_allocs", "uz_frees", "uz_fails")
        zone_members = ["uz_name", *self.counters, "uz_size", "uz_bucket_size", "uz_count"]
        keg_members = ["uk_flags", "uk_size", "uk_rsize", "uk_ipers", "uk_ppera", "uk_pages"]
        if self.has_sleeps:
            zone_members.append("uz_sleeps")
        if self.has_xdomain:
            zone_members.append("uz_xdomain")
        if self.has_max_items:
            zone_members.append("uz_max_items")
        else:
            keg_members.append("uk_maxpages")
        if self.bucket_kind == probes.DOMAIN_POINTER:
            zone_members.append("uz_domain")
        if not self.keg_domains:
            keg_members.append("uk_free")
        for layout, members in ((z, zone_members), (k, keg_members)):
            for m in members:
                if m not in ("uz_size", "uz_bucket_size", "uz_count", "uk_pages"):   # or None
                    layout.field(m)
        self.zone_values = z.unpacker(tuple(zone_members), t.byteorder)
        self.keg_values = k.unpacker(tuple(keg_members), t.byteorder)
        # the counter(9) pointers prefetch_counters totals (its fields in offset order)
        self.counter_values = z.unpacker((self.counters if self.counter9 else ()) +
                                         (("uz_xdomain",) if self.has_xdomain else ()),
                                         t.byteorder)

    def _prepare_cache_columns(self):
        """Where the per-CPU members sit in ``struct uma_cache``, as ``(offset, size, signed)``
        columns of the ``uz_cpu[]`` read (no Record, and no Python step, per CPU)."""
        t, c = self.target, self.cache

        def column(offset, type_info):
            return offset, type_info.size, type_info.signed

        self.uc_allocs = column(c.offset("uc_allocs"), c.field("uc_allocs").type)
        self.uc_frees = column(c.offset("uc_frees"), c.field("uc_frees").type)
        self.cpu_buckets = []
        if self.inline_buckets:
            ucb = t.layout(c.field("uc_allocbucket").type.name or "struct uma_cache_bucket")
            for member in ("uc_allocbucket", "uc_freebucket", "uc_crossbucket"):
                if c.has(member):
                    base = c.offset(member)
                    cnt = column(base + ucb.offset("ucb_cnt"), ucb.field("ucb_cnt").type)
                    entries = (column(base + ucb.offset("ucb_entries"),
                                      ucb.field("ucb_entries").type)
                               if ucb.has("ucb_entries") else None)
                    self.cpu_buckets.append((member, cnt, entries))
        else:
            for member in ("uc_allocbucket", "uc_freebucket"):
                self.cpu_buckets.append((member, column(c.offset(member), c.field(member).type),
                                         None))
        self.present_runs = cpu_runs(self.cpus.present)
        self.off_cpu = self.zone.offset("uz_cpu")
        self.cpu_bytes = (self.cpus.maxid + 1) * self.cache.size
        self.batch = max(1, BATCH_BYTES // self.cpu_bytes)
        self._batched = {}     # zone address -> its _CpuCaches (read_cpu_caches)
        self._counter_totals = {}   # counter(9) address -> its sum: prefetch_counters
        self._domains = {}     # zone address -> its uma_zone_domain[] bytes (read_cpu_caches)
        self.dom_bytes = 0
        if self.bucket_kind == probes.DOMAINS_AFTER_CPUS:
            # The domains follow uz_cpu[] in the zone's allocation: read with it, and only a
            # domain with a bucket (or a uzd_cross one the view counts) is looked at further.
            d = self.zdom
            self.dom_bytes = self.ndomains * d.size
            heads = [d.offset("uzd_buckets")]
            if self.view.counts_cross_bucket() and d.has("uzd_cross"):
                heads.append(d.offset("uzd_cross"))
            code, pos, fmt = "I" if t.pointer_size == 4 else "Q", 0, ""
            for at in sorted(i * d.size + off for i in range(self.ndomains) for off in heads):
                fmt, pos = fmt + f"{at - pos}x{code}", at + t.pointer_size
            self._dom_heads = struct.Struct(("<" if t.byteorder == "little" else ">") +
                                            fmt).unpack_from

    def internal(self, keg):
        """Whether ``keg`` is one of UMA's internal kegs (no per-CPU caches: see zone_stats)."""
        return keg is not None and keg.int("uk_flags") & UMA_ZFLAG_INTERNAL

    # --- one zone -------------------------------------------------------------------------

    def zone_stats(self, z, keg, first):
        """Statistics of zone record ``z`` on ``keg`` (None for cache-only zones).

        :param first: ``z`` is the first zone on ``keg->uk_zones``, the keg's primary zone, which
            the true view credits with the keg's free items.
        """
        issues = []
        zv = self.zone_values(z.data)
        kv = self.keg_values(keg.data) if keg is not None else None
        name = self._name(z, zv.uz_name, issues)
        if kv is not None:    # the size every byte column multiplies by
            problem = geometry_problem(kv.uk_size, kv.uk_rsize, kv.uk_ipers, kv.uk_ppera)
            if problem:
                issues.append(f"keg at {keg.addr:#x}: {problem}")
        counters = self._attempt(issues, self._zone_counters, z, zv)
        # UMA never caches items of its internal zones (kegs, zones, slabs, buckets) per CPU,
        # and the boot-time zones are static structs without room for mp_maxid + 1 caches, so
        # their uz_cpu[] is not read in any view (libmemstat skips it the same way).
        cpu_data = None
        if self.internal(keg):
            cpu_allocs = cpu_frees = free_cpu = cross_cpu = 0
        else:
            cpu_data = self._attempt(issues, self._read_cpu_caches, z)
            if cpu_data is None:
                cpu_allocs = cpu_frees = free_cpu = cross_cpu = None
            else:
                cpu_allocs, cpu_frees = cpu_data.allocs, cpu_data.frees
                free_cpu, cross_cpu = self._attempt(issues, self._cpu_free, cpu_data, z.addr) \
                    or (None, None)
        requests = frees = used = fails = None
        if counters is not None and cpu_allocs is not None:
            allocs, zfrees, fails = counters
            excess = zfrees + cpu_frees - allocs - cpu_allocs
            if self.clamp and allocs < zfrees:
                allocs = zfrees
            requests, frees = allocs + cpu_allocs, zfrees + cpu_frees
            used = self.view.difference(requests, frees)
            if excess > 0:
                damage = self._frees_exceed(z, name, counters,
                                            cpu_data.records if cpu_data else None, excess)
                if damage:
                    issues.append(damage)
                if used < 0:     # the true view: unknown when damaged, else uma_zone_get_cur's 0
                    used = None if damage else 0
            elif kv is not None and not problem and used * kv.uk_size > self.kmem_limit:
                over = self._attempt(issues, self._over_capacity, z, name, keg, kv, used)
                if over:
                    issues.append(over)
        elif counters is not None:
            fails = counters[2]
        free_zone, cross_zone = self._attempt(issues, self._zone_free, z, zv, name) or \
            (None, None)
        free_keg = 0 if keg is None else self._attempt(issues, self._keg_free, keg, kv, first)
        xdomain = self._attempt(issues, self._counter, z, "uz_xdomain", zv.uz_xdomain) \
            if self.has_xdomain else None
        # positional, in ZoneStats' order: a walk makes one per zone
        return ZoneStats(name, z.addr, keg.addr if keg is not None else 0, self._size(zv, kv),
                         self._limit(zv, kv), requests, frees, used, free_cpu, free_zone,
                         free_keg, fails, zv.uz_sleeps if self.has_sleeps else None, xdomain,
                         keg is None, tuple(issues),
                         zv.uz_bucket_size if zv.uz_bucket_size is not None else zv.uz_count,
                         cross_cpu, cross_zone)

    @staticmethod
    def _attempt(issues, fn, *args):
        """``fn(*args)``, or None with what went wrong added to ``issues`` (the row's cell is
        unknown; the rest of the row is still read)."""
        try:
            return fn(*args)
        except ROW_ERRORS as e:
            issues.append(str(e))
            return None

    def unreadable_zone(self, addr, keg, issue):
        """A row for a zone that cannot be read at all (every cell unknown)."""
        return ZoneStats(name=f"<zone {addr:#x}>", address=addr, keg=keg.addr, size=None,
                         limit=None, requests=None, frees=None, used=None, free_cpu=None,
                         free_zone=None, free_keg=None, fail=None, sleep=None, xdomain=None,
                         issues=(issue,))

    def _frees_exceed(self, z, name, counters, cpu_data, excess):
        """Why frees exceed allocations by ``excess``, or None when the kernel's own state
        explains it.

        The kernel sums the same counters (``uma_zone_get_cur``: zone counters plus every
        CPU's ``uc_allocs - uc_frees``) and clamps a negative result at 0, because a CPU can be
        caught between two updates: before 13 ``uma_zalloc_arg`` adds a CPU's ``uc_frees`` to
        ``uz_frees`` and zeroes it next (after doing the same to ``uc_allocs``), and every
        era bumps a counter just after moving an item.  So an excess within one CPU's un-zeroed
        ``uc_frees`` (its ``uc_allocs`` already 0), or within one item per CPU, is that; a
        larger one is damage, named with the member that carries it.
        """
        cpu_allocs = cpu_data.column(*self.uc_allocs) if cpu_data is not None else []
        cpu_frees = cpu_data.column(*self.uc_frees) if cpu_data is not None else []
        if excess <= len(self.cpus.present) or any(
                a == 0 and f >= excess for a, f in zip(cpu_allocs, cpu_frees)):
            return None
        allocs, zfrees, _ = counters
        what = f"uz_frees {zfrees} + uc_frees {sum(cpu_frees)}"
        if cpu_frees:
            i = max(range(len(cpu_frees)), key=cpu_frees.__getitem__)
            cpu = self.cpus.present[i]
            at = z.addr + self.off_cpu + cpu * self.cache.size + self.uc_frees[0]
            what += (f" (largest: uz_cpu[{cpu}].uc_frees = {cpu_frees[i]} at {at:#x})")
        return (f'frees exceed allocations by {excess} in zone "{name}" at {z.addr:#x}: '
                f"{what} > uz_allocs {allocs} + uc_allocs {sum(cpu_allocs)}")

    def _over_capacity(self, z, name, keg, kv, used):
        """Why ``used`` items are more than the zone's keg holds, or None.

        Asked only of a zone whose items in use would fill more than kmem may hold (which a keg
        can pass only where the limit is soft, 12+): its keg's slabs (``uk_pages``, 13+ the
        ``ud_pages`` of its domains, ``uk_ppera`` pages each) hold ``uk_ipers`` items each; one
        item per CPU more is counters caught between updates (``_frees_exceed``).
        """
        pages = kv.uk_pages
        if pages is None:
            if not self.keg_domains:
                return None      # no page count to judge by
            pages = keg_domain_pages(self.target, keg, self.ndomains)
        capacity = pages // kv.uk_ppera * kv.uk_ipers
        if used <= capacity + len(self.cpus.present):
            return None
        return (f'zone "{name}" at {z.addr:#x} has {used} items in use, more than its keg at '
                f"{keg.addr:#x} holds ({capacity} items in {pages} pages): its counters are "
                "damaged")

    def _name(self, z, addr, issues):
        try:
            return read_cstring(self.target, addr)
        except ROW_ERRORS as e:
            issues.append(f"uz_name: {e}")
            return f"<zone {z.addr:#x}>"

    @staticmethod
    def _size(zv, kv):
        if kv is not None:
            return kv.uk_size
        return zv.uz_size if zv.uz_size is not None else 0

    def _limit(self, zv, kv):
        if self.has_max_items:
            return zv.uz_max_items
        if kv is None:
            return 0
        return self.view.limit_from_pages(kv.uk_maxpages, kv.uk_ppera, kv.uk_ipers)

    def _counter(self, z, member, base):
        """The counter(9) at ``base`` summed: prefetched (one lookup), else read here, which
        names the CPU whose copy is unreadable."""
        if not base:
            return 0
        done = self._counter_totals.get(base)
        if done is not None:
            return done
        return self.zpcpu.counter_fetch(base, self.counter_cpus, self.absent_ok,
                                        f"counter(9) {ZONE}.{member} of zone at {z.addr:#x}")

    def prefetch_counters(self, zones):
        """Every counter(9) of ``zones`` summed in one pass over the per-CPU blocks."""
        if not self.counter9 and not self.has_xdomain:
            return
        bases = [base for z in zones for base in self.counter_values(z.data) if base]
        self._counter_totals = self.zpcpu.counter_totals(bases, self.counter_cpus, self.absent_ok)

    def _zone_counters(self, z, zv):
        """(allocs, frees, fails) at zone level: plain integers or counter(9) sums."""
        if self.counter9:
            return (self._counter(z, "uz_allocs", zv.uz_allocs),
                    self._counter(z, "uz_frees", zv.uz_frees),
                    self._counter(z, "uz_fails", zv.uz_fails))
        return zv.uz_allocs, zv.uz_frees, zv.uz_fails

    def read_cpu_caches(self, zones):
        """Read the ``uz_cpu[]`` of ``zones`` (the next ones ``zone_stats`` will ask for) into
        one buffer and sum them (``_cpu_caches``); a zone whose read fails is left to
        ``_read_cpu_caches`` to name."""
        parts, addrs, size = [], [], self.cpu_bytes
        for z in zones:
            try:
                data = read_buffer(self.target, z.addr + self.off_cpu, size + self.dom_bytes)
            except MemoryFault:
                continue
            parts.append(data[:size])
            if self.dom_bytes:
                self._domains[z.addr] = data[size:]
            addrs.append(z.addr)
        self._batched = self._cpu_caches(b"".join(parts), addrs)

    def _read_cpu_caches(self, z):
        """``_CpuCaches`` of all ``uz_cpu[0..mp_maxid]`` (the declared bound [1] or [] is fake):
        from the batch ``read_cpu_caches`` read, else read here in one read."""
        caches = self._batched.pop(z.addr, None)
        if caches is not None:
            return caches
        addr = z.addr + self.off_cpu
        try:
            data = read_buffer(self.target, addr, self.cpu_bytes)
        except MemoryFault as e:
            raise MemoryFault(addr, self.cpu_bytes, f"{ZONE}.uz_cpu[0..{self.cpus.maxid}] of "
                                                    f"zone at {z.addr:#x}") from e
        return self._cpu_caches(data, [z.addr])[z.addr]

    def _cpu_caches(self, data, addrs):
        """``address -> _CpuCaches`` of the zones whose ``uz_cpu[]`` arrays ``data`` holds in
        turn, every sum over the present CPUs taken for all of them at once (``per_group``)."""
        batch = Strided(data, self.cache.size, self.target.byteorder, group=self.cpus.maxid + 1)
        runs = self.present_runs
        allocs = batch.per_group("sum", runs, self.uc_allocs)
        frees = batch.per_group("sum", runs, self.uc_frees)
        free = self._inline_free(batch, runs, len(addrs)) if self.inline_buckets else \
            [None] * len(addrs)
        return {addr: _CpuCaches(batch.records(runs, group=g), allocs[g], frees[g], free[g])
                for g, addr in enumerate(addrs)}

    def _inline_free(self, batch, runs, count):
        """Per zone of ``batch`` (13+, counts inline): (items in the present CPUs' buckets, of
        them in cross-domain buckets), or None where a ``ucb_cnt`` is absurd."""
        members = [(member == "uc_crossbucket", batch.per_group("sum", runs, cnt),
                    batch.per_group("min", runs, cnt),
                    batch.per_group("gt", runs, cnt, entries) if entries else [False] * count)
                   for member, cnt, entries in self.cpu_buckets]
        free = []
        for g in range(count):
            total = cross = 0
            for is_cross, counts, lows, over in members:
                if lows[g] is not None and (lows[g] < 0 or over[g]):
                    free.append(None)
                    break
                total += counts[g]
                cross += counts[g] if is_cross else 0
            else:
                free.append((total, cross))
        return free

    def _cpu_free(self, caches, zone_addr):
        """(items in the present CPUs' buckets, of them in cross-domain buckets): inline
        counts (13+) or bucket headers (<= 12, no cross-domain buckets)."""
        if not self.inline_buckets:
            columns = [(member, caches.records.column(*cnt), None)
                       for member, cnt, _ in self.cpu_buckets]
            return self._cpu_bucket_headers(columns, zone_addr), 0
        if caches.free is None:
            self._raise_absurd_count(caches.records, zone_addr)
        return caches.free

    def _raise_absurd_count(self, caches, zone_addr):
        """Name the first absurd ``ucb_cnt`` in CPU order, then member order."""
        columns = [(member, caches.column(*cnt), caches.column(*entries) if entries else None)
                   for member, cnt, entries in self.cpu_buckets]
        for i, cpu in enumerate(self.cpus.present):
            for member, counts, limits in columns:
                checked_count(counts[i], limits[i] if limits is not None else None,
                               f"{CACHE}.{member} of CPU {cpu} in zone at {zone_addr:#x}: ucb_cnt")

    def _cpu_bucket_headers(self, columns, zone_addr):
        """Before 13 each per-CPU bucket is a pointer to a ``struct uma_bucket``: read each
        non-NULL one (CPU order, then member order, so a fault names the same bucket)."""
        present = self.cpus.present
        buckets = sorted((i, m, pointers[i])
                         for m, (_, pointers, _) in enumerate(columns)
                         for i in compress(range(len(pointers)), pointers))
        total = 0
        for i, m, addr in buckets:
            count = self._sane_bucket_count(addr)
            if count is None:       # read again where it fails, to name the bucket
                count = self._bucket_count(
                    addr, f"{CACHE}.{columns[m][0]} of CPU {present[i]} in zone at {zone_addr:#x}")
            total += count
        return total

    def _sane_bucket_count(self, addr):
        """``ub_cnt`` of the bucket header at ``addr``, or None when it cannot be read or is
        absurd (``_bucket_count`` then raises what is wrong).  Tens of thousands per walk on
        64 CPUs before 13: no record and no message built for the ones that are fine."""
        if misaligned(self.target, self.bucket, addr):
            return None
        try:
            values = self.bucket_values(self.target.read(addr, self.bucket.size))
        except MemoryFault:
            return None
        cnt, entries = values.ub_cnt, values.ub_entries
        return None if cnt is None or absurd_count(cnt, entries) else cnt

    def _bucket_count(self, addr, what):
        rec = read_record(self.target, self.bucket, addr, f"struct uma_bucket ({what})")
        return bucket_count(rec, what)

    def _bucket_list(self, head, what):
        return sum(bucket_count(b, f"on {what}")
                   for b in list_foreach(self.target, head, self.bucket, "ub_link", what,
                                         MAX_BUCKETS))

    def _zone_free(self, z, zv, name):
        """(items in the zone's cache of full buckets and, 13+ in the true view, ``uzd_cross``;
        of them in ``uzd_cross``)."""
        kind = self.bucket_kind
        if kind in (probes.FULL_BUCKET_LIST, probes.BUCKET_LIST):
            return self._bucket_list(z.field_addr(kind), f'zone "{name}" {kind}'), 0
        if kind == probes.DOMAIN_POINTER:
            base = zv.uz_domain
            if not base:
                return 0, 0
        else:   # ZDOM_GET: the domains follow uz_cpu[mp_maxid + 1] in the zone's allocation
            data = self._domains.pop(z.addr, None)
            if data is not None and not any(self._dom_heads(data)):
                return 0, 0      # no bucket on any domain
            base = z.addr + self.off_cpu + self.cpu_bytes
        total = cross = 0
        for d, dom in enumerate(read_array(self.target, self.zdom, base, self.ndomains,
                                           what=f"struct uma_zone_domain[{self.ndomains}] of "
                                                f'zone "{name}"')):
            total += self._bucket_list(dom.field_addr("uzd_buckets"),
                                       f'zone "{name}" domain {d} uzd_buckets')
            if self.view.counts_cross_bucket() and dom.has("uzd_cross") and dom.ptr("uzd_cross"):
                cross += self._bucket_count(dom.ptr("uzd_cross"), f'zone "{name}" uzd_cross')
        return total + cross, cross

    def _keg_free(self, keg, kv, first):
        """The keg's free slab items if the view credits them to this zone, else 0."""
        if not self.view.keg_free_counted(kv.uk_flags, first, self.keg_domains):
            return 0
        if self.keg_domains:
            data = read_bytes(self.target, keg.addr + self.off_uk_domain,
                              self.ndomains * self.udom.size,
                              f"{KEG}.uk_domain[{self.ndomains}] at {keg.addr:#x}")
            return sum(self.ud_free_items(data))
        return kv.uk_free


def absurd_count(cnt, entries):
    """A bucket count no bucket can hold: negative, or above its capacity (``entries``, None
    where the era has none)."""
    return cnt < 0 or (entries is not None and cnt > entries)


def checked_count(cnt, entries, what):
    """A bucket count, refused when absurd (``absurd_count``)."""
    if absurd_count(cnt, entries):
        raise CorruptionError(f"{what} = {cnt} is absurd"
                              + (f" (bucket holds {entries})" if entries is not None else ""))
    return cnt


def bucket_count(bucket, what):
    """``ub_cnt`` of a ``struct uma_bucket`` record, checked against ``ub_entries`` where the
    era has it.  :param what: where the bucket was found, for the error."""
    entries = bucket.int("ub_entries") if bucket.has("ub_entries") else None
    return checked_count(bucket.int("ub_cnt"), entries,
                         f"{what}: struct uma_bucket at {bucket.addr:#x}: ub_cnt")
