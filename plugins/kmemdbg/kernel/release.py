"""The kernel's identity: the ``version`` banner and ``osreldate`` for display, and the check
that the core was made by the kernel file loaded with it.

Never a decision input for structure layouts; only the vmstat text format of 13.x-15 (which
the kernel's structures cannot tell apart) is chosen from ``osreldate``.

A core read with the wrong kernel file gives garbage that looks like numbers (lldb slides a PIE
kernel onto whatever the core maps), so every command first compares the file's own copy of
``version[]`` (and its GNU build-id, where the core holds the note) with the core's memory.
"""

from dataclasses import dataclass
from typing import Optional

from ..access import read_cbytes, safe_text, target_cache
from ..access.elffile import NotElf, kernel_file_facts
from ..access.errors import KernelMismatch, KmemdbgError, MemoryFault
from .memory import read_symbol_int


@dataclass(frozen=True)
class Release:
    version: Optional[str]
    osreldate: Optional[int]


def read_release(target):
    """Read ``version`` (first line) and ``osreldate``; either may be ``None``."""
    try:
        version = _first_line(read_cbytes(target, target.symbol_address("version"), 256))
    except KmemdbgError:
        version = None
    try:
        osreldate = read_symbol_int(target, "osreldate")
    except KmemdbgError:
        osreldate = None
    return Release(version, osreldate)


def _first_line(raw):
    """The banner's first line, safe to print, or None when empty."""
    return safe_text(raw.split(b"\n")[0].strip().decode("latin-1")) or None


def _file_facts(target):
    """The kernel file's own ``version`` and build-id (memoized: a fact of the file), or None
    when the backend names no file or it is not an ELF file this reader understands."""
    path = getattr(target, "kernel_file", None)
    if not path:
        return None
    cache = target_cache(target)
    key = "kernel-file:" + path
    if key not in cache:
        try:
            cache[key] = kernel_file_facts(path)
        except (OSError, NotElf, ValueError):
            cache[key] = None
    return cache[key]


def check_kernel_match(target):
    """Refuse a core that the loaded kernel file did not make.

    Compares the file's ``version[]`` with the target's memory at ``version``, requires the
    core to hold the kernel's ``.bss``, then compares the file's GNU build-id note with the
    memory at the note's address (moved by the same load bias), when the core holds it.  An
    unreadable ``version`` or note is not a mismatch: a damaged core still prints what it holds,
    and the reads that fail say so themselves.

    :raises KernelMismatch: naming both versions (or build-ids) and the address compared.
    """
    facts = _file_facts(target)
    if facts is None or facts.version is None:
        return
    try:
        addr = target.symbol_address("version")
    except KmemdbgError:
        return
    bias = addr - facts.version_addr
    if facts.bss is not None and not target.is_live:
        # Both debuggers may answer a read the core cannot with the file's bytes, so a matching
        # version proves nothing unless the core holds the kernel's data: .bss has no bytes in
        # the file (and gdb does not relocate a PIE kernel onto a core it does not recognize).
        try:
            target.read(facts.bss + bias, 1)
        except MemoryFault:
            raise KernelMismatch(
                f"the core holds no memory at the kernel's .bss ({facts.bss + bias:#x}): it was "
                f"not made by \"{_first_line(facts.version)}\", or it is cut short "
                f"({_described(target)}); {_OVERRIDE}") from None
    try:
        core = target.read(addr, len(facts.version) + 1)
    except MemoryFault:
        core = None
    if core is not None and core != facts.version + b"\0":
        held = _first_line(read_cbytes(target, addr, 256)) or ""
        raise KernelMismatch(
            f"the core was not made by this kernel: the kernel file is "
            f"\"{_first_line(facts.version)}\" but the core's version[] at {addr:#x} holds "
            f"\"{held}\" ({_described(target)}); {_OVERRIDE}")
    if facts.build_id is None:
        return
    note_addr, build_id = facts.build_id
    note_addr += bias
    try:
        core_id = target.read(note_addr, len(build_id))
    except MemoryFault:
        return
    if core_id != build_id:
        raise KernelMismatch(
            f"the core was not made by this kernel: the kernel file has build-id "
            f"{build_id.hex()} but the core holds {core_id.hex()} at {note_addr:#x} (same version "
            f"\"{_first_line(facts.version)}\", another build; {_described(target)}); {_OVERRIDE}")


def _described(target):
    return getattr(target, "description", None) or "kernel and core"


_OVERRIDE = "load the matching kernel, or pass --force (or set KMEMDBG_FORCE=1) to read it anyway"
