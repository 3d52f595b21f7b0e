"""The item index: every UMA slab and item of a kernel, and where each free item sits.

Built once per target (``item_index``) from bulk reads: the keg and zone lists, one read per slab
header (``slabs.py``), one read of each zone's ``uz_cpu[]`` and one of each bucket's item array.
It answers two questions without further reads of the slabs:

* ``lookup(addr)``: what an address is: a UMA item (start or interior; keg, zones, slab, index,
  allocated or free and where the free item sits), an in-page slab header, a malloc(9) large
  allocation (<= 12: found through its ``UMA_SLAB_MALLOC`` header, an allocated item of "UMA
  Slabs"; 13+ records them only in ``struct vm_page``, which is not read), a keg or zone that is
  no item (the statically allocated boot ones), a kernel symbol, or unknown;
* ``zone_items(zones)``: every item of the zones' kegs in slab order with its state.

Free items sit in the keg's slabs (``where`` "keg"), in a CPU's alloc/free/cross bucket, or in a
zone (domain) bucket cache (``uz_full_bucket``, ``uz_buckets``, ``uzd_buckets``, 13+
``uzd_cross``).  Allocated items have ``where`` None.  Reachability scans reuse the index
(``slabs`` in address order, ``slab_at``, ``item_of``, ``state_of``).

A core never changes, so its index is kept in ``target.cache``; a live target's index is built
for each command, because the kernel may have run since.
"""

import bisect
from array import array
from dataclasses import dataclass
from itertools import compress
from typing import Dict, List, Optional, Tuple

from ..kernel.cpus import read_cpu_info
from ..kernel.memory import PAGE_SIZE, read_symbol_int
from ..kernel.queue import list_foreach
from ..kernel.strided import Strided, cpu_runs
from ..access import read_cstring, target_cache
from ..access.errors import CorruptionError, KmemdbgError, MemoryFault
from ..access.pagecache import read_uncached
from ..access.record import read_array, read_record
from . import probes
from .kmem_limit import kmem_limit
from .probes import CACHE, ZONE
from .slabs import Slab, SlabDecoder
from ..report.items import KEYS
from .uma import (MAX_BUCKETS, ROW_ERRORS, UMA_ZFLAG_INTERNAL, bucket_count,
                  for_each_cache_zone, for_each_keg, for_each_zone, read_ndomains)

KINDS = ("uma-item", "uma-slab-header", "uma-structure", "malloc-large", "kernel-symbol",
         "unknown")
WHERE = ("keg", "cpu-alloc-bucket", "cpu-free-bucket", "cpu-cross-bucket", "zone-cache")
_CPU_BUCKETS = (("uc_allocbucket", "cpu-alloc-bucket"), ("uc_freebucket", "cpu-free-bucket"),
                ("uc_crossbucket", "cpu-cross-bucket"))
_CACHE_KEY = "items:index"


def record(address, kind, **values):
    """One answer with every key of the JSON contract (None where not applicable)."""
    rec = dict.fromkeys(KEYS)
    rec.update(address=address, kind=kind, **values)
    return rec


@dataclass(frozen=True)
class Keg:
    """A keg with its zones (primary first) and slabs."""

    geo: object                       # slabs.KegGeometry
    zones: Tuple[Tuple[int, str], ...]
    slabs: Tuple[Slab, ...]

    @property
    def name(self):
        return self.zones[0][1] if self.zones else f"<keg {self.geo.addr:#x}>"


@dataclass(frozen=True)
class Place:
    """Where a free item outside its slab sits."""

    where: str
    cpu: Optional[int]
    zone: str


def item_index(target):
    """The ``ItemIndex`` of ``target``: cached for a core, rebuilt for each command run on a
    live target (kept in its ``run_memo``, so one command builds it once)."""
    live = getattr(target, "is_live", False)
    cache = getattr(target, "run_memo", None) if live else target_cache(target)
    if cache is None:
        return ItemIndex(target)
    if _CACHE_KEY not in cache:
        cache[_CACHE_KEY] = ItemIndex(target)
    index = cache[_CACHE_KEY]
    index.target = target     # this run's page cache; the last run's pages are let go
    return index


class ItemIndex:
    """Sorted slab spans of every keg, free-item places, large allocations, UMA structures."""

    def __init__(self, target):
        t = self.target = target
        self.warnings: List[str] = []
        self.decoder = SlabDecoder(t)
        self.cpus = read_cpu_info(t)
        self.ndomains = read_ndomains(t)
        self.kegs: Dict[int, Keg] = {}
        self.zones: Dict[int, Tuple[str, int]] = {}      # zone address -> (name, keg address)
        self.places = _Places()
        self._structs = []                                # (start, end, note)
        self._walk_kegs()
        spans = self._slab_spans()
        self._starts = [d for d, _ in spans]
        self.slabs = tuple(s for _, s in spans)
        self._headers = {s.hdr_start: s for _, s in spans if not s.inpage}
        self._structs.sort()
        self._struct_starts = [s[0] for s in self._structs]
        _BucketReader(self).read_all()
        self.places.seal(self.warnings)
        self.large_indexed = probes.malloc_large_has_slab_header(t)
        self.large = self._find_large()
        self._large_starts = [a for a, _, _ in self.large]
        self._large_headers = {h: (a, n) for a, n, h in self.large}
        self._malloc_sizes = None
        self._malloc_notes = {}
        self._keg_facts = {}      # keg address -> (its zones' names, its items' note): _keg

    # --- building ------------------------------------------------------------------------

    def _walk_kegs(self):
        t = self.target
        zone_size = (t.layout(ZONE).offset("uz_cpu") + (self.cpus.maxid + 1) *
                     t.layout(CACHE).size)
        keg_size = t.layout(probes.KEG).size
        if self.decoder.per_domain:
            keg_size += self.ndomains * self.decoder.udom.size
        try:
            for keg in for_each_keg(t):
                zones = []
                try:
                    for z in for_each_zone(t, keg):
                        try:
                            name = read_cstring(t, z.ptr("uz_name"))
                        except MemoryFault:
                            name = f"<zone {z.addr:#x}>"
                            self.warnings.append(f"zone at {z.addr:#x}: uz_name unreadable")
                        zones.append((z.addr, name))
                        self.zones[z.addr] = (name, keg.addr)
                        self._structs.append((z.addr, z.addr + zone_size,
                                              f"struct uma_zone '{name}'"))
                except ROW_ERRORS as e:
                    self.warnings.append(f"zones of keg at {keg.addr:#x}: {e}")
                internal = bool(keg.int("uk_flags") & UMA_ZFLAG_INTERNAL)
                geo = self.decoder.geometry(keg, internal)
                name = zones[0][1] if zones else f"<keg {keg.addr:#x}>"
                self._structs.append((keg.addr, keg.addr + keg_size, f"struct uma_keg '{name}'"))
                problem = geo.problem()
                if problem:
                    self.warnings.append(f"keg '{name}' at {keg.addr:#x}: {problem}: no slabs "
                                         "read")
                    slabs = ()
                else:
                    slabs = self.decoder.walk(geo, keg, self.ndomains, f"keg '{name}'",
                                              self.warnings)
                self.kegs[keg.addr] = Keg(geo, tuple(zones), slabs)
        except ROW_ERRORS as e:
            self.warnings.append(f"uma_kegs: {e}")

    def _slab_spans(self):
        """``(data address, slab)`` of every slab, by address.  Damage can put one slab's pages
        on the lists of two kegs (a list head pointing into another keg's list, a corrupt
        ``us_data``): the slab whose header checks out is kept, the other named."""
        by_data = {}
        for keg in self.kegs.values():
            for slab in keg.slabs:
                if slab.data % PAGE_SIZE:
                    continue
                other = by_data.setdefault(slab.data, slab)
                if other is slab:
                    continue
                keep, drop = (slab, other) if other.problem and not slab.problem else (other, slab)
                by_data[slab.data] = keep
                self.warnings.append(f"slab {drop.header:#x} of keg {drop.keg:#x} claims the "
                                     f"items at {slab.data:#x} of slab {keep.header:#x} of keg "
                                     f"{keep.keg:#x}: ignored")
        return sorted(by_data.items())

    def _find_large(self):
        """malloc(9) large allocations through their headers: allocated "UMA Slabs" items
        flagged ``UMA_SLAB_MALLOC`` (<= 12).  One read per slab of that keg."""
        found = []
        if not self.large_indexed:
            return found
        hsize = self.decoder.large_header_size()
        top = 1 << (8 * self.target.pointer_size)
        most, what = kmem_limit(self.target)
        if not most or most < 0:     # no limit to hold it to: the address space
            most, what = top, None
        for keg in self._slab_header_kegs():
            g = keg.geo
            for slab in keg.slabs:
                if slab.free is None:
                    continue
                try:
                    data = read_uncached(self.target, slab.data, g.ipers * g.rsize)
                except MemoryFault as e:
                    self.warnings.append(f"keg '{keg.name}' slab {slab.header:#x}: items: {e}")
                    continue
                for i in range(g.ipers):
                    item = slab.data + i * g.rsize
                    if i in slab.free or self.places.get(item) is not None:
                        continue
                    big = self.decoder.large(data[i * g.rsize:i * g.rsize + hsize], item)
                    if big is None:
                        continue
                    if big[1] > most or big[0] + big[1] >= top:
                        self.warnings.append(
                            f"malloc(9) large allocation at {big[0]:#x} (slab header {item:#x}): "
                            f"us_size {big[1]} is more than "
                            + (f"kmem holds ({what} {most})" if what else "the address space")
                            + ": ignored")
                        continue
                    found.append((big[0], big[1], item))
        found.sort()
        return found

    def _slab_header_kegs(self):
        """The keg of ``slabzone`` ("UMA Slabs", <= 12), where uma_large_malloc takes headers;
        by the zone's name when the static pointer is not in the debug info."""
        try:
            zone = read_symbol_int(self.target, "slabzone")
            return [self.kegs[self.zones[zone][1]]] if zone in self.zones else []
        except KmemdbgError:
            return [k for k in self.kegs.values() if any(n == "UMA Slabs" for _, n in k.zones)]

    # --- lookups -------------------------------------------------------------------------

    def slab_at(self, addr) -> Optional[Slab]:
        """The slab whose pages contain ``addr``, or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            s = self.slabs[i]
            if addr < s.data + self.kegs[s.keg].geo.span:
                return s
        return None

    def item_of(self, slab, addr):
        """``(index, item start)`` of the item of ``slab`` containing ``addr``, or None.

        A per-CPU (UMA_ZONE_PCPU) slab holds one page per CPU with a copy of every item; the
        item is its CPU 0 copy (the pointer uma_zalloc_pcpu returns), whatever copy ``addr``
        is in, so its offset includes the CPU's page."""
        g = self.kegs[slab.keg].geo
        off = addr - slab.data
        if g.per_cpu_pages:
            off %= PAGE_SIZE
        idx = off // g.rsize
        if idx >= g.ipers:
            return None
        return idx, slab.data + idx * g.rsize

    def state_of(self, slab, idx, item, placed=None):
        """``(state, Place or None)`` of item ``idx`` of ``slab`` (state None: slab damaged).

        :param placed: ``places.placed()`` of the slab, where the caller asks for all its items.
        """
        if slab.free is None:
            return None, None
        if idx in slab.free:
            return "free", None
        place = (self.places if placed is None else placed).get(item)
        return ("free", place) if place is not None else ("allocated", None)

    def item_record(self, addr, slab, idx):
        """The record of ``addr``, in item ``idx`` of ``slab``."""
        return next(self._slab_records(slab, ((addr, idx),)))

    def _slab_records(self, slab, addresses, state=None):
        """The records of ``addresses`` (``(address, item index)`` pairs) in ``slab``, those
        in ``state`` only if given.

        What the slab's items share (their keg's facts, the places of its free items outside
        it, the UMA structures among them) is worked out once, and each record is a copy of
        one template: a zone's listing makes 64,512 of them.
        """
        keg = self.kegs[slab.keg]
        g = keg.geo
        names, keg_note = self._keg(keg)
        end = slab.data + g.span
        placed = self.places.placed(slab.data, end)
        starts = self._struct_starts
        structs = {start: note for start, _, note in
                   self._structs[bisect.bisect_left(starts, slab.data):
                                 bisect.bisect_left(starts, end)]}
        headers, large_headers = self._headers, self._large_headers
        template = record(0, "uma-item", keg=g.addr, zone=keg.name, slab=slab.header,
                          size=g.size, rsize=g.rsize, domain=slab.domain, note=keg_note)
        for addr, idx in addresses:
            item = slab.data + idx * g.rsize
            st, place = self.state_of(slab, idx, item, placed)
            if state is not None and st != state:
                continue
            rec = template.copy()
            rec["address"], rec["zones"], rec["item"] = addr, list(names), item
            rec["index"], rec["offset"], rec["state"] = idx, addr - item, st
            if place is not None:
                rec["zone"], rec["where"], rec["cpu"] = place.zone, place.where, place.cpu
            elif st == "free":
                rec["where"] = "keg"
            if item in structs:
                rec["note"] = structs[item]
            elif item in headers or item in large_headers:
                rec["note"] = self._header_note(item)
            yield rec

    def lookup(self, addr):
        """What ``addr`` is, as a ``record``."""
        i = bisect.bisect_right(self._large_starts, addr) - 1
        if i >= 0 and addr < self.large[i][0] + self.large[i][1]:
            start, size, header = self.large[i]
            return record(addr, "malloc-large", slab=header, item=start, offset=addr - start,
                          size=size, state="allocated",
                          note=f"malloc(9) large allocation, {size} bytes")
        slab = self.slab_at(addr)
        if slab is not None:
            found = self.item_of(slab, addr)
            if found is not None:
                return self.item_record(addr, slab, found[0])
            keg = self.kegs[slab.keg]
            if slab.inpage and slab.hdr_start <= addr < slab.hdr_start + slab.hdr_size:
                return record(addr, "uma-slab-header", keg=keg.geo.addr, zone=keg.name,
                              zones=[n for _, n in keg.zones], slab=slab.header,
                              item=slab.hdr_start, offset=addr - slab.hdr_start,
                              size=slab.hdr_size, domain=slab.domain,
                              note=f"in-page slab header of keg '{keg.name}'")
            return record(addr, "unknown", keg=keg.geo.addr, zone=keg.name, slab=slab.header,
                          note=f"unused space in a slab of keg '{keg.name}'")
        j = bisect.bisect_right(self._struct_starts, addr) - 1
        if j >= 0 and addr < self._structs[j][1]:
            start, end, note = self._structs[j]
            sym = self._symbolize(start)
            return record(addr, "uma-structure", item=start, offset=addr - start,
                          size=end - start, symbol=sym.name if sym else None,
                          note=note + (" (statically allocated)" if sym else " (not a UMA item)"))
        sym = self._symbolize(addr)
        if sym is not None:
            return record(addr, "kernel-symbol", item=sym.address, offset=addr - sym.address,
                          size=sym.size, symbol=sym.name,
                          note=f"in {sym.module}" if sym.module else None)
        return record(addr, "unknown", note=self._unknown_note(addr))

    def _symbolize(self, addr):
        try:
            return self.target.symbolize(addr)
        except KmemdbgError:
            return None

    def _unknown_note(self, addr):
        if addr == 0:
            return "NULL"
        try:
            self.target.read(addr, 1)
        except MemoryFault:
            return "unmapped (not in the core)"
        if not self.large_indexed:
            return ("mapped, in no slab or symbol; malloc(9) large allocations of this era "
                    "are recorded only in struct vm_page, which kmemdbg does not read")
        return "mapped, but in no slab, large allocation or symbol known to kmemdbg"

    def _header_note(self, item):
        """What an item that is a slab header (of a keg's off-page slab or of a malloc(9)
        large allocation) holds."""
        if item in self._headers:
            owner = self.kegs[self._headers[item].keg].name
            return f"off-page slab header of keg '{owner}'"
        start, size = self._large_headers[item]
        return f"slab header of a malloc(9) large allocation at {start:#x} ({size} bytes)"

    def _keg(self, keg):
        """``(names of the keg's zones, the note of its items)``, worked out once per keg (a
        zone's listing asks for every item)."""
        facts = self._keg_facts.get(keg.geo.addr)
        if facts is None:
            names = tuple(n for _, n in keg.zones)
            facts = self._keg_facts[keg.geo.addr] = (names, self._keg_note(names))
        return facts

    def _keg_note(self, names):
        if names and names[0].endswith(" Bucket"):
            return "struct uma_bucket"
        size = self._malloc_zone_size(names)
        if size is None:
            return None
        if size not in self._malloc_notes:
            types = self._malloc_types_of(size)
            self._malloc_notes[size] = (f"malloc(9), {size} bytes; types that use this size: "
                                        f"{', '.join(types) or 'none recorded'} "
                                        "(FreeBSD keeps no type per item)")
        return self._malloc_notes[size]

    def _malloc_zone_size(self, names):
        if self._malloc_sizes is None:
            from .kmemzones import read_malloc_zones
            self._malloc_sizes = {z["name"]: z["size"] for z in read_malloc_zones(self.target)}
        for n in names:
            if n in self._malloc_sizes:
                return self._malloc_sizes[n]
        return None

    def _malloc_types_of(self, size):
        cache = target_cache(self.target) if not getattr(self.target, "is_live", False) else {}
        if "items:malloc-types" not in cache:
            from .malloc import malloc_type_stats
            try:
                cache["items:malloc-types"] = [(t.name, t.sizes or ()) for t in
                                               malloc_type_stats(self.target).types]
            except KmemdbgError as e:
                self.warnings.append(f"malloc types: {e}")
                cache["items:malloc-types"] = []
        return sorted(n for n, sizes in cache["items:malloc-types"] if size in sizes)

    # --- zones ---------------------------------------------------------------------------

    def find_zone(self, name):
        """Addresses of the zones named ``name`` on kegs (walk order)."""
        return [a for a, (n, _) in self.zones.items() if n == name]

    def slabs_of(self, zone_addrs):
        """The slabs of the kegs of ``zone_addrs`` (a name can be several zones: 15's
        MALLOC_DEBUG_MAXZONES kernels have eight "malloc-16"), in address order."""
        kegs = {self.zones[z][1] for z in zone_addrs}
        return [s for s in self.slabs if s.keg in kegs]

    def zone_items(self, zone_addrs, state=None):
        """Every item of the zones' kegs (only those in ``state`` if given), in slab (address)
        order, as records."""
        for slab in self.slabs_of(zone_addrs):
            g = self.kegs[slab.keg].geo
            yield from self._slab_records(
                slab, ((slab.data + idx * g.rsize, idx) for idx in range(g.ipers)), state)


class _Places:
    """Where free items outside their slabs sit: item addresses in a sorted ``array('Q')`` with
    the index of their ``Place`` beside them (12 bytes an item instead of a dict entry's ~80;
    a 256-CPU kernel holds a million items in buckets)."""

    def __init__(self):
        self._items, self._pids = array("Q"), array("I")
        self._places, self._whats = [], []

    def add_place(self, place, what):
        self._places.append(place)
        self._whats.append(what)
        return len(self._places) - 1

    def add(self, item, pid):
        self._items.append(item)
        self._pids.append(pid)

    def seal(self, warnings):
        """Sort by item; an item found in two buckets keeps its first place, with a warning
        (one per pair of buckets: a bucket pointer damaged into another bucket repeats all of
        its items)."""
        order = _stable_order(self._items)
        items, pids = array("Q"), array("I")
        repeated = {}     # (pid of the later bucket, pid of the first) -> the items in both
        for i in order:
            item, pid = self._items[i], self._pids[i]
            if items and items[-1] == item:
                repeated.setdefault((pid, pids[-1]), []).append(item)
                continue
            items.append(item)
            pids.append(pid)
        for (pid, first_pid), both in repeated.items():
            first = self._places[first_pid]
            where = f"{first.where} of zone '{first.zone}'"
            warnings.append(_one_warning(self._whats[pid], both,
                                         lambda item: f"item {item} is also in {where}",
                                         f"items are also in {where}"))
        self._items, self._pids, self._whats = items, pids, None

    def get(self, item):
        """The ``Place`` of ``item``, or None."""
        i = bisect.bisect_left(self._items, item)
        if i < len(self._items) and self._items[i] == item:
            return self._places[self._pids[i]]
        return None

    def placed(self, start, end):
        """``{item: Place}`` of the items with a place in ``[start, end)`` (a slab's)."""
        items, pids, places = self._items, self._pids, self._places
        return {items[i]: places[pids[i]]
                for i in range(bisect.bisect_left(items, start), bisect.bisect_left(items, end))}

    def __len__(self):
        return len(self._items)


def _stable_order(values):
    """Indexes of ``values`` (an ``array('Q')``) in ascending, stable order: numpy's argsort
    when numpy is installed (a million items in a few milliseconds), else ``sorted``."""
    try:
        import numpy
    except ImportError:
        return sorted(range(len(values)), key=values.__getitem__)
    return numpy.frombuffer(values, dtype=numpy.uint64).argsort(kind="stable").tolist()


class _BucketReader:
    """Fills ``index.places`` from every zone's per-CPU buckets and bucket cache."""

    def __init__(self, index):
        self.index = index
        t = self.target = index.target
        self.ps, self.order = t.pointer_size, t.byteorder
        self.bucket = t.layout("struct uma_bucket")
        self.items_off = self.bucket.offset("ub_bucket")
        self.cache = t.layout(CACHE)
        self.inline = probes.cache_bucket_is_struct(t)
        if self.inline:
            ucb = t.layout(self.cache.field("uc_allocbucket").type.name or "struct uma_cache_bucket")
            self.ucb_bucket, self.ucb_cnt = ucb.offset("ucb_bucket"), ucb.offset("ucb_cnt")
            self.cnt_size = ucb.field("ucb_cnt").type.size
        self.kind = probes.zone_bucket_cache_kind(t)
        self.off_cpu = t.layout(ZONE).offset("uz_cpu")
        self.runs = cpu_runs(index.cpus.present)
        if self.kind in (probes.DOMAIN_POINTER, probes.DOMAINS_AFTER_CPUS):
            self.zdom = t.layout("struct uma_zone_domain")

    def read_all(self):
        idx = self.index
        for keg in idx.kegs.values():
            if keg.geo.internal:
                continue      # UMA never caches its internal zones' items
            for zaddr, name in keg.zones:
                try:
                    z = read_record(self.target, self.target.layout(ZONE), zaddr,
                                    f"struct uma_zone '{name}'")
                    self._cpu_buckets(z, name, keg)
                    self._zone_cache(z, name, keg)
                except ROW_ERRORS as e:
                    idx.warnings.append(f"zone '{name}' buckets: {e}")
        # Cache-only zones (10+, e.g. mbuf_packet) hold other kegs' items in their buckets.
        try:
            for z in for_each_cache_zone(self.target):
                try:
                    name = read_cstring(self.target, z.ptr("uz_name"))
                except MemoryFault:          # the zone's buckets still count; name it by address
                    name = f"<zone {z.addr:#x}>"
                    idx.warnings.append(f"cache zone at {z.addr:#x}: uz_name unreadable")
                try:
                    self._cpu_buckets(z, name, None)
                    self._zone_cache(z, name, None)
                except ROW_ERRORS as e:
                    idx.warnings.append(f"cache zone '{name}' buckets: {e}")
        except ROW_ERRORS as e:
            idx.warnings.append(f"uma_cachezones: {e}")

    def _place(self, items, place, keg, what):
        """Record ``place`` for each bucket item; an item that is no item start of this keg
        (``keg`` None, a cache-only zone: of any keg), is also free in its slab, or sits in two
        buckets is named in a warning (one per bucket and kind of damage: a damaged bucket
        has hundreds of such entries)."""
        idx = self.index
        places = idx.places
        pid = places.add_place(place, what)
        owner = f"keg '{keg.name}'" if keg is not None else "any keg"
        foreign, also_free = [], []
        slab, lo, hi = None, 1, 0
        for item in items:
            if not lo <= item < hi:        # a bucket's items mostly share slabs
                slab = idx.slab_at(item)
                if slab is None or keg is not None and slab.keg != keg.geo.addr:
                    foreign.append(item)
                    slab, lo, hi = None, 1, 0
                    continue
                g = idx.kegs[slab.keg].geo
                lo, hi = slab.data, slab.data + g.span
            n, rest = divmod(item - lo, g.rsize)
            if rest or n >= g.ipers:
                foreign.append(item)
                continue
            if slab.free is not None and n in slab.free:
                also_free.append(item)
            places.add(item, pid)
        if foreign:
            idx.warnings.append(_one_warning(what, foreign,
                                             lambda item: f"{item} is no item of {owner}",
                                             f"entries are no item of {owner}"))
        if also_free:
            idx.warnings.append(_one_warning(what, also_free,
                                             lambda item: f"item {item} is also free in its slab",
                                             "items are also free in their slabs"))

    def _bucket_items(self, addr, count, what):
        """The first ``count`` item pointers of the bucket at ``addr`` (one read)."""
        if count < 0 or count > 1 << 16:
            raise CorruptionError(f"{what}: bucket {addr:#x} count {count} is absurd")
        if not count:
            return []
        data = self.target.read(addr + self.items_off, count * self.ps)
        return Strided(data, self.ps, self.order).column(0, self.ps, False, ((0, count - 1),))

    def _bucket(self, addr, what):
        rec = read_record(self.target, self.bucket, addr, f"struct uma_bucket ({what})")
        return self._bucket_items(addr, bucket_count(rec, what), what)

    def _cpu_buckets(self, z, name, keg):
        """Every present CPU's buckets: ``uz_cpu[]`` in one read, its bucket columns sliced at
        C speed (kernel/strided.py), then one read per non-empty bucket."""
        present = self.index.cpus.present
        n = self.index.cpus.maxid + 1
        data = self.target.read(z.addr + self.off_cpu, n * self.cache.size)
        caches = Strided(data, self.cache.size, self.order).records(self.runs)
        for member, where in _CPU_BUCKETS:
            if not self.cache.has(member):
                continue
            off = self.cache.offset(member)
            if self.inline:
                buckets = caches.column(off + self.ucb_bucket, self.ps)
                counts = caches.column(off + self.ucb_cnt, self.cnt_size, True)
            else:
                buckets = caches.column(off, self.ps)
                counts = None
            for i in compress(range(len(buckets)), buckets):
                cpu = present[i]
                what = f"zone '{name}' CPU {cpu} {member}"
                try:
                    items = (self._bucket_items(buckets[i], counts[i], what) if self.inline
                             else self._bucket(buckets[i], what))
                except ROW_ERRORS as e:       # one bucket lost; the other CPUs' still count
                    self.index.warnings.append(str(e))   # names the bucket
                    continue
                self._place(items, Place(where, cpu, name), keg, what)

    def _zone_cache(self, z, name, keg):
        place = Place("zone-cache", None, name)
        if self.kind in (probes.FULL_BUCKET_LIST, probes.BUCKET_LIST):
            self._bucket_list(z.field_addr(self.kind), f"zone '{name}' {self.kind}", place, keg)
            return
        if self.kind == probes.DOMAIN_POINTER:
            base = z.ptr("uz_domain")
            if not base:
                return
        else:
            base = z.addr + self.off_cpu + (self.index.cpus.maxid + 1) * self.cache.size
        n = self.index.ndomains
        for d, dom in enumerate(read_array(self.target, self.zdom, base, n,
                                           what=f"struct uma_zone_domain[{n}] of zone '{name}'")):
            self._bucket_list(dom.field_addr("uzd_buckets"),
                              f"zone '{name}' domain {d} uzd_buckets", place, keg)
            if dom.has("uzd_cross") and dom.ptr("uzd_cross"):
                what = f"zone '{name}' domain {d} uzd_cross"
                try:
                    self._place(self._bucket(dom.ptr("uzd_cross"), what), place, keg, what)
                except ROW_ERRORS as e:
                    self.index.warnings.append(str(e))   # names the bucket

    def _bucket_list(self, head, what, place, keg):
        """One cache list; a bucket that cannot be read ends the list (its link is in it)."""
        try:
            for b in list_foreach(self.target, head, self.bucket, "ub_link", what, MAX_BUCKETS):
                items = self._bucket_items(b.addr, bucket_count(b, what), what)
                self._place(items, place, keg, what)
        except ROW_ERRORS as e:
            self.index.warnings.append(str(e))   # names the bucket


def _one_warning(what, addresses, one, many, shown=3):
    """One warning for the damaged entries ``addresses`` of ``what``: ``one(address)`` for a
    single one, else their count, ``many``, and the first ``shown`` of them."""
    if len(addresses) == 1:
        return f"{what}: {one(f'{addresses[0]:#x}')}"
    first = ", ".join(f"{a:#x}" for a in addresses[:shown])
    rest = f" and {len(addresses) - shown} more" if len(addresses) > shown else ""
    return f"{what}: {len(addresses)} {many} ({first}{rest})"
