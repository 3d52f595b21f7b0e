"""Read a simulated kernel's ELF core and ELF files directly (no debugger, no plugin).

For simulator tests that check the ledgers against the core's bytes: memory by address from the
core's PT_LOAD segments (bytes past p_filesz read as zero), the file mappings of NT_FILE (where
the kernel and each module were loaded), and the kernel's and modules' writable sections
(.data, .bss, ...) and symbols at their load addresses.
"""
import struct
from pathlib import Path

PT_LOAD, PT_NOTE = 1, 4
NT_FILE = 0x46494C45
SHF_WRITE, SHF_ALLOC = 1, 2
SHT_SYMTAB, SHT_NOBITS = 2, 8


class Elf:
    """Section headers and symbols of one ELF file (kernel, module or core)."""

    def __init__(self, path):
        self.path = Path(path)
        self.data = self.path.read_bytes()
        assert self.data[:4] == b"\x7fELF", path
        self.is64 = self.data[4] == 2
        self.ptr = 8 if self.is64 else 4
        self.e_type, = struct.unpack_from("<H", self.data, 16)

    def _hdr(self):
        d = self.data
        if self.is64:
            phoff, shoff = struct.unpack_from("<QQ", d, 32)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", d, 54)
        else:
            phoff, shoff = struct.unpack_from("<II", d, 28)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", d, 42)
        return phoff, phentsize, phnum, shoff, shentsize, shnum, shstrndx

    def phdrs(self):
        """[(p_type, p_offset, p_vaddr, p_filesz, p_memsz)]"""
        phoff, phentsize, phnum, *_ = self._hdr()
        out = []
        for i in range(phnum):
            off = phoff + i * phentsize
            if self.is64:
                t, _, o, v, _, fs, ms, _ = struct.unpack_from("<IIQQQQQQ", self.data, off)
            else:
                t, o, v, _, fs, ms, _, _ = struct.unpack_from("<IIIIIIII", self.data, off)
            out.append((t, o, v, fs, ms))
        return out

    def sections(self):
        """[(name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_entsize)]"""
        _, _, _, shoff, shentsize, shnum, shstrndx = self._hdr()
        raw = []
        for i in range(shnum):
            off = shoff + i * shentsize
            if self.is64:
                nm, t, fl, addr, o, sz, link, _, _, es = struct.unpack_from(
                    "<IIQQQQIIQQ", self.data, off)
            else:
                nm, t, fl, addr, o, sz, link, _, _, es = struct.unpack_from(
                    "<IIIIIIIIII", self.data, off)
            raw.append((nm, t, fl, addr, o, sz, link, es))
        stro = raw[shstrndx][4]
        return [(self._cstr(stro + nm), t, fl, addr, o, sz, link, es)
                for nm, t, fl, addr, o, sz, link, es in raw]

    def _cstr(self, off):
        return self.data[off:self.data.index(b"\0", off)].decode()

    def writable_sections(self):
        """[(name, addr, size)] of the allocated writable sections (data, bss, got, ...)."""
        return [(n, a, s) for n, t, fl, a, o, s, _, _ in self.sections()
                if fl & SHF_WRITE and fl & SHF_ALLOC and s > 0]

    def symbols(self):
        """{name: (st_value, st_size)} from .symtab."""
        secs = self.sections()
        out = {}
        for n, t, fl, a, o, s, link, es in secs:
            if t != SHT_SYMTAB:
                continue
            stro = secs[link][4]
            for i in range(s // es):
                off = o + i * es
                if self.is64:
                    nm, _, _, _, val, size = struct.unpack_from("<IBBHQQ", self.data, off)
                else:
                    nm, val, size, _, _, _ = struct.unpack_from("<IIIBBH", self.data, off)
                if nm:
                    out.setdefault(self._cstr(stro + nm), (val, size))
        return out


class Core(Elf):
    """An ELF core: memory by address, and where each file was mapped (NT_FILE)."""

    def __init__(self, path):
        super().__init__(path)
        self.loads = sorted((v, o, fs, ms) for t, o, v, fs, ms in self.phdrs() if t == PT_LOAD)
        self.files = self._nt_file()

    def _nt_file(self):
        """{path: lowest start address of its mappings}"""
        out = {}
        for t, o, v, fs, ms in self.phdrs():
            if t != PT_NOTE:
                continue
            pos, end = o, o + fs
            while pos < end:
                namesz, descsz, n_type = struct.unpack_from("<III", self.data, pos)
                desc = pos + 12 + (namesz + 3 & ~3)
                if n_type == NT_FILE:
                    fmt = "<Q" if self.is64 else "<I"
                    count, = struct.unpack_from(fmt, self.data, desc)
                    ents = [struct.unpack_from("<QQQ" if self.is64 else "<III", self.data,
                                               desc + 2 * self.ptr + i * 3 * self.ptr)
                            for i in range(count)]
                    names = self.data[desc + 2 * self.ptr + count * 3 * self.ptr:
                                      desc + descsz].split(b"\0")
                    for (start, _, _), name in zip(ents, names):
                        name = name.decode()
                        out[name] = min(out.get(name, start), start)
                pos = desc + (descsz + 3 & ~3)
        return out

    def read(self, addr, size):
        """`size` bytes at `addr`, across adjacent segments; KeyError on a hole."""
        out, end = [], addr + size
        while addr < end:
            seg = next(((v, o, fs, ms) for v, o, fs, ms in self.loads if v <= addr < v + ms),
                       None)
            if seg is None:
                raise KeyError(hex(addr))
            v, o, fs, ms = seg
            n = min(end, v + ms) - addr
            rel = addr - v
            chunk = self.data[o + rel:o + min(rel + n, fs)] if rel < fs else b""
            out.append(chunk + bytes(n - len(chunk)))
            addr += n
        return b"".join(out)

    def word(self, addr):
        return struct.unpack("<Q" if self.is64 else "<I", self.read(addr, self.ptr))[0]

    def load_base(self, elf):
        """Where ELF file `elf` (kernel or module) was loaded: 0 for ET_EXEC, None if not."""
        if elf.e_type == 2:
            return 0
        for name, start in self.files.items():
            if Path(name).resolve() == elf.path.resolve() or Path(name).name == elf.path.name:
                return start
        return None
