"""Leak candidates: the allocated items no source reaches (the model of kmem-findleaks).

The item index (``alloc/items.py``) gives every allocated item: UMA items in use (not free in
their slab, not sitting in a bucket) and malloc(9) large allocations where the index finds them.
The reachability scan (``reach.py``) runs over all of them from the kernel's roots
(``roots.py``).  Two kinds of items are scanned but never reported:

* UMA's own items (kegs, zones, slab headers, hash tables: internal kegs; buckets), which the
  kernel reaches through structures the scan may not follow; and
* per-CPU items (``UMA_ZONE_PCPU``: counter(9), malloc statistics), which 13+ kernels hold as
  zpcpu offsets from ``__pcpu``, not as pointers.

Slab headers and buckets are not followed either: a header points at item 0 of its slab and a
bucket at free items, neither of which the kernel holds through them.
"""

import bisect
import operator
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import islice
from typing import Optional, Tuple

from ..alloc.looks import classify
from ..access import target_cache
from ..access.errors import KmemdbgError, MemoryFault
from .reach import Items, ScanStats, scan
from .roots import scan_sources

UMA_ZONE_PCPU = 0x8000          # uk_flags: per-CPU items (uma.h, 10.x on)
UMA_ZFLAG_BUCKET = 0x10000000   # uk_flags: a bucket zone (uma_int.h, 12.x on)


@dataclass(frozen=True)
class LeakGroup:
    zone: Optional[str]          # None: malloc(9) large allocations
    size: int
    items: int
    bytes: int
    samples: Tuple[int, ...]
    types: Tuple[str, ...]       # malloc types that use this malloc zone (candidates)
    signature: Optional[dict]    # the commonest first words: {"word0", "word1", "share"}


@dataclass(frozen=True)
class LeakReport:
    groups: Tuple[LeakGroup, ...]
    candidates: int              # items that could have been reported
    stats: ScanStats
    warnings: Tuple[str, ...]
    unscanned_large: Optional[int] = 0   # bytes of malloc(9) large allocations not scanned
                                         # (13+: the index cannot find them); None: unknown


def allocated_items(index):
    """``(Items, rows)``: every allocated item of the index in address order; ``rows[i]`` is
    ``(zone name or None, size, reported)``, one tuple shared by a keg's items.

    Built slab by slab (a slab's items are in address order and slabs do not overlap), so a
    million items cost arrays of integers, not a million tuples; each slab is one of the
    items' runs (its slots, the free ones holes).  The runs are sorted by their first item and
    the result checked, with a full sort (and no runs) when damaged slabs overlap."""
    headers = {s.hdr_start for s in index.slabs if not s.inpage}
    headers.update(hdr for _, _, hdr in index.large)
    sorted_headers = sorted(headers)
    runs, shared = [], {}
    for slab in index.slabs:
        keg = index.kegs[slab.keg]
        g = keg.geo
        if slab.free is None:
            continue                # a damaged slab: the index warned
        own = g.internal or bool(g.flags & UMA_ZFLAG_BUCKET)
        report = not own and not g.flags & UMA_ZONE_PCPU
        follow = not g.flags & UMA_ZFLAG_BUCKET
        end = slab.data + g.ipers * g.rsize
        cached = index.places.placed(slab.data, end)
        if slab.free:
            starts = [slab.data + i * g.rsize for i in range(g.ipers) if i not in slab.free]
        else:
            starts = range(slab.data, end, g.rsize)
        if cached:
            starts = [a for a in starts if a not in cached]
        if starts:
            row = shared.setdefault((keg.name, g.size, report), (keg.name, g.size, report))
            runs.append((starts[0], starts, g.size, follow, row, (slab.data, g.rsize, g.ipers)))
    for addr, size, _ in index.large:
        runs.append((addr, [addr], size, True, (None, size, True), (addr, size, 1)))
    runs.sort(key=lambda r: r[0])
    starts, ends, scan_flags, rows = array("Q"), array("Q"), array("B"), []
    slots = tuple(array("Q") for _ in range(4))
    for first, run, size, follow, row, (data, stride, count) in runs:
        starts.extend(run)
        ends.extend(map(size.__add__, run))
        k = bisect.bisect_left(sorted_headers, first)
        if follow and k < len(sorted_headers) and sorted_headers[k] <= run[-1]:
            scan_flags.extend(a not in headers for a in run)    # a run of slab headers
        else:
            scan_flags.frombytes(bytes([follow]) * len(run))
        rows.extend([row] * len(run))
        for column, value in zip(slots, (data, stride, count, len(run))):
            column.append(value)
    if any(map(operator.ge, starts, islice(starts, 1, None))):
        order = sorted(range(len(starts)), key=starts.__getitem__)
        starts, ends = array("Q", (starts[i] for i in order)), array("Q", (ends[i] for i in order))
        scan_flags, rows = [scan_flags[i] for i in order], [rows[i] for i in order]
        slots = None
    return Items(starts, ends, scan_flags, slots), rows


def reachability(target, index):
    """``(items, rows, ReachResult, warnings)`` of the index's allocated items; kept with the
    index on a core (it never changes), computed again for each command run on a live target
    (kept in its ``run_memo``: kmem-holders ADDR and kmem-report scan once)."""
    live = getattr(target, "is_live", False)
    cache = getattr(target, "run_memo", {}) if live else target_cache(target)
    key = ("findleaks:reach", id(index))
    if cache.get(key, (None,))[0] is not index:
        items, rows = allocated_items(index)
        sources, warnings = scan_sources(target)
        cache[key] = (index, (items, rows, scan(target, items, sources), warnings))
    return cache[key][1]


def find_leaks(target, index, zone=None, size=None, samples=4) -> LeakReport:
    """The unreached reportable items, grouped by zone and size, biggest first."""
    items, rows, result, warnings = reachability(target, index)

    def wanted(row):
        z, sz, report = row
        return report and (zone is None or z == zone) and (size is None or sz == size)

    # rows share one tuple per keg: count them in C, then look at each kind once
    candidates = sum(n for row, n in Counter(rows).items() if wanted(row))
    groups = defaultdict(list)
    for i in result.unreached():
        if wanted(rows[i]):
            groups[rows[i][:2]].append(items.starts[i])
    types = _malloc_types(target)
    out = [LeakGroup(z, sz, len(a), len(a) * sz, tuple(a[:samples]),
                     types.get(z, ()) if z is not None else (), _signature(index, a))
           for (z, sz), a in groups.items()]
    out.sort(key=lambda g: (-g.bytes, g.zone or "", g.size))
    return LeakReport(tuple(out), candidates, result.stats,
                      tuple(list(index.warnings) + warnings + result.warnings),
                      _unscanned_large(target, index))


def _unscanned_large(target, index):
    """Bytes of the malloc(9) large allocations the index cannot find, so the scan neither
    reads nor lists them (kmem-summary's "malloc(9) large" share): 13+ records them only in
    their struct vm_page.  0 where the index finds them (<= 12); None when unknown."""
    if index.large_indexed:
        return 0
    from ..alloc.accounting import MALLOC_LARGE, kmem_account
    try:
        return kmem_account(target).categories[MALLOC_LARGE]
    except KmemdbgError:
        return None



SIGNATURE_ITEMS = 256           # leaked items of a group whose first words are classified


def _malloc_types(target):
    """``{malloc zone name: (malloc types that allocate from it, ...)}``."""
    from ..alloc.kmemzones import read_malloc_zones
    from ..alloc.malloc import malloc_type_stats
    try:
        types = [(t.name, t.sizes or ()) for t in malloc_type_stats(target).types]
    except KmemdbgError:
        return {}
    return {z["name"]: tuple(sorted(n for n, sizes in types if z["size"] in sizes))
            for z in read_malloc_zones(target)}


def _signature(index, addrs):
    """What the group's items look like (``uma-items --summary``'s words): the commonest
    pair of first words over up to SIGNATURE_ITEMS items, with its share."""
    t = index.target
    ps, symbols, counts = t.pointer_size, {}, Counter()
    for a in addrs[:SIGNATURE_ITEMS]:
        try:
            data = t.read(a, 2 * ps)
        except MemoryFault:
            continue
        counts[tuple(classify(index, int.from_bytes(data[i * ps:(i + 1) * ps], t.byteorder),
                              symbols) for i in range(2))] += 1
    if not counts:
        return None
    (w0, w1), n = counts.most_common(1)[0]
    return {"word0": w0, "word1": w1, "share": round(n / sum(counts.values()), 3)}
