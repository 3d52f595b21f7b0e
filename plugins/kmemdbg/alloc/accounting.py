"""Where the kernel's memory went: one reconciled account of UMA, malloc(9) and the kmem limit.

vmstat -m and vmstat -z overlap (malloc(9) is served by the "16".."65536" / "malloc-N" zones),
free items sit in per-CPU buckets, bucket caches and keg slabs, slabs waste space, and large
malloc(9) allocations bypass the zones.  This module splits the pages UMA holds into exact
categories, each counted once:

    keg pages x PAGE_SIZE = items in use (malloc zones | UMA's own | other zones)
                          + free items (per-CPU buckets | bucket caches | keg slabs)
                          + slab and page overhead (headers, rounding, unused slab tails)

then adds malloc(9) large allocations and cache-only zones, and sets the sum against the
kernel's own kmem accounting (``uma_kmem_total``, or the kmem_map's size), stating any remainder
as unexplained rather than hiding it.
"""

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..kernel.memory import PAGE_SIZE, read_pointer, read_symbol_int_or_none
from ..access.errors import KmemdbgError
from ..access.record import read_record
from .kmemzones import read_malloc_zones
from .kmem_limit import kmem_limit
from .malloc import malloc_type_stats
from .rows import row_issues
from .uma import UMA_ZFLAG_INTERNAL, keg_domain_pages, read_ndomains, uma_zone_stats

BUCKET_ZONE = re.compile(r"^\d+ Bucket$")
# UMA_ZFLAG_BUCKET moved between releases (0x02000000 in 8.x, 0x10000000 from 10.x); bucket zones
# are recognised by their "N Bucket" names instead, which every era uses.

# Categories, in display order.
MALLOC_SMALL = "malloc(9) small, in malloc zones"
MALLOC_LARGE = "malloc(9) large, outside zones"
ZONE_ITEMS = "UMA items in use, other zones"
UMA_OWN = "UMA's own structures (kegs, zones, slabs, hash, buckets)"
FREE_CPU = "UMA free items: per-CPU buckets"
FREE_ZONE = "UMA free items: zone/domain bucket caches"
FREE_KEG = "UMA free items: keg slabs"
OVERHEAD = "UMA slab and page overhead"
CACHE_ONLY = "UMA cache-only zones (items and free)"
CATEGORIES = (MALLOC_SMALL, MALLOC_LARGE, ZONE_ITEMS, UMA_OWN, FREE_CPU, FREE_ZONE, FREE_KEG,
              OVERHEAD, CACHE_ONLY)


@dataclass
class KegPages:
    address: int
    size: int
    pages: int
    flags: int


@dataclass
class KmemAccount:
    categories: Dict[str, int]
    kmem_limit: Optional[int]
    kmem_limit_source: Optional[str]
    kmem_in_use: Optional[int]
    kmem_in_use_source: Optional[str]
    warnings: List[str] = field(default_factory=list)
    # zones with cells that could not be read (e.g. a bucket on a page a minidump left out):
    # [{"zone", "address", "missing": [parts]}]; what they hold is in OVERHEAD
    unreadable: List[dict] = field(default_factory=list)
    # category -> {zone or keg name: bytes}: what each category is made of (report treemap, bars).
    parts: Dict[str, Dict[str, int]] = field(default_factory=dict)

    @property
    def accounted(self):
        return sum(self.categories.values())

    @property
    def remainder(self):
        return None if self.kmem_in_use is None else self.kmem_in_use - self.accounted


def read_kegs(target, walked, warnings):
    """The pages of the keg records ``walked`` (the zone walk's: a damaged ``uma_kegs`` is
    named among its warnings), a warning for each keg whose pages cannot be read: ``uk_pages``
    (to 12.x) or the sum of ``uk_domain[d].ud_pages`` (13+)."""
    if not walked:
        return []
    ndomains = read_ndomains(target)
    values = walked[0].layout.unpacker(("uk_size", "uk_flags", "uk_pages"), target.byteorder)
    kegs = []
    for k in walked:
        v = values(k.data)
        try:
            held = v.uk_pages if v.uk_pages is not None else \
                keg_domain_pages(target, k, ndomains)
        except KmemdbgError as e:
            warnings.append(f"keg {k.addr:#x}: {e}")
            continue
        kegs.append(KegPages(k.addr, v.uk_size, held, v.uk_flags))
    return kegs


def kmem_totals(target):
    """(limit, its source, in use, its source, address in use was read at) as the era accounts
    kmem.

    12+ keeps ``uma_kmem_limit``/``uma_kmem_total`` (bytes UMA and large malloc hold); 10.x-11.x
    allocate kmem from the ``kmem_arena`` vmem (``vm_inuse`` of ``vm_size``); earlier kernels
    from the ``kmem_map`` of ``vm_kmem_size`` bytes, whose ``size`` member is what is mapped in it
    now (``vm.kmem_map_size``).  The first that the kernel has wins.
    """
    limit, limit_src = kmem_limit(target)
    for src, read in (("uma_kmem_total", lambda: _global(target, "uma_kmem_total")),
                      ("kmem_arena->vm_inuse", lambda: _member(target, "kmem_arena", "struct vmem",
                                                               "vm_inuse")),
                      ("kmem_map->size", lambda: _member(target, "kmem_map", "struct vm_map",
                                                         "size"))):
        used, addr = read()
        if used is not None:
            return limit, limit_src, used, src, addr
    return limit, limit_src, None, None, None


def _global(target, name):
    """``(value, address)`` of an integer global, or ``(None, None)``."""
    value = read_symbol_int_or_none(target, name)
    return (value, target.symbol_address(name)) if value is not None else (None, None)


def _member(target, pointer_name, type_name, member):
    """``(pointer_name->member, its address)`` for a global pointer to ``type_name``, or
    ``(None, None)``."""
    try:
        addr = read_pointer(target, target.symbol_address(pointer_name), pointer_name)
        rec = read_record(target, target.layout(type_name), addr)
        return rec.int(member), rec.field_addr(member)
    except KmemdbgError:
        return None, None


def malloc_zone_shares(zone_bytes, size, types):
    """Bytes of a malloc zone that certainly belong to each malloc type using it.

    A type counts its allocations of every size in one total, so its bytes in one zone are not
    recorded; but they are at most ``min(memory_use, size * in_use)``, and the zone's bytes in
    use are the sum over the types that used its size.  What the other types cannot hold is
    therefore this type's: ``zone_bytes - sum of the others' upper bounds``.  One type alone in
    a zone gets all of it.

    :param types: ``MallocTypeStats`` of the types whose ``sizes`` include ``size``.
    :return: ``[(type name, bytes)]`` for the types with a positive share, largest first.
    """
    upper = {m.name: min(m.memory_use or 0, size * (m.in_use or 0))
             if m.memory_use is not None and m.in_use is not None else zone_bytes for m in types}
    total = sum(upper.values())
    shares = [(m.name, zone_bytes - (total - upper[m.name])) for m in types]
    return sorted(((n, b) for n, b in shares if b > 0), key=lambda t: (-t[1], t[0]))


def kmem_account(target, zones=None, mtypes=None, malloc_zones=None):
    """Compute the reconciled account.

    :param zones: an ``UmaReport`` in the true view (walked here when not given).
    :param mtypes: a ``MallocReport`` in the true view.
    :param malloc_zones: ``[{"name", "size"}]`` from ``kmemzones``.
    """
    zones = zones or uma_zone_stats(target)
    mtypes = mtypes or malloc_type_stats(target)
    malloc_zones = malloc_zones if malloc_zones is not None else read_malloc_zones(target)
    warnings = (list(zones.warnings) + list(mtypes.warnings) + row_issues(zones.zones)
                + row_issues(mtypes.types))
    kegs = read_kegs(target, zones.kegs, warnings)
    internal = {k.address for k in kegs if k.flags & UMA_ZFLAG_INTERNAL}
    msizes = {z["name"]: z["size"] for z in malloc_zones}
    cat = dict.fromkeys(CATEGORIES, 0)
    parts = {c: {} for c in CATEGORIES}

    def add(category, name, nbytes):
        cat[category] += nbytes
        if nbytes:
            parts[category][name] = parts[category].get(name, 0) + nbytes

    items_by_keg = {}
    unreadable = []
    for z in zones.zones:
        used, fc, fz, fk = z.used, z.free_cpu, z.free_zone, z.free_keg
        if used is None or fc is None or fz is None or fk is None:
            unreadable.append({"zone": z.name, "address": z.address, "missing": [
                part for part, v in (("used", used), ("free-cpu", fc), ("free-zone", fz),
                                     ("free-keg", fk)) if v is None]})
            used, fc, fz, fk = used or 0, fc or 0, fz or 0, fk or 0
        size = z.size or 0
        if z.cache_only or not z.keg:
            add(CACHE_ONLY, z.name, (used + fc + fz + fk) * size)
            continue
        items_by_keg[z.keg] = items_by_keg.get(z.keg, 0) + used + fc + fz + fk
        if z.name in msizes:
            add(MALLOC_SMALL, z.name, used * size)
        elif z.keg in internal or BUCKET_ZONE.match(z.name):
            add(UMA_OWN, z.name, used * size)
        else:
            add(ZONE_ITEMS, z.name, used * size)
        add(FREE_CPU, z.name, fc * size)
        add(FREE_ZONE, z.name, fz * size)
        add(FREE_KEG, z.name, fk * size)
    keg_names = {}                          # a keg by the name of its first zone
    for z in zones.zones:
        keg_names.setdefault(z.keg, z.name)
    for k in kegs:
        add(OVERHEAD, keg_names.get(k.address, f"keg {k.address:#x}"),
            k.pages * PAGE_SIZE - items_by_keg.get(k.address, 0) * k.size)
    malloc_bytes = sum(m.memory_use or 0 for m in mtypes.types)
    cat[MALLOC_LARGE] = max(malloc_bytes - cat[MALLOC_SMALL], 0)
    short = _malloc_zones_beyond_types(zones.zones, mtypes, msizes)
    warnings.extend(short)
    if malloc_bytes < cat[MALLOC_SMALL] and not short:
        warnings.append(f"malloc types account for {malloc_bytes} bytes, less than the "
                        f"{cat[MALLOC_SMALL]} bytes in use in the malloc zones "
                        f"({_largest_malloc_zones(zones.zones, msizes)})")
    limit, limit_src, used, used_src, used_addr = kmem_totals(target)
    if used is not None and limit and used > ABSURD_KMEM * limit:
        warnings.append(f"{used_src} = {used} at {used_addr:#x} is absurd: more than "
                        f"{ABSURD_KMEM}x the kmem limit {limit} ({limit_src}); kmem in use not shown")
        used = None
    return KmemAccount(cat, limit, limit_src, used, used_src, warnings, unreadable, parts)


ABSURD_KMEM = 2     # kmem in use stays within its limit (allocations beyond it fail or panic)


def _malloc_zones_beyond_types(zones, mtypes, msizes):
    """Malloc zones holding more bytes than every malloc type that uses their size could have
    put there: each type's ``mts_size`` bit for a zone is set on its first allocation of that
    size, so the types with the bit bound the zone's use from above.  Skipped when a type's
    numbers are unknown.  A MALLOC_DEBUG_MAXZONES kernel spreads the types of a size over
    several zones of one name: those are held against the bound together."""
    if any(m.memory_use is None or m.sizes is None for m in mtypes.types):
        return []
    by_name = {}
    for z in zones:
        if z.name in msizes and z.used is not None:
            by_name.setdefault(z.name, []).append(z)
    found = []
    for name, same in by_name.items():
        size = msizes[name]
        held = sum(z.used for z in same) * size
        bound = sum(m.memory_use for m in mtypes.by_size.get(size, ()))
        if held > bound:
            where = ", ".join(f"{z.address:#x}" for z in same)
            found.append(f"malloc types account for {bound} bytes of size {size}, less than the "
                         f'{held} bytes in use in malloc zone "{name}" at {where} '
                         f"({sum(z.used for z in same)} items)")
    return found


def _largest_malloc_zones(zones, msizes, n=3):
    """``"malloc-64" 12345 bytes, ...``: where to look first."""
    held = sorted(((z.used or 0) * msizes[z.name], z.name) for z in zones if z.name in msizes)
    return ", ".join(f'"{name}" {b} bytes' for b, name in reversed(held[-n:]))
