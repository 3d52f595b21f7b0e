"""Type layouts taken from the debug info, once per type and target.

A backend turns the debugger's view of a C type into these plain objects; everything above the
backends works from offsets and sizes only.  That is what lets one memory read serve a whole
struct (or a whole ``uz_cpu[]`` array), and what keeps gdb and lldb output identical.
"""

import functools
import struct
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from .errors import FieldNotFound

# Kinds a TypeInfo can have.
INT, BOOL, ENUM, FLOAT, PTR, STRUCT, UNION, ARRAY, FUNC, VOID = (
    "int", "bool", "enum", "float", "ptr", "struct", "union", "array", "func", "void")


@dataclass(frozen=True)
class TypeInfo:
    """One C type, typedefs resolved.

    :param kind: one of the kinds above.
    :param size: ``sizeof`` in bytes (0 for void, functions and flexible arrays).
    :param name: the resolved C spelling, e.g. ``struct uma_cache``, ``unsigned long``,
        ``struct uma_bucket *``.
    :param typedef: the outermost typedef name as declared, e.g. ``counter_u64_t``, ``cpuset_t``,
        ``u_long``; empty when the member was declared without a typedef.  Probes use it to tell
        a counter(9) pointer from a plain pointer.
    :param signed: for integer-like kinds.
    :param element: array element type, or pointer target type (not expanded into fields).
    :param length: array element count as declared; 0 for ``[]`` flexible arrays.
    :param members: the members of an anonymous struct or union (``LIST_HEAD(, x)``, a
        ``LIST_ENTRY``), flattened as in ``StructLayout``: no name can look them up with
        ``layout()``; empty for every other type.
    """

    kind: str
    size: int
    name: str = ""
    typedef: str = ""
    signed: bool = False
    element: Optional["TypeInfo"] = None
    length: Optional[int] = None
    members: Tuple["Field", ...] = ()


@dataclass(frozen=True)
class Field:
    """A struct member: byte offset, type, and bit position for bit-fields."""

    name: str
    offset: int
    type: TypeInfo
    bit_offset: Optional[int] = None  # bits from the start of ``offset``, bit-fields only
    bit_size: Optional[int] = None


@dataclass(frozen=True)
class StructLayout:
    """``struct NAME`` as the debug info describes it.

    Members of anonymous structs and unions are flattened into ``fields`` with their offsets
    adjusted, the way C code names them (``zone->uz_keg`` through the 13-era union).
    """

    name: str
    size: int
    fields: Dict[str, Field] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.fields

    @functools.cached_property
    def holds_pointer(self) -> bool:
        """A pointer member makes the struct pointer-aligned in every FreeBSD ABI, so an
        instance at an address that is not is a damaged pointer, never a struct."""
        return any(f.type.kind == PTR or f.type.kind == ARRAY and f.type.element is not None
                   and f.type.element.kind == PTR for f in self.fields.values())

    @functools.cached_property
    def int_members(self) -> Dict[str, Tuple[int, int, bool, Optional[int], Optional[int]]]:
        """``name -> (start, end, signed, bit_offset, bit_size)`` of every member ``Record.int``
        reads (integers, bools, enums, pointers): looked up once per layout, not per read."""
        return {name: (f.offset, f.offset + f.type.size, f.type.signed and f.type.kind != PTR,
                       f.bit_offset, f.bit_size)
                for name, f in self.fields.items() if f.type.kind in (INT, BOOL, ENUM, PTR)}

    def int_member(self, name: str) -> Tuple[int, int, bool, Optional[int], Optional[int]]:
        """``int_members[name]``; ``FieldNotFound`` when there is no such member or it is not an
        integer (a struct, an array)."""
        try:
            return self.int_members[name]
        except KeyError:
            t = self.field(name).type      # FieldNotFound when there is no such member
            raise FieldNotFound(self.name,
                                f"{name} (as an integer; it is {t.name or t.kind})") from None

    def unpacker(self, names: Tuple[str, ...], byteorder: str):
        """``data -> namedtuple`` of the integer members ``names`` of one instance's bytes, in one
        ``struct`` call: a walk reads a dozen members of thousands of zones, and one call per
        member (``Record.int``) was most of the walk's own time.  A name the era lacks reads as
        ``None``; bit-fields and odd sizes are unpacked one by one, as ``Record.int`` does."""
        cache = self.__dict__.setdefault("_unpackers", {})
        key = (names, byteorder)
        if key not in cache:
            cache[key] = _unpacker(self, names, byteorder)
        return cache[key]

    def column_unpacker(self, name: str, count: int, byteorder: str):
        """``data -> tuple``: the integer member ``name`` of each of ``count`` consecutive
        instances (an array such as ``uk_domain[vm_ndomains]``), in one ``struct`` call."""
        cache = self.__dict__.setdefault("_unpackers", {})
        key = (name, count, byteorder)
        if key not in cache:
            cache[key] = _column_unpacker(self, name, count, byteorder)
        return cache[key]

    def field(self, name: str) -> Field:
        try:
            return self.fields[name]
        except KeyError:
            raise FieldNotFound(self.name, name) from None

    def offset(self, name: str) -> int:
        return self.field(name).offset


_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}


def _unpacker(layout, names, byteorder):
    """See ``StructLayout.unpacker``: the tuple's fields are in offset order (one ``struct``
    format covers them), the absent ones last."""
    ints = layout.int_members
    for n in names:
        if n in layout.fields:
            layout.int_member(n)      # FieldNotFound for a member that is not an integer
    present = sorted(((ints[n], n) for n in names if n in ints), key=lambda m: (m[0][0], m[1]))
    absent = tuple(None for n in names if n not in ints)
    values = namedtuple("Values", [n for _, n in present] + [n for n in names if n not in ints])
    if all(bit_size is None for (_, _, _, _, bit_size), _ in present):
        unpack = member_unpacker([(start, end - start, signed)
                                  for (start, end, signed, _, _), _ in present], byteorder)
        return lambda data: values._make(unpack(data) + absent)

    def one_by_one(data):     # bit-fields
        out = []
        for (start, end, signed, bit_offset, bit_size), _ in present:
            raw = int.from_bytes(data[start:end], byteorder, signed=signed)
            if bit_size is not None:
                raw = (raw >> (bit_offset or 0)) & ((1 << bit_size) - 1)
            out.append(raw)
        return values._make(tuple(out) + absent)
    return one_by_one


def member_unpacker(members, byteorder):
    """``(buffer, offset=0) -> tuple`` of the integers ``members`` (``(offset, size, signed)``
    each, ascending; members of nested structs too, which ``StructLayout.unpacker`` does not
    name) of the instance at ``offset`` in ``buffer``, in one ``struct`` call where their sizes
    and order allow (else one by one)."""
    fmt, pos = "<" if byteorder == "little" else ">", 0
    for offset, size, signed in members:
        code = _CODES.get(size)
        if code is None or offset < pos:
            return lambda buffer, at=0: tuple(
                int.from_bytes(buffer[at + offset:at + offset + size], byteorder, signed=signed)
                for offset, size, signed in members)
        fmt += f"{offset - pos}x{code if signed else code.upper()}"
        pos = offset + size
    return struct.Struct(fmt).unpack_from


def _column_unpacker(layout, name, count, byteorder):
    """See ``StructLayout.column_unpacker``."""
    start, end, signed, bit_offset, bit_size = layout.int_member(name)
    code = _CODES.get(end - start)
    if code is None or bit_size is not None:
        return lambda data: tuple(
            (int.from_bytes(data[i * layout.size + start:i * layout.size + end], byteorder,
                            signed=signed) >> (bit_offset or 0)) & ((1 << bit_size) - 1)
            if bit_size is not None else
            int.from_bytes(data[i * layout.size + start:i * layout.size + end], byteorder,
                           signed=signed) for i in range(count))
    gap = layout.size - (end - start)
    one = f"{code if signed else code.upper()}"
    fmt = ("<" if byteorder == "little" else ">") + f"{start}x" + f"{gap}x".join([one] * count)
    return struct.Struct(fmt).unpack_from
