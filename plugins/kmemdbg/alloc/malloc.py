"""malloc(9) types: walk of ``kmemstatistics`` and per-type statistics, as plain data.

Mirrors ``sys/sys/malloc.h`` (``struct malloc_type``, ``malloc_type_internal``,
``malloc_type_stats``) and ``kmemzones[]`` of ``sys/kern/kern_malloc.c``; where the true view
and libmemstat's ``memstat_kvm_malloc()`` differ, the walk asks its view (``views.py``).

Where the per-CPU statistics are (``probes.malloc_stats_kind``):

* 6.x-11.x: ``ks_handle`` -> ``struct malloc_type_internal`` holding ``mti_stats[MAXCPU]``;
  the view says how many slots are summed.
* 12.x: ``ks_handle`` -> internal struct whose ``mti_stats`` is a per-CPU (zpcpu) pointer.
* 13.0+: the internal struct is embedded as ``ks_mti``; a view may skip types by ``ks_version``.
Per-CPU (12+) sums run over the view's ``summed_cpus``.
"""

import functools
from dataclasses import dataclass
from typing import NamedTuple, Optional, Tuple

from ..kernel.cpus import CpuInfo, read_cpu_info
from ..kernel.memory import read_pointer
from ..kernel.queue import entry_views
from ..kernel.strided import Strided, cpu_runs
from ..kernel.zpcpu import Zpcpu
from ..access import per_run, read_cstring, viewer
from ..access.errors import CorruptionError, MemoryFault, SymbolNotFound, TypeNotFound
from ..access.layout import member_unpacker
from ..access.record import read_record
from . import probes, views
from .kmemzones import read_kmemzones
from .kmem_limit import kmem_limit
from .probes import MALLOC_TYPE
from .rows import ROW_ERRORS

MAX_TYPES = 100000
STATS = "struct malloc_type_stats"
_SUMMED = ("mts_memalloced", "mts_memfreed", "mts_numallocs", "mts_numfrees")


class MallocTypeStats(NamedTuple):
    """One malloc type; ``None`` cells could not be read (see ``issues``); a named tuple, as
    ``ZoneStats`` is.

    :param memory_use: bytes allocated minus bytes freed (vmstat prints KiB).
    :param size_mask: OR of every CPU's ``mts_size`` (bit i = ``kmemzones[i]`` was used).
    :param sizes: ``kmemzones[i].kz_size`` for each set bit, ascending.
    """

    name: str
    address: int
    in_use: Optional[int]
    memory_use: Optional[int]
    requests: Optional[int]
    frees: Optional[int]
    size_mask: Optional[int]
    sizes: Optional[Tuple[int, ...]]
    issues: Tuple[str, ...] = ()


@dataclass(frozen=True)
class MallocReport:
    types: Tuple[MallocTypeStats, ...]    # walk order: newest type first
    warnings: Tuple[str, ...]
    cpus: CpuInfo
    stats_kind: str
    notes: Tuple[str, ...] = ()    # what vmstat does too (types it skips), not read failures

    @functools.cached_property
    def by_use(self):
        """The types by memory use, largest first (unknown as 0, ties in walk order): sorted
        once per walk for the summary's top list and each malloc zone's types."""
        return sorted(self.types, key=lambda m: -(m.memory_use or 0))

    @functools.cached_property
    def by_size(self):
        """``{size: [types whose sizes include it, by use as in by_use]}``: each malloc zone asks
        for its size's types (a few dozen zones, thousands of types), in the account and the
        summary of one walk."""
        by_size = {}
        for m in self.by_use:
            for size in dict.fromkeys(m.sizes or ()):
                by_size.setdefault(size, []).append(m)
        return by_size


def _malloc_type_views(target):
    """``(address, buffer, offset)`` of every ``struct malloc_type`` on ``kmemstatistics``
    (``entry_views``)."""
    first = read_pointer(target, target.symbol_address("kmemstatistics"), "kmemstatistics")
    return entry_views(target, first, target.layout(MALLOC_TYPE), "ks_next", "kmemstatistics",
                       MAX_TYPES)


def read_zone_sizes(target):
    """``kmemzones[i].kz_size`` for every entry (terminator included as 0): bit i of mts_size."""
    return tuple(size for size, _ in read_kmemzones(target))


@per_run
def malloc_type_stats(target, view=views.TRUE):
    """Walk ``kmemstatistics`` and compute every type's statistics in ``view``.

    :param view: ``views.TRUE`` or ``views.KVM``.
    :raises SymbolNotFound, TypeNotFound, FieldNotFound, UnsupportedLayout, CorruptionError:
    """
    reader = _TypeReader(target, view)
    walked, warnings, notes = [], list(reader.warnings), list(reader.notes)
    try:
        found = reader.walk(walked, notes)
    except ROW_ERRORS as e:
        warnings.append(f"kmemstatistics: {e}")
    else:
        if not found:     # kern_malloc.c's own types (M_TEMP, M_DEVBUF, ...) exist from boot on
            warnings.append(f"kmemstatistics at {target.symbol_address('kmemstatistics'):#x} is "
                            "empty, but every kernel has static malloc types (a damaged list head)")
    reader.prefetch(walked)
    types = reader.type_rows(walked)
    read = [t for t in types if t.requests is not None]
    if read and not any(t.requests for t in read):     # a kernel that booted has malloc'ed
        warnings.append(f"all {len(read)} malloc types on kmemstatistics read zero requests: "
                        f"their statistics ({reader.kind}) are damaged")
    return MallocReport(tuple(types), tuple(warnings), reader.cpus, reader.kind, tuple(notes))


class _TypeReader:
    def __init__(self, target, view):
        t = self.target = target
        self.view = view
        self.cpus = read_cpu_info(t)
        self.kind = probes.malloc_stats_kind(t)
        self.mt = t.layout(MALLOC_TYPE)
        self.stats = t.layout(STATS)
        self.version, why = view.malloc_version(t)
        self.summed = [self._column(member) for member in _SUMMED]
        self.size_column = self._column("mts_size")
        self.warnings = list(self.cpus.warnings) + ([why] if why else [])
        self.kmem_limit = kmem_limit(t)     # (bytes, global): no type holds more (_implausible)
        self.notes = []
        self._mask_sizes = {}     # mts_size mask -> (sizes, issues): _sizes
        self._totals = {}         # statistics base -> (sums, [mts_size mask]): prefetch
        self._handle_bases = {}   # 12.x: malloc type address -> statistics base: prefetch
        try:
            self.zone_sizes = read_zone_sizes(t)
        except (SymbolNotFound, TypeNotFound, MemoryFault, CorruptionError) as e:
            self.zone_sizes = ()
            self.notes.append(f"kmemzones: {e}; sizes shown as 16 << bit, as vmstat before 14 does")
        if self.kind == probes.STATS_EMBEDDED_PCPU:
            mti = t.layout(self.mt.field("ks_mti").type.name or "struct malloc_type_internal")
            stats_ptr = (self.mt.offset("ks_mti") + mti.offset("mti_stats"), t.pointer_size,
                         False)
        else:
            self.mti = t.layout("struct malloc_type_internal")
            stats_ptr = self._member("ks_handle")
        members = {"name": self._member("ks_shortdesc"), "stats": stats_ptr}
        if self.version is not None:
            members["version"] = self._member("ks_version")
        order = sorted(members, key=lambda m: members[m][0])
        self._unpack = member_unpacker([members[m] for m in order], t.byteorder)
        self._positions = [order.index(m) if m in members else None
                           for m in ("name", "stats", "version")]
        if self.kind == probes.STATS_ARRAY:
            arr = self.mti.field("mti_stats").type
            self.slots = view.malloc_slots(arr.length or 0, self.cpus)
            self.slot_runs = cpu_runs(range(self.slots))
        else:
            self.zpcpu = Zpcpu(t, self.cpus)
            self.pcpu_cpus, self.absent_ok = view.summed_cpus(self.cpus)

    def _column(self, member):
        """``(offset, size, signed)`` of a ``struct malloc_type_stats`` member."""
        f = self.stats.field(member)
        return f.offset, f.type.size, f.type.signed

    def _member(self, name):
        """``(offset, size, signed)`` of an integer or pointer member of ``struct malloc_type``."""
        start, end, signed, _, _ = self.mt.int_member(name)
        return start, end - start, signed

    def walk(self, walked, notes):
        """Append to ``walked`` what the walk keeps of each type on ``kmemstatistics``, a plain
        tuple (thousands per walk): ``(address, name, statistics pointer, ks_version, issues)``,
        and to ``notes`` why a type the view leaves out is skipped; return how many types the
        list holds.

        Each type's members come from one ``struct`` call on the cached page, its name from a
        search of the cached page (``viewer``), read once: the skip note and the row both use
        it.  The pointer is ``ks_mti.mti_stats`` from 13, ``ks_handle`` before; ``ks_version``
        is None when the view filters nothing.
        """
        t, unpack, view = self.target, self._unpack, viewer(self.target)
        at_name, at_stats, at_version = self._positions
        found = 0
        for addr, buffer, offset in _malloc_type_views(t):
            found += 1
            values = unpack(buffer, offset)
            issues = []
            try:
                name = read_cstring(t, values[at_name], view=view)
            except ROW_ERRORS as e:
                issues.append(f"ks_shortdesc: {e}")
                name = f"<malloc_type {addr:#x}>"
            mt = (addr, name, values[at_stats],
                  None if at_version is None else values[at_version], issues)
            reason = at_version is not None and self.skip_reason(mt)
            if reason:
                notes.append(reason)
            else:
                walked.append(mt)
        return found

    def skip_reason(self, mt):
        """Why a view with a ``version`` leaves the type ``mt`` (``walk``) out (a foreign
        ``ks_version``), or ``None``."""
        addr, name, _, version, _ = mt
        if version != self.version:
            return (f'malloc type "{name}" at {addr:#x}: ks_version {version} is not the '
                    f"kernel's {self.version}; skipped as vmstat does")
        return None

    def type_rows(self, walked):
        """The statistics of every walked type (``walk``; each one's issues: what reading its
        name found), in walk order: one loop for thousands of types, its lookups made once."""
        totals, mask_sizes, stats = self._totals, self._mask_sizes, MallocTypeStats
        limit = self.kmem_limit[0] or 1 << 64
        handle_bases = self._handle_bases if self.kind == probes.STATS_HANDLE_PCPU else None
        rows = []
        for mt in walked:
            addr, name, pointer, _, issues = mt
            if handle_bases is not None:
                pointer = handle_bases.get(addr)
            try:
                sums, (mask,) = totals.get(pointer) or self._sum(mt)
            except ROW_ERRORS as e:
                issues.append(str(e))
                rows.append(stats(name, addr, None, None, None, None, None, None, tuple(issues)))
                continue
            memalloced, memfreed, numallocs, numfrees = sums
            in_use, memory_use = numallocs - numfrees, memalloced - memfreed
            if in_use < 0 or memory_use < 0:
                in_use, memory_use = self._negative(addr, name, sums, issues)
            if numallocs > memalloced or memalloced - memfreed > limit:
                self._implausible(addr, name, sums, issues)
            sizes, missing = mask_sizes.get(mask) or self._sizes(mask)
            if missing:
                issues.extend(missing)
            rows.append(stats(name, addr, in_use, memory_use, numallocs, numfrees, mask, sizes,
                              tuple(issues)))
        return rows

    def _negative(self, addr, name, sums, issues):
        """InUse and MemUse of a type whose frees sum above its allocations, and why.

        Every CPU's statistics are updated together in a critical section, so a negative sum
        is damage: the true view marks it unknown, the kvm view keeps vmstat's wrapped number.
        """
        memalloced, memfreed, numallocs, numfrees = sums
        in_use = self.view.difference(numallocs, numfrees)
        memory_use = self.view.difference(memalloced, memfreed)
        if numfrees > numallocs:
            issues.append(f'allocations in use of malloc type "{name}" at {addr:#x} are '
                          f"negative ({numallocs - numfrees}): "
                          f"mts_numfrees {numfrees} > mts_numallocs {numallocs} over the CPUs")
            in_use = None if in_use < 0 else in_use
        if memfreed > memalloced:
            issues.append(f'memory use of malloc type "{name}" at {addr:#x} is negative '
                          f"({memalloced - memfreed}): "
                          f"mts_memfreed {memfreed} > mts_memalloced {memalloced} over the CPUs")
            memory_use = None if memory_use < 0 else memory_use
        return in_use, memory_use

    def _implausible(self, addr, name, sums, issues):
        """Why statistics that no kernel keeps are damage (the numbers are still shown, as
        vmstat shows them).

        Every allocation adds its size, at least a byte, to ``mts_memalloced`` as it counts
        itself in ``mts_numallocs`` (``malloc_type_zone_allocated`` counts none of size 0), and
        no type holds more than kmem may (``uma_kmem_limit``/``vm_kmem_size``).
        """
        memalloced, memfreed, numallocs, _ = sums
        if numallocs > memalloced:
            issues.append(f'malloc type "{name}" at {addr:#x} counts {numallocs} allocations in '
                          f"{memalloced} bytes (mts_numallocs > mts_memalloced over the CPUs): "
                          "every allocation adds at least a byte")
        limit, source = self.kmem_limit
        if limit and memalloced - memfreed > limit:
            issues.append(f'memory use of malloc type "{name}" at {addr:#x} '
                          f"({memalloced - memfreed} bytes) is above the kmem limit {limit} "
                          f"({source})")

    def _sizes(self, mask):
        """``(sizes, issues)``: the sizes of ``mask``'s bits, and the bits without a
        ``kmemzones[]`` entry named in one issue (a damaged mask sets dozens; worked out once
        per distinct mask: types share a few)."""
        sizes, missing = [], []
        for bit in range(mask.bit_length()):
            if mask >> bit & 1:
                if bit < len(self.zone_sizes) and self.zone_sizes[bit] > 0:
                    sizes.append(self.zone_sizes[bit])
                else:
                    if self.zone_sizes:
                        missing.append(str(bit))
                    sizes.append(16 << bit)
        issues = ()
        if missing:
            issues = (f"mts_size bit {missing[0]} has no kmemzones[] entry" if len(missing) == 1
                      else f"mts_size bits {', '.join(missing)} have no kmemzones[] entry",)
        self._mask_sizes[mask] = known = (tuple(sizes), issues)
        return known

    def prefetch(self, mts):
        """The per-CPU statistics (12+) of the walked types ``mts`` totalled block by block
        (``Zpcpu.prefetch``: each block read once, for every type whose statistics it holds)."""
        if self.kind == probes.STATS_ARRAY:
            return
        if self.kind == probes.STATS_EMBEDDED_PCPU:     # the pointers are in the walked bytes
            bases = [stats for _, _, stats, _, _ in mts if stats]
        else:
            for mt in mts:
                try:
                    self._handle_bases[mt[0]] = self._stats_base(mt)
                except ROW_ERRORS:      # the type's row will say so
                    continue
            bases = list(self._handle_bases.values())
        self._totals = self.zpcpu.prefetch(bases, self.pcpu_cpus, self.absent_ok,
                                           self.stats.size, self.summed, (self.size_column,))

    def _stats_base(self, mt):
        """The per-CPU (zpcpu) ``struct malloc_type_stats`` of a walked 12+ type (``walk``)."""
        addr, _, base, _, _ = mt
        if self.kind == probes.STATS_HANDLE_PCPU:     # base is ks_handle
            mti = read_record(self.target, self.mti, base,
                              f"struct malloc_type_internal of malloc type at {addr:#x}")
            base = mti.ptr("mti_stats")
        if not base:
            raise CorruptionError(f"malloc type at {addr:#x}: mti_stats is NULL")
        return base

    def _sum(self, mt):
        """The summed members and (the OR of ``mts_size``,) over the CPUs (or array slots), as
        ``Zpcpu.prefetch`` has them."""
        if self.kind == probes.STATS_ARRAY:
            stats = self._array_stats(mt)
        else:     # not prefetched: a CPU's copy is unreadable, the statistics cross a page,
                  # or their pointer could not be read (raised again here, for the row)
            stats = self.zpcpu.copies(self._stats_base(mt), self.stats.size, self.pcpu_cpus,
                                      self.absent_ok, f"mti_stats of malloc type at {mt[0]:#x}")
        return stats.sums(self.summed), (stats.bit_or(*self.size_column),)

    def _array_stats(self, mt):
        """Every slot of ``mti_stats[MAXCPU]`` (before 12) the view sums, as strided columns, of
        a walked type (``walk``)."""
        t, size = self.target, self.stats.size
        type_addr, _, handle, _, _ = mt
        addr = handle + self.mti.offset("mti_stats")
        what = f"mti_stats[{self.slots}] of malloc type at {type_addr:#x}"
        try:
            data = t.read(addr, size * self.slots)
        except MemoryFault as e:
            raise MemoryFault(addr, size * self.slots, what) from e
        return Strided(data, size, t.byteorder).records(self.slot_runs)
