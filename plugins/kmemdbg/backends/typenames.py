"""Type names and member positions in the same words for the gdb and lldb backends.

Both backends must describe a type with the same words, or the two debuggers would print
different reports.  gdb names base types as DWARF spells them (``long unsigned int``), lldb as
clang does (``unsigned long``); both are brought to the clang spelling here.  Bit-field
positions and type names of anonymous aggregates are decided here too, once.
"""

import re

from ..access.layout import Field, TypeInfo

# DWARF DW_AT_name spellings (gcc) -> the C spelling lldb/clang uses.
_BASE_NAMES = {
    "long unsigned int": "unsigned long",
    "long int": "long",
    "short int": "short",
    "short unsigned int": "unsigned short",
    "long long int": "long long",
    "long long unsigned int": "unsigned long long",
    "unsigned long int": "unsigned long",
    "signed long": "long",
    "long signed int": "long",
    "bool": "_Bool",
    "__int128 unsigned": "unsigned __int128",
}

ANONYMOUS = "<anonymous>"


def base_name(name: str) -> str:
    """The clang spelling of a base type name (``long unsigned int`` -> ``unsigned long``)."""
    name = " ".join((name or "").split())
    return _BASE_NAMES.get(name, name)


def tag_name(keyword: str, name: str) -> str:
    """``struct uma_zone``; anonymous aggregates (gdb: None, lldb: ``(unnamed struct at ...)``,
    ``(anonymous union)``) become ``struct <anonymous>`` in both debuggers."""
    name = (name or "").strip()
    for kw in ("struct ", "union ", "enum ", "class "):
        if name.startswith(kw):
            name = name[len(kw):]
    if not name or "(" in name or "<" in name or "anonymous" in name or "unnamed" in name:
        name = ANONYMOUS
    return f"{keyword} {name}"


def pointer_name(target: TypeInfo) -> str:
    """``struct uma_bucket *``, ``char **``, ``void (*)()`` for function pointers."""
    if target.kind == "func":
        return f"{target.name[:-3]} (*)()" if target.name.endswith(" ()") else "void (*)()"
    if target.kind == "array":
        return f"{target.name} *"
    return f"{target.name} *" if not target.name.endswith("*") else f"{target.name}*"


def array_name(element: TypeInfo, length: int) -> str:
    """``int [2][3]`` for ``int m[2][3]``; ``long []`` for a flexible array."""
    dims = f"[{length}]" if length else "[]"
    if element.kind == "array" and " [" in element.name:
        base, inner = element.name.split(" [", 1)
        return f"{base} {dims}[{inner}"
    return f"{element.name} {dims}"


def bitfield_position(bitpos: int, bit_size: int, unit_size: int):
    """Turn an absolute bit position into (byte offset, bit offset) for ``Record.int``.

    ``Record.int`` reads ``unit_size`` bytes (the declared type's size) at the byte offset and
    shifts right by the bit offset, so the offset is the naturally aligned storage unit that
    holds the field, as the compiler allocated it.  A field straddling units (only in packed
    structs) falls back to the byte holding its first bit.  Little-endian bit numbering, as on
    amd64 and i386.
    """
    unit_bits = max(unit_size, 1) * 8
    offset = (bitpos // unit_bits) * max(unit_size, 1)
    bit_offset = bitpos - offset * 8
    if bit_offset + bit_size > unit_bits:
        offset, bit_offset = bitpos // 8, bitpos % 8
    return offset, bit_offset


def make_field(name: str, bitpos: int, bit_size: int, tinfo: TypeInfo) -> Field:
    """A ``Field`` from a debugger's (absolute bit position, bit size) view of a member."""
    if bit_size:
        offset, bit_offset = bitfield_position(bitpos, bit_size, tinfo.size)
        return Field(name, offset, tinfo, bit_offset, bit_size)
    return Field(name, bitpos // 8, tinfo)


def split_struct_name(type_name: str):
    """``struct uma_zone`` -> (``struct``, ``uma_zone``); other names -> (None, name)."""
    m = re.match(r"^\s*(struct|union|enum)\s+(\S+)\s*$", type_name)
    if m:
        return m.group(1), m.group(2)
    return None, type_name.strip()
