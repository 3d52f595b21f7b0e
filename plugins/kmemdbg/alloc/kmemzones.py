"""The malloc(9) backing zones as ``kmemzones[]`` lists them: name and item size."""

from ..kernel.memory import read_pointer
from ..target import read_cstring
from ..target.errors import KmemdbgError
from ..target.layout import ARRAY


def read_malloc_zones(target):
    """``[{"name", "size"}]`` of the malloc(9) backing zones, from ``kmemzones``.

    The element is an anonymous ``{int kz_size; const char *kz_name; ...}``, so ``kz_name``
    sits where C puts a pointer after an int: at the pointer's alignment (4 on i386, 8 on amd64).
    Returns ``[]`` when the kernel has no ``kmemzones`` of the expected shape.
    """
    try:
        t = target.symbol_type("kmemzones")
        if t.kind != ARRAY or not t.length or t.element is None:
            return []
        base, stride = target.symbol_address("kmemzones"), t.element.size
        data = target.read(base, stride * t.length)
        zones = []
        for i in range(t.length):
            size = int.from_bytes(data[i * stride:i * stride + 4], target.byteorder, signed=True)
            if size <= 0:
                break
            name_ptr = read_pointer(target, base + i * stride + target.pointer_size, "kz_name")
            zones.append({"name": read_cstring(target, name_ptr), "size": size})
        return zones
    except KmemdbgError:
        return []
