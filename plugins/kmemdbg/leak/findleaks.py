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

from collections import Counter, defaultdict
from dataclasses import dataclass
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


def allocated_items(index):
    """``(Items, rows)``: every allocated item of the index in address order; ``rows[i]`` is
    ``(zone name or None, size, reported)``."""
    headers = {s.hdr_start for s in index.slabs if not s.inpage}
    headers.update(hdr for _, _, hdr in index.large)
    found = []
    for slab in index.slabs:
        keg = index.kegs[slab.keg]
        g = keg.geo
        if slab.free is None:
            continue                # a damaged slab: the index warned
        own = g.internal or bool(g.flags & UMA_ZFLAG_BUCKET)
        report = not own and not g.flags & UMA_ZONE_PCPU
        follow = not g.flags & UMA_ZFLAG_BUCKET
        for i in range(g.ipers):
            item = slab.data + i * g.rsize
            if i in slab.free or index.places.get(item) is not None:
                continue
            found.append((item, item + g.size, follow and item not in headers,
                          (keg.name, g.size, report)))
    for addr, size, _ in index.large:
        found.append((addr, addr + size, True, (None, size, True)))
    found.sort()
    items = Items([f[0] for f in found], [f[1] for f in found], [f[2] for f in found])
    return items, [f[3] for f in found]


def reachability(target, index):
    """``(items, rows, ReachResult, warnings)`` of the index's allocated items; kept with the
    index on a core (it never changes), computed again for each command on a live target."""
    cache = {} if getattr(target, "is_live", False) else target_cache(target)
    key = ("findleaks:reach", id(index))
    if cache.get(key, (None,))[0] is not index:
        items, rows = allocated_items(index)
        sources, warnings = scan_sources(target)
        cache[key] = (index, (items, rows, scan(target, items, sources), warnings))
    return cache[key][1]


def find_leaks(target, index, zone=None, size=None, samples=4) -> LeakReport:
    """The unreached reportable items, grouped by zone and size, biggest first."""
    items, rows, result, warnings = reachability(target, index)
    groups = defaultdict(list)
    candidates = 0
    for i, (z, sz, report) in enumerate(rows):
        if not report or (zone is not None and z != zone) or (size is not None and sz != size):
            continue
        candidates += 1
        if not result.reached(i):
            groups[(z, sz)].append(items.starts[i])
    types = _malloc_types(target)
    out = [LeakGroup(z, sz, len(a), len(a) * sz, tuple(a[:samples]),
                     types.get(z, ()) if z is not None else (), _signature(index, a))
           for (z, sz), a in groups.items()]
    out.sort(key=lambda g: (-g.bytes, g.zone or "", g.size))
    return LeakReport(tuple(out), candidates, result.stats,
                      tuple(list(index.warnings) + warnings + result.warnings))



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
