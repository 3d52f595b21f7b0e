"""Slabs of a UMA keg: every slab on the keg's part/free/full lists, its header decoded once.

Mirrors the slab half of ``sys/vm/uma_int.h`` and ``uma_core.c`` of each era (see
``probes.slab_free_kind``): where a slab's items start (``us_data``, or 13+ ``slab - uk_pgoff``
for in-page headers and ``uhs_data`` for off-page ones), which items are free (6.x-9.x the
``us_firstfree``/``us_freelist[]`` index chain, 10+ the ``us_free`` bitset, set bit = free),
and the NUMA domain (12+ ``us_domain``).  One read per slab header, never per item.

A crash dump is where slabs are damaged: a header that cannot be read ends its list with a
warning; a header that reads but does not add up (a free chain leaving the slab, a bitset
claiming more free items than ``us_freecount`` or than the slab holds, ``us_keg`` pointing at
another keg) is kept with ``problem`` set and its item states unknown; cycles and absurd
lengths end the list.
"""

from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

from ..kernel.memory import PAGE_SIZE, read_pointer
from ..access.errors import MemoryFault, TypeNotFound
from ..access.pagecache import read_uncached
from . import probes
from .probes import KEG, SLAB

UMA_SLAB_MALLOC = 0x10       # us_flags of a malloc(9) large allocation's header (uma.h, <= 12)
UMA_ZONE_REFCNT = 0x400      # uk_flags, 6.x-9.x: the keg's slabs are struct uma_slab_refcnt
LISTS = ("part", "free", "full")
MAX_SLABS_PER_LIST = 1 << 22
HEADER_WINDOW = 16 << 10   # slab headers are read this many bytes at a time (see _header_bytes)


def geometry_problem(size, rsize, ipers, ppera):
    """What is wrong with a keg's ``uk_size``, ``uk_rsize``, ``uk_ipers`` and ``uk_ppera``, or
    None.  Every era lays ``uk_ipers`` items ``uk_rsize`` bytes apart (``uk_size`` rounded up to
    the alignment) inside the ``uk_ppera`` pages of a slab, so numbers that break that are a
    damaged keg: a ``uk_size`` of 0xffffffff made 4 GiB items, read and scanned."""
    if not ipers or not rsize or not ppera:
        return f"uk_ipers {ipers}, uk_rsize {rsize}, uk_ppera {ppera}"
    if size > rsize:
        return f"uk_size {size} exceeds uk_rsize {rsize}"
    if ipers * rsize > ppera * PAGE_SIZE:
        return (f"{ipers} items of {rsize} bytes (uk_ipers, uk_rsize) exceed the "
                f"{ppera * PAGE_SIZE}-byte slab (uk_ppera {ppera})")
    return None


@dataclass(frozen=True)
class KegGeometry:
    """What a keg says about its slabs (``uk_*``), read once per keg."""

    addr: int
    size: int
    rsize: int
    ipers: int
    ppera: int
    pgoff: int
    flags: int
    internal: bool

    @property
    def span(self):
        """Bytes of memory one slab covers (``uk_ppera`` pages)."""
        return self.ppera * PAGE_SIZE

    def problem(self):
        """Why the keg's slabs cannot be read, or None (``geometry_problem``)."""
        return geometry_problem(self.size, self.rsize, self.ipers, self.ppera)

    @property
    def per_cpu_pages(self):
        """A UMA_ZONE_PCPU keg: ``ppera`` pages, one copy of every item per CPU page."""
        return self.ppera > 1 and self.ipers * self.rsize <= PAGE_SIZE


@dataclass(frozen=True)
class Slab:
    """One slab.

    :param header: the ``struct uma_slab`` address the keg's list links (13+ off-page: the one
        inside ``struct uma_hash_slab``).
    :param hdr_start, hdr_size: the whole header structure as allocated (13+ off-page: the
        ``uma_hash_slab``), free list or bitset included.
    :param inpage: the header sits inside the slab's own pages.
    :param free: indexes of free items, ``None`` when the header does not add up (``problem``).
    """

    keg: int
    header: int
    hdr_start: int
    hdr_size: int
    data: int
    inpage: bool
    domain: Optional[int]
    list: str
    freecount: int
    flags: int
    free: Optional[FrozenSet[int]]
    problem: Optional[str] = None


class SlabDecoder:
    """Offsets of the era's slab header, from the debug info; decodes one header per read."""

    def __init__(self, target):
        t = self.target = target
        self.kind = probes.slab_free_kind(t)
        self.per_domain = probes.keg_slabs_per_domain(t)
        self.ps, self.order = t.pointer_size, t.byteorder
        self._window = (0, b"")     # _header_bytes: (address, bytes) of the last read
        slab = t.layout(SLAB)
        self.hash_off = 0
        if self.kind == probes.SLAB_FREELIST:
            head = t.layout("struct uma_slab_head")
            base = slab.offset("us_head")
            self.off = {m: base + head.offset(m) for m in
                        ("us_keg", "us_data", "us_flags", "us_freecount", "us_firstfree")}
            self.off["next"] = base + head.offset("us_type")
            self.sizes = {m: head.field(m).type.size for m in ("us_flags", "us_freecount",
                                                               "us_firstfree")}
            # UMA_ZONE_REFCNT kegs (mbuf clusters) use struct uma_slab_refcnt, whose free list
            # entries carry a reference count each.
            self.freelists = {False: _freelist(slab, head)}
            try:
                self.freelists[True] = _freelist(t.layout("struct uma_slab_refcnt"), head)
            except TypeNotFound:
                self.freelists[True] = self.freelists[False]
        else:
            members = [m for m in ("us_keg", "us_data", "us_flags", "us_freecount", "us_domain",
                                   "us_free") if slab.has(m)]
            self.off = {m: slab.offset(m) for m in members}
            self.sizes = {m: slab.field(m).type.size for m in members}
            self.off["next"] = slab.offset("us_type" if slab.has("us_type") else "us_link")
            if self.kind == probes.SLAB_BITSET_TRAILING:
                hs = t.layout("struct uma_hash_slab")
                self.hash_off = hs.offset("uhs_slab")
                self.uhs_data = hs.offset("uhs_data")
        self.keg = t.layout(KEG)
        if self.per_domain:
            self.udom = t.layout("struct uma_domain")

    # --- geometry --------------------------------------------------------------------------

    def geometry(self, keg, internal):
        """``KegGeometry`` from a ``struct uma_keg`` record."""
        return KegGeometry(keg.addr, keg.int("uk_size"), keg.int("uk_rsize"), keg.int("uk_ipers"),
                           keg.int("uk_ppera"), keg.int("uk_pgoff"), keg.int("uk_flags"),
                           internal)

    def _bitset_bytes(self, geo):
        if self.kind == probes.SLAB_BITSET:
            return self.sizes["us_free"]
        word = self.ps
        return -(-geo.ipers // (8 * word)) * word

    def _header_size(self, geo):
        if self.kind == probes.SLAB_FREELIST:
            _, _, size, fritm = self.freelists[bool(geo.flags & UMA_ZONE_REFCNT)]
            return size + fritm * max(geo.ipers - 1, 0)
        if self.kind == probes.SLAB_BITSET:
            return self.target.layout(SLAB).size
        return self.off["us_free"] + self._bitset_bytes(geo)

    # --- one header ------------------------------------------------------------------------

    def _int(self, data, member, base=0):
        off = self.off[member] + base
        size = self.sizes.get(member, self.ps)
        return int.from_bytes(data[off:off + size], self.order)

    def read(self, geo, addr, list_name):
        """Read and decode the slab header at ``addr``; returns ``(Slab, next pointer)``.

        :raises MemoryFault: the header cannot be read (its list cannot be followed).
        """
        size = self._header_size(geo)
        inpage = False
        start = addr
        if self.kind == probes.SLAB_BITSET_TRAILING:
            # In-page headers sit uk_pgoff bytes into the (page-aligned) slab; any other header
            # is the uhs_slab member of an off-page struct uma_hash_slab.
            inpage = geo.pgoff != 0 and (addr - geo.pgoff) % PAGE_SIZE == 0
            if not inpage:
                start = addr - self.hash_off
                size += self.hash_off
        try:
            data = self._header_bytes(start, size)
        except MemoryFault as e:
            raise MemoryFault(start, size, f"the header of {SLAB} {addr:#x} on keg {geo.addr:#x}"
                              f" {list_name} list") from e
        base = addr - start
        nxt = int.from_bytes(data[base + self.off["next"]:base + self.off["next"] + self.ps],
                             self.order)
        problems = []
        if self.kind == probes.SLAB_BITSET_TRAILING:
            items = (addr - geo.pgoff if inpage else
                     int.from_bytes(data[self.uhs_data:self.uhs_data + self.ps], self.order))
        else:
            items = self._int(data, "us_data")
            keg = self._int(data, "us_keg")
            if keg != geo.addr:
                problems.append(f"us_keg = {keg:#x}, not the keg")
            if geo.pgoff and items != addr - geo.pgoff:
                # an in-page header sits uk_pgoff bytes into its slab: where it is says where
                # the items are, whatever a damaged us_data says
                problems.append(f"us_data = {items:#x}, not the slab holding the header "
                                f"({addr - geo.pgoff:#x}, uk_pgoff {geo.pgoff})")
                items = addr - geo.pgoff
            inpage = items <= addr < items + geo.span
        freecount = self._int(data, "us_freecount", base)
        flags = self._int(data, "us_flags", base)
        domain = self._int(data, "us_domain", base) if "us_domain" in self.off else None
        free = self._free_set(data, base, geo, freecount, problems)
        if items % PAGE_SIZE:
            problems.append(f"items at {items:#x} are not page-aligned")
        expected = {"full": (0, 0), "free": (geo.ipers, geo.ipers), "part": (1, geo.ipers - 1)}
        lo, hi = expected[list_name]
        if not lo <= freecount <= hi:
            problems.append(f"us_freecount = {freecount} on the {list_name} list "
                            f"(uk_ipers {geo.ipers})")
        slab = Slab(geo.addr, addr, start, size, items, inpage, domain, list_name, freecount, flags,
                    None if problems else free, "; ".join(problems) or None)
        return slab, nxt

    def _header_bytes(self, start, size):
        """``size`` bytes at ``start`` from a window of HEADER_WINDOW bytes around them, kept
        until a header falls outside it: the slabs a keg allocated together lie side by side
        and often follow each other on its lists, so one read serves several headers (a read
        costs ~20 us in lldb, 300,000 slabs 6 s).  A window that faults falls back to the
        header alone."""
        at, data = self._window
        if at <= start and start + size <= at + len(data):
            return data[start - at:start - at + size]
        at = start - start % HEADER_WINDOW
        end = max(at + HEADER_WINDOW, start + size)
        try:
            data = read_uncached(self.target, at, end - at)
        except MemoryFault:
            at, data = start, read_uncached(self.target, start, size)
        self._window = (at, data)
        return data[start - at:start - at + size]

    def _free_set(self, data, base, geo, freecount, problems):
        """Free item indexes by the era's encoding; a problem is noted when it does not add up."""
        if self.kind == probes.SLAB_FREELIST:
            offset, stride, _, _ = self.freelists[bool(geo.flags & UMA_ZONE_REFCNT)]
            free, idx = set(), self._int(data, "us_firstfree")
            for _ in range(min(freecount, geo.ipers + 1)):
                if idx >= geo.ipers or idx in free:
                    problems.append(f"free list reaches item {idx} (uk_ipers {geo.ipers}, "
                                    f"{len(free)} of us_freecount {freecount} found)")
                    break
                free.add(idx)
                idx = data[offset + idx * stride]
            return frozenset(free)
        off = base + self.off["us_free"]
        raw = data[off:off + self._bitset_bytes(geo)]
        word = self.ps
        bits = 0
        for i in range(0, len(raw) - word + 1, word):
            bits |= int.from_bytes(raw[i:i + word], self.order) << (8 * i)
        claimed = bin(bits).count("1")
        free = frozenset(i for i in range(geo.ipers) if bits >> i & 1)
        if claimed != len(free) or claimed != freecount:
            problems.append(f"us_free bitset has {claimed} bits set, {len(free)} within uk_ipers "
                            f"{geo.ipers}, us_freecount {freecount}")
        return free

    def large(self, data, addr):
        """A ``UMA Slabs`` item that heads a malloc(9) large allocation (<= 12):
        ``(start, size)`` from ``us_data``/``us_size``, or None for any other header (only
        asked where ``probes.malloc_large_has_slab_header``)."""
        if not self._int(data, "us_flags") & UMA_SLAB_MALLOC:
            return None
        start, size = self._int(data, "us_data"), self._int(data, "next")
        if start % PAGE_SIZE or size <= 0 or size % PAGE_SIZE:
            return None
        return start, size

    def large_header_size(self):
        return max(self.off[m] + self.sizes.get(m, self.ps) for m in ("us_data", "us_flags", "next"))

    # --- a keg's lists ---------------------------------------------------------------------

    def list_heads(self, keg, ndomains):
        """``[(domain or None, list name, head address)]`` of every slab list of ``keg``."""
        if not self.per_domain:
            return [(None, name, keg.field_addr(f"uk_{name}_slab")) for name in LISTS]
        base, size = keg.field_addr("uk_domain"), self.udom.size
        return [(d, name, base + d * size + self.udom.offset(f"ud_{name}_slab"))
                for d in range(ndomains) for name in LISTS]

    def walk(self, geo, keg, ndomains, what, warnings) -> Tuple[Slab, ...]:
        """Every slab on ``keg``'s lists; damage ends a list with a warning naming it."""
        slabs, seen = [], set()
        for domain, name, head in self.list_heads(keg, ndomains):
            label = f"{what} {name} slab list" + (f" of domain {domain}" if domain is not None
                                                    else "")
            try:
                addr = read_pointer(self.target, head, label)
            except MemoryFault as e:
                warnings.append(f"{label}: {e}")
                continue
            prev = head
            while addr:
                if addr in seen:
                    warnings.append(f"{label}: cycle: slab {prev:#x} links back to {addr:#x}")
                    break
                if len(seen) >= MAX_SLABS_PER_LIST:
                    warnings.append(f"{label}: more than {MAX_SLABS_PER_LIST} slabs, giving up")
                    break
                seen.add(addr)
                try:
                    slab, nxt = self.read(geo, addr, name)
                except MemoryFault as e:
                    warnings.append(f"{label}: {e}")
                    break
                if slab.problem:
                    warnings.append(f"{label}: slab {addr:#x}: {slab.problem}")
                slabs.append(slab)
                prev, addr = addr, nxt
        return tuple(slabs)


def _freelist(slab, head):
    """``(offset, stride, sizeof, UMA_FRITM_SZ)`` of a 6.x-9.x slab type's ``us_freelist[]``.

    The kernel sizes an in-page header as sizeof(struct) plus UMA_FRITM_SZ (the struct's size
    beyond its head, padding included) per item after the first."""
    fl = slab.field("us_freelist")
    stride = fl.type.element.size if fl.type.element else 1
    return fl.offset, stride, slab.size, slab.size - head.size
