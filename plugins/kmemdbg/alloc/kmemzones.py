"""The malloc(9) backing zones as ``kmemzones[]`` lists them: name and item size."""

from ..access import read_cstring
from ..access.errors import CorruptionError, KmemdbgError
from ..access.layout import ARRAY


def read_kmemzones(target):
    """``[(kz_size, kz_name pointer)]`` for every ``kmemzones[]`` element, terminator included.

    One read of the whole array; the element stride comes from the array type in the debug info
    (``kz_zone`` is one pointer in 6.x-8.x and ``[MALLOC_DEBUG_MAXZONES]`` later).  The element is
    an anonymous ``{int kz_size; const char *kz_name; ...}`` that DWARF cannot name, so members
    are read where C puts them: ``kz_size`` at 0, ``kz_name`` at the pointer's alignment.

    :raises CorruptionError: ``kmemzones`` is not an array in the debug info.
    """
    t = target.symbol_type("kmemzones")
    if t.kind != ARRAY or t.element is None or not t.length:
        raise CorruptionError(f"kmemzones is not an array in the debug info ({t.name or t.kind})")
    stride, ps = t.element.size, target.pointer_size
    data = target.read(target.symbol_address("kmemzones"), stride * t.length)
    return [(int.from_bytes(data[i * stride:i * stride + 4], target.byteorder, signed=True),
             int.from_bytes(data[i * stride + ps:i * stride + 2 * ps], target.byteorder))
            for i in range(t.length)]


def read_malloc_zones(target):
    """``[{"name", "size"}]`` of the malloc(9) backing zones, or ``[]`` when unreadable."""
    try:
        zones = []
        for size, name_ptr in read_kmemzones(target):
            if size <= 0:
                break
            zones.append({"name": read_cstring(target, name_ptr), "size": size})
        return zones
    except KmemdbgError:
        return []
