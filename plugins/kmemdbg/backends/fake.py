"""An in-memory ``Target`` and a C layout engine, for unit tests without a debugger.

``CTypes`` lays out C structs the way gcc does for an ABI (LP64 amd64 or ILP32 i386: on i386
``long long``/``uint64_t`` members are 4-byte aligned inside structs), including
``__aligned(N)`` attributes, flexible array members, anonymous struct/union members (flattened
as C names them) and typedefs.  ``FakeTarget`` holds sparse page-granular memory (unwritten
pages fault like holes in a core), symbols and those layouts, and answers the Target contract.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from ..access import MAX_READ
from ..access.errors import MemoryFault, SymbolNotFound, TargetError, TypeNotFound
from ..access.layout import (ARRAY, FUNC, INT, PTR, STRUCT, UNION, VOID, Field, StructLayout,
                             TypeInfo)

PAGE = 4096


@dataclass(frozen=True)
class ABI:
    name: str
    pointer: int
    long: int
    int64_align: int     # alignment of 8-byte integers inside structs


LP64 = ABI("LP64", 8, 8, 8)
ILP32 = ABI("ILP32", 4, 4, 4)


@dataclass
class CType:
    kind: str
    size: int
    align: int
    name: str = ""
    typedef: str = ""
    signed: bool = False
    element: Optional["CType"] = None      # array element or pointer target (may be lazy)
    target_name: str = ""                  # pointer target spelling, resolved lazily
    length: Optional[int] = None
    members: List[Tuple[str, "CType", int]] = field(default_factory=list)

    def info(self, types=None) -> TypeInfo:
        element = None
        if self.kind == ARRAY and self.element is not None:
            element = self.element.info(types)
        elif self.kind == PTR:
            pointee = self.element or (types.lookup(self.target_name) if types and
                                       self.target_name in types.known else None)
            if pointee is not None:
                element = TypeInfo(pointee.kind, pointee.size, pointee.name, pointee.typedef)
        members = {}
        if self.kind in (STRUCT, UNION) and not self.name and types is not None:
            types._flatten(self, 0, members)       # anonymous: no layout() finds its members
        return TypeInfo(self.kind, self.size, self.name, self.typedef, self.signed, element,
                        self.length, tuple(members.values()))


class CTypes:
    """A registry of C types laid out for one ABI.

    Member specs are ``(type, name)`` where ``type`` is a ``CType`` or a spelling such as
    ``"uint32_t"``, ``"struct uma_bucket *"``, ``"char[16]"``, ``"struct uma_cache[]"``;
    a name of ``None`` declares an anonymous struct/union member.
    """

    def __init__(self, abi):
        self.abi = abi
        self.known = {}
        lg = abi.long
        for names, size, signed in (
                (("char", "signed char", "int8_t"), 1, True),
                (("u_char", "unsigned char", "uint8_t", "u_int8_t", "bool", "_Bool"), 1, False),
                (("short", "int16_t"), 2, True),
                (("u_short", "unsigned short", "uint16_t", "u_int16_t"), 2, False),
                (("int", "int32_t"), 4, True),
                (("u_int", "unsigned int", "uint32_t", "u_int32_t", "cpumask_t"), 4, False),
                (("long", "intptr_t", "ssize_t"), lg, True),
                (("u_long", "unsigned long", "uintptr_t", "size_t", "vm_offset_t"), lg, False),
                (("long long", "int64_t"), 8, True),
                (("unsigned long long", "uint64_t", "u_int64_t", "smr_seq_t"), 8, False)):
            for n in names:
                align = abi.int64_align if size == 8 else size
                self.known[n] = CType(INT, size, align, n, n if "_t" in n or n.startswith("u_")
                                      else "", signed)
        self.known["void"] = CType(VOID, 0, 1, "void")

    # --- constructors -------------------------------------------------------------------

    def lookup(self, spelling) -> CType:
        s = spelling.strip()
        if s.endswith("]"):
            base, _, n = s[:-1].rpartition("[")
            elem = self.lookup(base)
            length = int(n) if n.strip() else 0
            return CType(ARRAY, elem.size * length, elem.align, f"{elem.name}[{n}]", "", False,
                         elem, length=length)
        if s.endswith("*"):
            inner = s[:-1].strip()
            if inner == "void" or inner in self.known and not inner.startswith("struct "):
                pointee = self.known.get(inner)
            else:
                pointee = None
            return CType(PTR, self.abi.pointer, self.abi.pointer, s, "", False, pointee,
                         target_name=inner)
        try:
            return self.known[s]
        except KeyError:
            raise TypeNotFound(s) from None

    def _resolve(self, t):
        return self.lookup(t) if isinstance(t, str) else t

    def typedef(self, name, t):
        base = self._resolve(t)
        alias = CType(base.kind, base.size, base.align, base.name, name, base.signed,
                      base.element, base.target_name, base.length, base.members)
        self.known[name] = alias
        return alias

    def struct(self, name, members, aligned=None, union=False):
        """Lay out ``struct name`` (``name`` None: anonymous) and register it."""
        laid, offset, align, size = [], 0, 1, 0
        for t, mname in members:
            t = self._resolve(t)
            a = t.align
            if not union:
                offset = (offset + a - 1) // a * a
            laid.append((mname, t, 0 if union else offset))
            align = max(align, a)
            if union:
                size = max(size, t.size)
            else:
                offset += t.size
        if aligned:
            align = max(align, aligned)
        size = size if union else offset
        size = (size + align - 1) // align * align
        kind = UNION if union else STRUCT
        full = f"{'union' if union else 'struct'} {name}" if name else ""
        t = CType(kind, size, align, full, "", False, members=laid)
        if name:
            self.known[full] = t
        return t

    def union(self, name, members):
        return self.struct(name, members, union=True)

    def array(self, t, n):
        elem = self._resolve(t)
        return CType(ARRAY, elem.size * n, elem.align, f"{elem.name}[{n}]", "", False, elem,
                     length=n)

    def func_ptr(self):
        return CType(PTR, self.abi.pointer, self.abi.pointer, "void (*)(void)", "", False,
                     CType(FUNC, 0, 1, "void (void)"))

    # queue.h shapes
    def list_head(self, elem):
        return self.struct(None, [(f"struct {elem} *", "lh_first")])

    def list_entry(self, elem):
        return self.struct(None, [(f"struct {elem} *", "le_next"), (f"struct {elem} **", "le_prev")])

    def stailq_head(self, elem):
        return self.struct(None, [(f"struct {elem} *", "stqh_first"),
                                  (f"struct {elem} **", "stqh_last")])

    def stailq_entry(self, elem):
        return self.struct(None, [(f"struct {elem} *", "stqe_next")])

    # --- views for the Target contract -----------------------------------------------------

    def layout(self, name) -> StructLayout:
        t = self.known.get(name)
        if t is None or t.kind not in (STRUCT, UNION):
            raise TypeNotFound(name)
        fields = {}
        self._flatten(t, 0, fields)
        return StructLayout(t.name, t.size, fields)

    def _flatten(self, t, base, fields):
        for mname, mt, off in t.members:
            if mname is None:                          # anonymous struct/union member
                self._flatten(mt, base + off, fields)
            else:
                fields[mname] = Field(mname, base + off, mt.info(self))

    def path(self, type_name, path):
        """(offset, CType) of a dotted/indexed member path such as ``uz_cpu[3].uc_allocs``."""
        t = self.known[type_name]
        offset = 0
        for part in path.split("."):
            index = None
            if part.endswith("]"):
                part, _, n = part[:-1].partition("[")
                index = int(n)
            t, off = self._member(t, part)
            offset += off
            if index is not None:
                offset += index * t.element.size
                t = t.element
        return offset, t

    def _member(self, t, name):
        for mname, mt, off in t.members:
            if mname == name:
                return mt, off
            if mname is None:
                try:
                    found, inner = self._member(mt, name)
                    return found, off + inner
                except KeyError:
                    pass
        raise KeyError(f"{t.name} has no member {name}")


class FakeTarget:
    """In-memory target: sparse pages, symbols, and layouts from a ``CTypes``."""

    is_live = False
    description = "fake target"

    def __init__(self, types: CTypes, base=None, byteorder="little"):
        self.types = types
        self.pointer_size = types.abi.pointer
        self.byteorder = byteorder
        self.cache = {}
        self.pages = {}
        self.symbols = {}
        self.reads = 0
        self._next = base if base is not None else (
            0xfffff80000100000 if self.pointer_size == 8 else 0xc0100000)

    # --- memory -------------------------------------------------------------------------

    def alloc(self, size, align=16):
        """Zeroed, mapped memory (a bump allocator; never freed)."""
        addr = (self._next + align - 1) // align * align
        self._next = addr + max(size, 1)
        self.write(addr, bytes(max(size, 1)))
        return addr

    def alloc_pages(self, npages):
        self._next = (self._next + PAGE - 1) // PAGE * PAGE
        return self.alloc(npages * PAGE, PAGE)

    def write(self, addr, data):
        data, a, end = bytes(data), addr, addr + len(data)
        while a < end:
            page = self.pages.setdefault(a // PAGE, bytearray(PAGE))
            n = min(end, (a // PAGE + 1) * PAGE) - a
            page[a % PAGE:a % PAGE + n] = data[a - addr:a - addr + n]
            a += n

    def write_int(self, addr, size, value):
        self.write(addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, self.byteorder))

    def unmap(self, addr, size=1):
        """Make the pages holding ``[addr, addr + size)`` unreadable (a hole in the core)."""
        for p in range(addr // PAGE, (addr + size - 1) // PAGE + 1):
            self.pages.pop(p, None)

    def read(self, addr, size):
        self.reads += 1
        if size > MAX_READ:     # as the debuggers' backends refuse it
            raise MemoryFault(addr, size)
        out = bytearray()
        a, end = addr, addr + size
        while a < end:
            page = self.pages.get(a // PAGE)
            if page is None or a < 0:
                raise MemoryFault(addr, size)
            n = min(end, (a // PAGE + 1) * PAGE) - a
            out += page[a % PAGE:a % PAGE + n]
            a += n
        return bytes(out)

    def read_buffer(self, addr, size):
        """``read`` as a memoryview, as gdb's backend returns it (no ``bytes`` methods)."""
        return memoryview(self.read(addr, size))

    # --- typed writes -----------------------------------------------------------------------

    def put(self, addr, type_name, values):
        """Write members of the ``type_name`` object at ``addr``.

        :param values: ``{path: int}``; paths may be dotted and indexed, e.g.
            ``"uz_cpu[3].uc_allocbucket.ucb_cnt"`` or ``"uk_link.le_next"``.
        """
        for path, value in values.items():
            off, t = self.types.path(type_name, path)
            if t.kind == ARRAY and isinstance(value, (bytes, bytearray)):
                self.write(addr + off, bytes(value)[:t.size])
            elif t.kind in (STRUCT, UNION) and not isinstance(value, int):
                raise TypeError(f"{type_name}.{path} is a struct; write its members")
            else:
                self.write_int(addr + off, t.size, value)

    def new(self, type_name, count=1, extra=0, align=None, **members):
        """Allocate ``count`` objects (plus ``extra`` bytes), write ``members`` of the first."""
        t = self.types.known[type_name]
        addr = self.alloc(t.size * count + extra, align or max(t.align, 16))
        if members:
            self.put(addr, type_name, members)
        return addr

    def cstring(self, s):
        data = s.encode("latin-1") + b"\0"
        addr = self.alloc(len(data), 1)
        self.write(addr, data)
        return addr

    # --- symbols ------------------------------------------------------------------------------

    def add_symbol(self, name, spelling, value=None, addr=None):
        """Define a variable of C type ``spelling``; allocate it unless ``addr`` is given."""
        t = self.types.lookup(spelling) if isinstance(spelling, str) else spelling
        if addr is None:
            addr = self.alloc(max(t.size, 1), max(t.align, 8))
        self.symbols[name] = (addr, t)
        if value is not None:
            if isinstance(value, (bytes, bytearray)):
                self.write(addr, value)
            else:
                self.write_int(addr, t.size, value)
        return addr

    def symbol_address(self, name):
        try:
            return self.symbols[name][0]
        except KeyError:
            raise SymbolNotFound(name) from None

    def symbol_type(self, name):
        try:
            return self.symbols[name][1].info(self.types)
        except KeyError:
            raise SymbolNotFound(name) from None

    def layout(self, type_name):
        return self.types.layout(type_name)

    def type_size(self, type_name):
        return self.types.lookup(type_name).size

    def symbolize(self, addr):
        for name, (a, t) in self.symbols.items():
            if a <= addr < a + max(t.size, 1):
                from ..access import SymbolInfo
                return SymbolInfo(name, a, addr - a, size=t.size)
        return None

    def data_symbols(self):
        return [(n, a) for n, (a, t) in self.symbols.items() if t.kind != FUNC]

    def run_for(self, seconds):
        raise TargetError("cannot resume: not a live target")

    def add_data_section(self, module, name, start, end, main=False):
        """Declare ``[start, end)`` a writable section of ``module`` (data_sections())."""
        from ..access import DataSection
        self.sections = getattr(self, "sections", []) + [
            DataSection(module, name, start, end, main)]

    def data_sections(self):
        return list(getattr(self, "sections", []))
