#!/usr/bin/python3
"""fixdump: make a QEMU `dump-guest-memory` ELF dump readable by both gdb and lldb-19.

    fixdump.py IN OUT [KERNEL]

What QEMU 7.2 writes for an x86 guest and what the debuggers need:

* i386 guest: QEMU writes ELFCLASS64 with e_machine EM_386 as soon as any guest memory block
  ends above 4 GiB - 1 (the BIOS ROM at 0xfffc0000..0x100000000 does), with the 32-bit
  (i386) prstatus in the notes.  gdb copes; lldb does not.  The output is ELFCLASS32 (the
  class of the kernel), segments and notes copied unchanged.
* EI_OSABI is SYSV and there is no NT_FILE note, so lldb cannot tell which OS's note layout
  applies ("Unsupported OS").  The notes are Linux-format (NT_PRSTATUS, name "CORE"), so the
  output says ELFOSABI_LINUX.  gdb ignores EI_OSABI for cores.

* lldb's Linux core support places the executable with the entry point from NT_AUXV
  (AT_ENTRY); without it the kernel's sections stay unloaded and lldb reads their file
  contents instead of the dump.  Given KERNEL, an NT_AUXV note with AT_ENTRY = its e_entry is
  added (load offset 0).  (Without it: `target modules load --file kernel --slide 0`.)

Program headers keep QEMU's p_vaddr (with -p / paging=true: the guest's virtual addresses;
for a guest without paging, virtual == physical) and p_paddr.
"""

import shutil
import struct
import sys

ELFOSABI_LINUX = 3
EM_386 = 3


def read_elf(f):
    ident = f.read(16)
    if ident[:4] != b"\x7fELF":
        raise SystemExit("fixdump: not an ELF file")
    cls = ident[4]
    if cls == 2:
        (e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
         e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) = struct.unpack(
            "<HHIQQQIHHHHHH", f.read(48))
        phdrs = []
        for i in range(e_phnum):
            f.seek(e_phoff + i * e_phentsize)
            (p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz,
             p_align) = struct.unpack("<IIQQQQQQ", f.read(56))
            phdrs.append(dict(type=p_type, flags=p_flags, offset=p_offset, vaddr=p_vaddr,
                              paddr=p_paddr, filesz=p_filesz, memsz=p_memsz, align=p_align))
    else:
        (e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
         e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) = struct.unpack(
            "<HHIIIIIHHHHHH", f.read(36))
        phdrs = []
        for i in range(e_phnum):
            f.seek(e_phoff + i * e_phentsize)
            (p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags,
             p_align) = struct.unpack("<IIIIIIII", f.read(32))
            phdrs.append(dict(type=p_type, flags=p_flags, offset=p_offset, vaddr=p_vaddr,
                              paddr=p_paddr, filesz=p_filesz, memsz=p_memsz, align=p_align))
    return ident, e_type, e_machine, phdrs


def copy_range(src, dst, offset, size):
    src.seek(offset)
    while size > 0:
        chunk = src.read(min(size, 1 << 20))
        if not chunk:
            break
        dst.write(chunk)
        size -= len(chunk)


def kernel_entry(path):
    with open(path, "rb") as f:
        ident = f.read(16)
        if ident[4] == 2:
            return struct.unpack("<HHIQ", f.read(16))[3]
        return struct.unpack("<HHII", f.read(12))[3]


def auxv_note(cls, entry):
    word = "<I" if cls == 1 else "<Q"
    desc = struct.pack(word, 9) + struct.pack(word, entry) + struct.pack(word, 0) * 2
    return struct.pack("<III", 5, len(desc), 6) + b"CORE\0\0\0\0" + desc


def fix(inp, outp, kernel=None):
    with open(inp, "rb") as f:
        ident, e_type, e_machine, phdrs = read_elf(f)
        cls = 1 if e_machine == EM_386 else 2
        extra = auxv_note(cls, kernel_entry(kernel)) if kernel else b""
        if extra:
            phdrs.append(dict(type=4, flags=0, offset=None, vaddr=0, paddr=0,
                              filesz=len(extra), memsz=0, align=0))
        if cls == 1:
            phdrs = [p for p in phdrs if p["vaddr"] + p["memsz"] <= 1 << 32
                     and p["paddr"] + p["memsz"] <= 1 << 32]
        ehsize, phentsize = (52, 32) if cls == 1 else (64, 56)
        off = ehsize + phentsize * len(phdrs)
        layout = []
        for p in phdrs:
            if p["type"] != 1:                      # notes first, unaligned
                layout.append((p, off))
                off += p["filesz"]
        for p in phdrs:
            if p["type"] == 1:
                off = (off + 4095) & ~4095
                layout.append((p, off))
                off += p["filesz"]
        layout.sort(key=lambda x: phdrs.index(x[0]))
        with open(outp, "wb") as o:
            new_ident = bytearray(ident)
            new_ident[4] = cls
            new_ident[7] = ELFOSABI_LINUX
            o.write(bytes(new_ident))
            if cls == 1:
                o.write(struct.pack("<HHIIIIIHHHHHH", e_type, e_machine, 1, 0, ehsize, 0, 0,
                                    ehsize, phentsize, len(phdrs), 0, 0, 0))
            else:
                o.write(struct.pack("<HHIQQQIHHHHHH", e_type, e_machine, 1, 0, ehsize, 0, 0,
                                    ehsize, phentsize, len(phdrs), 0, 0, 0))
            for p, poff in layout:
                if cls == 1:
                    o.write(struct.pack("<IIIIIIII", p["type"], poff, p["vaddr"], p["paddr"],
                                        p["filesz"], p["memsz"], p["flags"] or 7, p["align"]))
                else:
                    o.write(struct.pack("<IIQQQQQQ", p["type"], p["flags"] or 7, poff,
                                        p["vaddr"], p["paddr"], p["filesz"], p["memsz"],
                                        p["align"]))
            for p, poff in sorted(layout, key=lambda x: x[1]):
                o.seek(poff)
                if p["offset"] is None:
                    o.write(extra)
                else:
                    copy_range(f, o, p["offset"], p["filesz"])


def main(argv):
    if len(argv) not in (3, 4):
        raise SystemExit(__doc__.split("\n\n")[1])
    if argv[1] == argv[2]:
        raise SystemExit("fixdump: IN and OUT must differ")
    fix(argv[1], argv[2], argv[3] if len(argv) == 4 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
