"""The debugger-neutral view of a target: bytes, symbols, type layouts.

Backends (gdb, lldb, the in-memory fake used by unit tests) implement ``Target``.  The surface is
deliberately narrow: the debugger is used for DWARF and memory only, all arithmetic is ours.

Contract (every backend):

``pointer_size`` (4 or 8), ``byteorder`` ("little"/"big"), ``is_live`` (a running process or
remote stub rather than a core), ``description`` (e.g. the core and kernel paths, for headers).

``read(addr, size) -> bytes``
    exactly ``size`` bytes or ``MemoryFault(addr, size)``.

``read_buffer(addr, size)`` (optional)
    the same as any object with the buffer protocol (gdb's own, not copied into ``bytes``);
    ``access.pagecache.read_buffer`` falls back to ``read``.

``view(addr, size)`` (the command runner's page cache only)
    ``(buffer, offset)``: the cached page holding the bytes, not copied; ``viewer`` falls
    back to ``(read(addr, size), 0)``.

``symbol_address(name) -> int``
    address of a global or file-static variable (``uma_kegs`` is static in uma_core.c);
    ``SymbolNotFound(name)`` otherwise.

``symbol_type(name) -> TypeInfo``
    the declared type of that variable (``__pcpu`` is an array before 13 and a pointer after;
    ``all_cpus`` is ``cpumask_t`` or ``cpuset_t``).

``layout(type_name) -> StructLayout``
    ``type_name`` spelled ``struct uma_zone``; ``TypeNotFound``.  Backends memoize per target.

``type_size(type_name) -> int``
    ``sizeof`` any named type (struct, typedef, base type); ``TypeNotFound``.

``symbolize(addr) -> SymbolInfo or None``
    the variable or function containing ``addr``, with source file/line and module (the
    kernel or a loaded module's file name).

``kernel_file`` (optional attribute)
    path of the kernel's ELF file, or None; every command compares its own ``version[]`` and
    build-id with the core's memory (``kernel.release.check_kernel_match``).

``build_id`` (optional attribute)
    the kernel's GNU build-id as hex, or None; snapshots record it so diffs can warn when two
    snapshots come from different kernels.

``data_symbols()``
    ``(name, address)`` of every data/bss symbol in the ELF symbol tables of the kernel and its
    modules, statics included; owner lookups compare their values with zone addresses.

``data_sections()`` (optional)
    ``DataSection``s: the allocated, writable sections (``.data``, ``.bss``, ``set_*`` linker
    sets, ...; not thread-local templates) of the main executable (the kernel) and of every
    loaded object file (modules), at their load addresses, once each.  The reachability scan
    starts from them.

``run_for(seconds)``
    live targets only (``TargetError`` on a core): let the stopped target run for that long and
    stop it again, never leaving it running (kmem-watch).

``run_memo`` (optional attribute)
    a dict that lives for one command run (the runner's page cache has one; ``kmem-watch``
    gets a new one per sample): walks memoized with ``per_run``, so one command that needs the
    zones twice (``kmem-diff`` against the target: the snapshot, then the owners) walks once.

``cache`` (optional attribute)
    a dict where the debugger-neutral layers memoize what they learn once per kernel: probe
    results and the reader strategy they choose.  Backends reset it (``target.cache = {}`` or
    ``.clear()``) when the objfile, core or process changes.  ``target_cache()`` attaches one
    to a target that has none.  Kernel *values* (counts, pointers) are never kept there.
"""

import functools
import gc
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

from .errors import (BoundExceeded, CommandArgumentError, CorruptionError, CycleError,  # noqa: F401
                     FieldNotFound, KmemdbgError, MemoryFault, SymbolNotFound, TargetError,
                     TypeNotFound, UnsupportedLayout)
from .layout import Field, StructLayout, TypeInfo  # noqa: F401
from .record import Record, read_array, read_record  # noqa: F401

PAGE = 4096  # the unit in which target memory is mapped (and cached by target.pagecache)
# The most one read may ask of a backend.  kmemdbg's own reads stay far below it (a per-CPU block
# is 4 MiB on 1024 CPUs, a scan reads 1 MiB at a time); a larger size comes from a corrupt field
# (a keg's uk_size of 0xffffffff made a 60 GB slab read), and handed to the debugger it would
# end the session: gdb stops with "virtual memory exhausted", lldb's bindings allocate it all.
MAX_READ = 256 << 20


@dataclass(frozen=True)
class SymbolInfo:
    """Where an address or variable comes from."""

    name: str
    address: int
    offset: int = 0              # addr - address
    file: Optional[str] = None   # source file as recorded in the debug info
    line: Optional[int] = None
    module: Optional[str] = None  # file name of the kernel or loaded module holding it
    size: Optional[int] = None


@dataclass(frozen=True)
class DataSection:
    """A writable section of a loaded object file, ``[start, end)`` at its load address."""

    module: str     # file name of the object file (the kernel's, a module's)
    name: str       # ".data", ".bss", ...
    start: int
    end: int
    main: bool      # the main executable (the kernel), not a loaded module or library


TLS_SECTIONS = (".tdata", ".tbss")  # per-thread templates: not where globals live


def target_cache(target) -> dict:
    """The per-target memo dict (see ``cache`` above), created on first use."""
    cache = getattr(target, "cache", None)
    if cache is None:
        cache = {}
        target.cache = cache
    return cache


def probe(fn):
    """Memoize a probe's answer (a fact of the kernel's debug info) in ``target.cache``."""
    key = "probe:" + fn.__name__

    @functools.wraps(fn)
    def wrapper(target):
        cache = target_cache(target)
        if key not in cache:
            cache[key] = fn(target)
        return cache[key]
    return wrapper


def per_run(fn):
    """Memoize a walk ``fn(target, *args)`` for the command run (``target.run_memo``); a target
    without one (unit tests on a bare fake) walks every time."""
    name = fn.__qualname__

    @functools.wraps(fn)
    def wrapper(target, *args, **kwargs):
        memo = getattr(target, "run_memo", None)
        if memo is None:
            with collector_paused():
                return fn(target, *args, **kwargs)
        key = (name, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            with collector_paused():
                memo[key] = fn(target, *args, **kwargs)
        return memo[key]
    return wrapper


@contextmanager
def collector_paused():
    """Python's cycle collector off for a walk, back to its state after.

    A walk allocates tens of thousands of small objects that live until the command ends
    (records, statistics, rows); each batch of them sets off the collector, whose passes
    traverse the debugger's whole heap: on a thousand zones that cost more than the walk's own
    arithmetic.  Nothing a walk builds refers back to itself, so reference counting frees all
    of it; the collector runs again as soon as the walk is done.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def safe_text(text: str) -> str:
    """A string from the dump (or a file) made safe to print: every byte outside printable
    ASCII becomes ``\\xNN``, so a damaged or crafted name cannot send control bytes or
    terminal escape sequences to the user's terminal, and JSON/CSV stay plain text.

    Idempotent (``\\`` is printable and kept), so text already made safe passes unchanged.
    """
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" if ord(c) < 256
                   else f"\\u{ord(c):04x}" for c in text)


def viewer(target):
    """``view(addr, size) -> (buffer, offset)``, the ``size`` bytes at ``addr`` being
    ``buffer[offset:offset + size]``: the page cache's (``PageCache.view``: the cached page
    itself, not a copy), else the same over ``target.read`` (offset 0).  Raises ``MemoryFault``."""
    view = getattr(target, "view", None)
    return view if view is not None else lambda addr, size: (target.read(addr, size), 0)


def read_cbytes(target, addr: int, limit: int = 32, view=None) -> bytes:
    """The raw bytes of a NUL-terminated string, at most ``limit - 1`` of them (MEMTYPE_MAXNAME
    rule); ``read_cstring`` is what gets printed.  ``view``: ``viewer(target)``, where the
    caller reads thousands of names and has it already.

    Searches the whole window at once, in the cached page where there is one (``viewer``),
    and falls back to shorter reads when the window crosses into unmapped memory, so a name at
    the end of a page still reads.
    """
    try:
        data, start = (view or viewer(target))(addr, limit)
    except MemoryFault:
        # Retry up to the next page boundary only; if that fails too, the pointer is bad.
        size = PAGE - (addr % PAGE)
        if limit <= size:
            raise MemoryFault(addr, limit, "string") from None
        try:
            data, start = target.read(addr, size), 0
        except MemoryFault:
            raise MemoryFault(addr, size, "string") from None
    end = data.find(b"\0", start, start + limit - 1)
    return data[start:start + limit - 1] if end < 0 else data[start:end]


def read_cstring(target, addr: int, limit: int = 32, view=None) -> str:
    """A NUL-terminated string of the dump, bounded (``read_cbytes``) and made safe to print
    (``safe_text``): every string kmemdbg shows from a dump is read here.

    Thousands of names per walk: the common case, a window that lies in one readable page, is
    searched here without a call to ``read_cbytes`` (which handles a window running into
    unmapped memory), and a printable name passes without a call to ``safe_text``.
    """
    try:
        data, start = (view or viewer(target))(addr, limit)
    except MemoryFault:
        data, start = read_cbytes(target, addr, limit), 0
    end = data.find(b"\0", start, start + limit - 1)
    text = data[start:end if end >= 0 else start + limit - 1].decode("latin-1")
    return text if text.isascii() and text.isprintable() else safe_text(text)
