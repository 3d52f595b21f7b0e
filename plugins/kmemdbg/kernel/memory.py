"""Small typed reads: integers and pointers at an address or at a global symbol.

Everything here names what it read, so a fault message says ``mp_maxid`` or
``struct uma_zone.uz_name at 0x...`` rather than a bare address.
"""

from ..access.errors import KmemdbgError, MemoryFault
from ..access.layout import ARRAY, STRUCT

_INT_SIZES = (1, 2, 4, 8)
PAGE_SIZE = 4096  # of i386 and amd64, the architectures kmemdbg reads


def read_int(target, addr, size, signed=False, what=None):
    try:
        data = target.read(addr, size)
    except MemoryFault as e:
        raise MemoryFault(addr, size, what) from e
    return int.from_bytes(data, target.byteorder, signed=signed)


def read_pointer(target, addr, what=None):
    return read_int(target, addr, target.pointer_size, what=what)


def read_symbol_int(target, name):
    """The value of an integer (or pointer) global, by its declared size and signedness.

    :raises SymbolNotFound: the kernel has no such variable.
    """
    addr = target.symbol_address(name)
    t = target.symbol_type(name)
    if t.kind in (ARRAY, STRUCT) or t.size not in _INT_SIZES:
        raise MemoryFault(addr, t.size, f"{name} (not an integer: {t.name or t.kind})")
    return read_int(target, addr, t.size, t.signed and t.kind != "ptr", what=name)


def read_symbol_int_or_none(target, name):
    """``read_symbol_int``, or None when the kernel lacks the variable or it cannot be read
    (clocks and kmem counters that only some eras have)."""
    try:
        return read_symbol_int(target, name)
    except KmemdbgError:
        return None


def pointer_mask(target):
    return (1 << (8 * target.pointer_size)) - 1
