"""Damaged copies of image cores: find a structure through the kernel's debug info, then flip,
zero, misalign or cycle it in a copy of the core, as crash dumps get damaged.

    where = locate(image, ["zone_mbuf", "&((struct uma_zone *)0)->uz_name"])
    core = CoreFile(copy_core(image, tmp_path, "bad-name"))
    core.write_int(where["zone_mbuf"] + where["&((struct uma_zone *)0)->uz_name"], 0xdead0000)

Addresses come from gdb evaluating C expressions on the intact core (the DWARF the plugins
read), never from the plugins themselves, so a test cannot agree with a plugin bug.
"""

import shutil
import struct
import subprocess

PT_LOAD = 1


def locate(image, exprs):
    """Evaluate C expressions on the intact core with gdb; ``{expr: unsigned value}``.

    :raises AssertionError: an expression gdb could not evaluate (names the expression).
    """
    argv = ["gdb", "-q", "-nx", "-batch"]
    for e in exprs:
        argv += ["-ex", f'printf "kmemdbg-locate %lu\\n", (unsigned long)({e})']
    proc = subprocess.run(argv + [image.kernel, image.core], capture_output=True, text=True,
                          timeout=120)
    values = [int(line.split()[1]) for line in proc.stdout.splitlines()
              if line.startswith("kmemdbg-locate ")]
    if len(values) != len(exprs):
        raise AssertionError(f"gdb could not evaluate {exprs} on {image.core}:\n{proc.stderr}")
    return dict(zip(exprs, values))


def copy_core(image, directory, damage):
    """A copy of the image's core in ``directory`` named for the damage."""
    path = str(directory / f"vmcore.{damage}")
    shutil.copy(image.core, path)
    return path


class CoreFile:
    """An ELF core opened for patching at virtual addresses (through its PT_LOAD headers)."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            ident = f.read(64)
        self.is64 = ident[4] == 2
        self.end = "<" if ident[5] == 1 else ">"
        self.psize = 8 if self.is64 else 4
        if self.is64:
            phoff, = struct.unpack_from(self.end + "Q", ident, 0x20)
            phentsize, phnum = struct.unpack_from(self.end + "HH", ident, 0x36)
            fmt = "IIQQQQQQ"
        else:
            phoff, = struct.unpack_from(self.end + "I", ident, 0x1c)
            phentsize, phnum = struct.unpack_from(self.end + "HH", ident, 0x2a)
            fmt = "IIIIIIII"
        self.loads = []       # (vaddr, file offset, filesz)
        with open(path, "rb") as f:
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                h = struct.unpack(self.end + fmt, f.read(struct.calcsize(fmt)))
                if self.is64:
                    ptype, _, off, vaddr, _, filesz, _, _ = h
                else:
                    ptype, off, vaddr, _, filesz, _, _, _ = h
                if ptype == PT_LOAD:
                    self.loads.append((vaddr, off, filesz))

    def _offset(self, addr, size):
        for vaddr, off, filesz in self.loads:
            if vaddr <= addr and addr + size <= vaddr + filesz:
                return off + addr - vaddr
        raise AssertionError(f"{addr:#x}+{size} is not in {self.path}")

    def read(self, addr, size):
        with open(self.path, "rb") as f:
            f.seek(self._offset(addr, size))
            return f.read(size)

    def write(self, addr, data):
        with open(self.path, "r+b") as f:
            f.seek(self._offset(addr, len(data)))
            f.write(data)

    def read_int(self, addr, size=None):
        size = size or self.psize
        return int.from_bytes(self.read(addr, size), "little" if self.end == "<" else "big")

    def write_int(self, addr, value, size=None):
        size = size or self.psize
        self.write(addr, (value % (1 << 8 * size)).to_bytes(size, "little" if self.end == "<"
                                                             else "big"))

    def zero(self, addr, size):
        self.write(addr, bytes(size))

    def zero_segment(self, addr):
        """Zero the whole PT_LOAD segment holding ``addr`` (a dump whose pages were lost);
        returns its ``(start, size)``."""
        for vaddr, off, filesz in self.loads:
            if vaddr <= addr < vaddr + filesz:
                with open(self.path, "r+b") as f:
                    f.seek(off)
                    f.write(bytes(filesz))
                return vaddr, filesz
        raise AssertionError(f"{addr:#x} is not in {self.path}")

    def flip(self, addr, bit):
        """Flip one bit (``bit`` counts from the least significant bit of the byte at ``addr``
        upwards, across bytes)."""
        at = addr + bit // 8
        self.write(at, bytes([self.read(at, 1)[0] ^ 1 << bit % 8]))
