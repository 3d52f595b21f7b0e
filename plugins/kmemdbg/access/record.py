"""Bulk reads: one memory read per struct or array, members unpacked by offset.

Per-member debugger value access costs a round trip each; a zone with 256 per-CPU caches
would cost thousands.  ``read_record``/``read_array`` read the bytes once and ``Record``
unpacks members from them with the offsets of a ``StructLayout``.
"""

from .errors import MemoryFault, Misaligned
from .layout import StructLayout


class Record:
    """The bytes of one struct instance at ``addr`` with its layout."""

    __slots__ = ("layout", "data", "addr", "byteorder", "pointer_size")

    def __init__(self, layout: StructLayout, data: bytes, addr: int, byteorder="little",
                 pointer_size=8):
        self.layout = layout
        self.data = data
        self.addr = addr
        self.byteorder = byteorder
        self.pointer_size = pointer_size

    def has(self, name: str) -> bool:
        return self.layout.has(name)

    def field_addr(self, name: str) -> int:
        return self.addr + self.layout.offset(name)

    def raw(self, name: str) -> bytes:
        f = self.layout.field(name)
        return self.data[f.offset:f.offset + f.type.size]

    def int(self, name: str) -> int:
        """An integer, enum, bool or pointer member, by its declared size and signedness."""
        try:
            start, end, signed, bit_offset, bit_size = self.layout.int_members[name]
        except KeyError:     # the lookup above is the fast path; this one names what is wrong
            start, end, signed, bit_offset, bit_size = self.layout.int_member(name)
        raw = int.from_bytes(self.data[start:end], self.byteorder, signed=signed)
        if bit_size is not None:
            raw = (raw >> (bit_offset or 0)) & ((1 << bit_size) - 1)
        return raw

    ptr = int

    def sub(self, name: str, layout: StructLayout) -> "Record":
        """A nested struct member (e.g. ``uc_allocbucket`` in 13+, ``ks_mti``)."""
        off = self.layout.offset(name)
        return Record(layout, self.data[off:off + layout.size], self.addr + off, self.byteorder,
                      self.pointer_size)


def misaligned(target, layout, addr):
    """Whether ``addr`` cannot hold a ``layout`` (see ``StructLayout.holds_pointer``)."""
    return addr % target.pointer_size and layout.holds_pointer


def _check_aligned(target, layout, addr, what):
    if misaligned(target, layout, addr):
        raise Misaligned(what or layout.name, addr, target.pointer_size)


def read_bytes(target, addr: int, size: int, what: str) -> bytes:
    """``size`` bytes at ``addr`` in one read, a fault named by ``what`` (e.g. ``struct uma_keg
    0x...: uk_domain[2]``): an array whose members are unpacked as columns, not as Records."""
    try:
        return target.read(addr, size)
    except MemoryFault as e:
        raise MemoryFault(addr, size, what) from e


def read_record(target, layout: StructLayout, addr: int, what: str = None) -> Record:
    """Read one ``layout`` at ``addr`` in a single read.

    :raises MemoryFault: naming ``what`` (e.g. ``struct uma_zone``) and the address.
    :raises Misaligned: ``addr`` cannot hold the struct (see ``StructLayout.holds_pointer``).
    """
    _check_aligned(target, layout, addr, what)
    try:
        data = target.read(addr, layout.size)
    except MemoryFault as e:
        raise MemoryFault(addr, layout.size, what or layout.name) from e
    return Record(layout, data, addr, target.byteorder, target.pointer_size)


def read_array(target, layout: StructLayout, addr: int, count: int, stride: int = None,
               what: str = None):
    """Read ``count`` consecutive ``layout`` elements (``stride`` apart) in one read."""
    stride = stride or layout.size
    if count <= 0:
        return []
    _check_aligned(target, layout, addr, what)
    size = stride * (count - 1) + layout.size
    try:
        data = target.read(addr, size)
    except MemoryFault as e:
        raise MemoryFault(addr, size, what or f"{layout.name}[{count}]") from e
    return [Record(layout, data[i * stride:i * stride + layout.size], addr + i * stride,
                   target.byteorder, target.pointer_size) for i in range(count)]
