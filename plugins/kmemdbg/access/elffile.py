"""What an ELF file says about itself, read straight from the file, never through a debugger.

The kernel *file*: its ``version[]`` bytes and its GNU build-id (section headers,
``.symtab``/``.dynsym``, ``SHT_NOTE`` sections).  gdb and lldb both answer memory reads of a
core that lacks an address from the executable's sections, so the file's copy must come from
elsewhere to be compared with the core's memory.  An ELF *core*: the zero-filled tails of its
``PT_LOAD`` segments (``zero_fill_ranges``), which lldb does not read as gdb does.  One reader,
so both debuggers decide alike.
"""

import mmap
import struct
from dataclasses import dataclass
from typing import Optional

SHT_SYMTAB, SHT_NOTE, SHT_NOBITS, SHT_DYNSYM = 2, 7, 8, 11
SHF_ALLOC = 2
NT_GNU_BUILD_ID = 3


class NotElf(Exception):
    """The file is not an ELF file this reader understands."""


@dataclass(frozen=True)
class KernelFileFacts:
    """:param version: the bytes of ``version[]`` up to its NUL, or None.
    :param version_addr: ``version``'s link-time address (the load bias is the difference
        to where the debugger places it).
    :param build_id: ``(link-time address of the note's descriptor, descriptor bytes)`` or None.
    :param bss: link-time address of the first allocated ``SHT_NOBITS`` section (``.bss``), or
        None: the file has no bytes there, so only the core can answer a read of it.
    """

    path: str
    version: Optional[bytes]
    version_addr: Optional[int]
    build_id: Optional[tuple]
    bss: Optional[int]


PT_LOAD = 1


def _ident(data):
    """``(is64, struct byte-order prefix)`` of an ELF header. :raises NotElf:"""
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise NotElf("not an ELF file")
    return data[4] == 2, "<" if data[5] == 1 else ">"


class _Elf:
    def __init__(self, data):
        self.is64, self.end = _ident(data)
        self.data = data
        if self.is64:
            shoff, = struct.unpack_from(self.end + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(self.end + "HH", data, 0x3a)
            fmt = "IIQQQQIIQQ"
        else:
            shoff, = struct.unpack_from(self.end + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(self.end + "HH", data, 0x2e)
            fmt = "IIIIIIIIII"
        if not shoff or shoff + shnum * shentsize > len(data):
            raise NotElf("no section headers")
        # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
        self.sections = [struct.unpack_from(self.end + fmt, data, shoff + i * shentsize)
                         for i in range(shnum)]

    def contents(self, sh):
        return self.data[sh[4]:sh[4] + sh[5]] if sh[1] != SHT_NOBITS else b""

    def symbol(self, name):
        """``(value, size, section index)`` of the first symbol called ``name``, or None."""
        want = name.encode() + b"\0"
        for table in (SHT_SYMTAB, SHT_DYNSYM):
            for sh in (s for s in self.sections if s[1] == table):
                if sh[6] >= len(self.sections):
                    continue
                strtab = self.contents(self.sections[sh[6]])
                offsets, at = set(), strtab.find(want)
                while at >= 0:            # names may share tails (``kern_version`` / ``version``)
                    offsets.add(at)
                    at = strtab.find(want, at + 1)
                if not offsets:
                    continue
                fmt = self.end + ("IBBHQQ" if self.is64 else "IIIBBH")
                table_bytes = self.contents(sh)
                whole = len(table_bytes) - len(table_bytes) % struct.calcsize(fmt)
                for entry in struct.iter_unpack(fmt, table_bytes[:whole]):
                    if entry[0] in offsets:
                        if self.is64:
                            return entry[4], entry[5], entry[3]
                        return entry[1], entry[2], entry[5]
        return None

    def bytes_at(self, addr, size):
        """The file's bytes at link-time address ``addr`` (a section with contents), or None."""
        for sh in self.sections:
            if sh[1] != SHT_NOBITS and sh[3] and sh[3] <= addr and addr + size <= sh[3] + sh[5]:
                start = sh[4] + addr - sh[3]
                return self.data[start:start + size]
        return None

    def build_id(self):
        """``(address of the descriptor, descriptor)`` of the NT_GNU_BUILD_ID note, or None."""
        for sh in (s for s in self.sections if s[1] == SHT_NOTE and s[3]):
            notes, pos = self.contents(sh), 0
            while pos + 12 <= len(notes):
                namesz, descsz, ntype = struct.unpack_from(self.end + "III", notes, pos)
                name_at = pos + 12
                desc_at = name_at + (namesz + 3) // 4 * 4
                if ntype == NT_GNU_BUILD_ID and notes[name_at:name_at + namesz] == b"GNU\0":
                    return sh[3] + desc_at, bytes(notes[desc_at:desc_at + descsz])
                pos = desc_at + (descsz + 3) // 4 * 4
        return None


def kernel_file_facts(path, limit=256):
    """Read ``version`` (bounded by ``limit``) and the build-id from the ELF file at ``path``.

    :raises OSError: the file cannot be read.
    :raises NotElf: it is not an ELF file with section headers.
    """
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _facts(path, _Elf(data), limit)


def _facts(path, elf, limit):
    version = version_addr = None
    sym = elf.symbol("version")
    if sym is not None and sym[2] != 0:       # defined (not SHN_UNDEF)
        version_addr = sym[0]
        raw = elf.bytes_at(sym[0], min(sym[1] or limit, limit))
        if raw is not None:
            version = bytes(raw).split(b"\0", 1)[0]
    bss = next((sh[3] for sh in elf.sections
                if sh[1] == SHT_NOBITS and sh[2] & SHF_ALLOC and sh[3] and sh[5]), None)
    return KernelFileFacts(path, version, version_addr, elf.build_id(), bss)


def zero_fill_ranges(path):
    """``[(start, end)]`` of every ``PT_LOAD`` of the ELF core at ``path`` whose memory size
    exceeds its file size: ``[p_vaddr + p_filesz, p_vaddr + p_memsz)`` reads as zeros (as gdb
    reads it); [] when the file cannot be read or is not ELF."""
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            is64, end = _ident(data)
            if is64:
                phoff, = struct.unpack_from(end + "Q", data, 0x20)
                phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
                fmt = "IIQQQQQ"         # type, flags, offset, vaddr, paddr, filesz, memsz
            else:
                phoff, = struct.unpack_from(end + "I", data, 0x1c)
                phentsize, phnum = struct.unpack_from(end + "HH", data, 0x2a)
                fmt = "IIIIII"          # type, offset, vaddr, paddr, filesz, memsz
            headers = [struct.unpack_from(end + fmt, data, phoff + i * phentsize)
                       for i in range(phnum)]
    except (OSError, ValueError, NotElf, struct.error):
        return []
    gaps = []
    for h in headers:
        p_type, vaddr, filesz, memsz = (h[0], h[3], h[5], h[6]) if is64 else (h[0], h[2], h[4], h[5])
        if p_type == PT_LOAD and memsz > filesz:
            gaps.append((vaddr + filesz, vaddr + memsz))
    return gaps
