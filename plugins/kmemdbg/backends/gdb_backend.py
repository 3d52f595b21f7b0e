"""gdb/kgdb backend: ``GdbTarget`` (the Target contract over gdb's Python API) and the command host.

One of the two modules allowed to import ``gdb``.  It only asks gdb for bytes, symbols and
DWARF type shapes; every gdb exception is translated into the kmemdbg error tree here
(pwndbg's ``dbg/gdb.py`` shape, narrowed to what ``kmemdbg.access`` documents).
"""

import contextlib
import os
import re
import threading

import gdb

from ..commands import REGISTRY, hints, host, load_commands
from ..access import MAX_READ, TLS_SECTIONS, DataSection, SymbolInfo
from ..access.errors import MemoryFault, SymbolNotFound, TargetError, TypeNotFound
from ..access.layout import (ARRAY, BOOL, ENUM, FLOAT, FUNC, INT, PTR, STRUCT, UNION, VOID,
                             StructLayout, TypeInfo)
from . import objfiles, typenames

_CODES = {
    gdb.TYPE_CODE_INT: INT, gdb.TYPE_CODE_CHAR: INT, gdb.TYPE_CODE_BOOL: BOOL,
    gdb.TYPE_CODE_ENUM: ENUM, gdb.TYPE_CODE_FLT: FLOAT, gdb.TYPE_CODE_PTR: PTR,
    gdb.TYPE_CODE_STRUCT: STRUCT, gdb.TYPE_CODE_UNION: UNION, gdb.TYPE_CODE_ARRAY: ARRAY,
    gdb.TYPE_CODE_FUNC: FUNC, gdb.TYPE_CODE_VOID: VOID,
}


def _sizeof(t) -> int:
    try:
        return t.sizeof
    except gdb.error:  # incomplete (opaque) struct, function type
        return 0


def type_info(t) -> TypeInfo:
    """Convert a ``gdb.Type`` into a ``TypeInfo``: outermost typedef kept by name, then resolved.

    Qualifiers (``const``, ``volatile``) are dropped: kmemdbg needs shapes, not C semantics, and
    gdb and lldb spell qualified names differently.
    """
    typedef = ""
    t = t.unqualified()
    if t.code == gdb.TYPE_CODE_TYPEDEF:
        typedef = t.name or ""
        t = t.strip_typedefs().unqualified()
    kind = _CODES.get(t.code, INT)
    size = _sizeof(t)
    if kind == PTR:
        element = type_info(t.target())
        return TypeInfo(PTR, size, typenames.pointer_name(element), typedef, False, element)
    if kind == ARRAY:
        element = type_info(t.target())
        length = 0
        if size:
            lo, hi = t.range()
            length = hi - lo + 1
        return TypeInfo(ARRAY, size, typenames.array_name(element, length), typedef, False,
                        element, length)
    if kind in (STRUCT, UNION):
        name = typenames.tag_name(kind, t.tag or t.name)
        members = {}
        if name.endswith(typenames.ANONYMOUS):
            _flatten(t, 0, members)
        return TypeInfo(kind, size, name, typedef, members=tuple(members.values()))
    if kind == ENUM:
        signed = any(f.enumval < 0 for f in t.fields())
        return TypeInfo(ENUM, size, typenames.tag_name("enum", t.tag or t.name), typedef, signed)
    if kind == FUNC:
        ret = type_info(t.target()) if t.target() is not None else TypeInfo(VOID, 0, "void")
        return TypeInfo(FUNC, 0, f"{ret.name} ()", typedef)
    if kind == VOID:
        return TypeInfo(VOID, 0, "void", typedef)
    signed = False
    if kind == INT:
        try:
            signed = t.is_signed
        except (gdb.error, AttributeError, ValueError):
            signed = not (t.name or "").startswith("unsigned")
    return TypeInfo(kind, size, typenames.base_name(t.name or str(t)), typedef, signed)


def _flatten(t, base_bits, out):
    """Add the members of struct/union type ``t`` to ``out``; anonymous members are inlined
    with their offsets added, the way C code names them."""
    for f in t.fields():
        if not hasattr(f, "bitpos"):  # static members (C++ only)
            continue
        bitpos = base_bits + f.bitpos
        if not f.name:
            inner = f.type.strip_typedefs()
            if inner.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
                _flatten(inner, bitpos, out)
            continue
        if f.name not in out:
            out[f.name] = typenames.make_field(f.name, bitpos, f.bitsize, type_info(f.type))


def _read_memory(addr, size):
    """``size`` bytes at ``addr`` of the selected inferior, as gdb's memoryview."""
    if size < 0 or addr < 0 or size > MAX_READ:
        raise MemoryFault(addr, size)
    if size == 0:
        return memoryview(b"")
    try:
        data = gdb.selected_inferior().read_memory(addr, size)
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        raise MemoryFault(addr, size) from None
    if len(data) != size:
        raise MemoryFault(addr, size)
    return data


class GdbTarget:
    """The Target contract (see ``kmemdbg.access``) over the selected gdb inferior.

    Layouts and type sizes are memoized in the instance; ``current_target()`` hands out one
    instance until gdb reports a new or cleared objfile, a new inferior or an exit.
    """

    def __init__(self):
        self._layouts = {}
        self._sizes = {}
        self.cache = {}  # kmemdbg.access.target_cache: probes and strategies, per target
        self._data_symbols = None
        self._pointer_size = None
        self._byteorder = None

    # ---- identity ----------------------------------------------------------------------------

    @property
    def pointer_size(self) -> int:
        if self._pointer_size is None:
            self._pointer_size = gdb.lookup_type("void").pointer().sizeof
        return self._pointer_size

    @property
    def byteorder(self) -> str:
        if self._byteorder is None:
            text = gdb.execute("show endian", to_string=True)
            self._byteorder = "big" if "big endian" in text else "little"
        return self._byteorder

    @staticmethod
    def _connection_type():
        conn = getattr(gdb.selected_inferior(), "connection", None)
        return getattr(conn, "type", None) if conn is not None else None

    @property
    def is_live(self) -> bool:
        """A process or remote stub, not a core (gdb "core", kgdb "vmcore" connections)."""
        inf = gdb.selected_inferior()
        return bool(inf.pid) and self._connection_type() not in (None, "core", "vmcore")

    @property
    def description(self) -> str:
        inf = gdb.selected_inferior()
        parts = [f"kernel {inf.progspace.filename}"]
        conn = self._connection_type()
        if conn in ("core", "vmcore"):
            m = re.search(r"core dump file:\s*`([^']+)'",
                          gdb.execute("info files", to_string=True))
            parts.append(f"core {m.group(1) if m else '?'}")
        elif inf.pid:
            parts.append(f"pid {inf.pid}" if conn == "native" else f"{conn} pid {inf.pid}")
        return ", ".join(parts)

    @property
    def kernel_file(self):
        """Path of the kernel's ELF file (its own ``version[]`` is checked against the core)."""
        return gdb.selected_inferior().progspace.filename

    @property
    def build_id(self):
        """The kernel's GNU build-id (hex), or None: tells snapshots of different kernels apart."""
        try:
            objfile = gdb.current_progspace().objfiles()[0]
        except (IndexError, gdb.error):
            return None
        return objfile.build_id

    # ---- memory ------------------------------------------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        return _read_memory(addr, size).tobytes()

    # The bytes as gdb returns them, not copied into ``bytes`` (a per-CPU block is a MiB on 256
    # CPUs; the page cache keeps pages so): the function itself, a frame less per page read.
    read_buffer = staticmethod(_read_memory)
    reads_in_place = True      # large reads cost no copy: Zpcpu reads a per-CPU block whole

    # ---- symbols -----------------------------------------------------------------------------

    @staticmethod
    def _lookup(name):
        """A variable's ``gdb.Symbol``: globals first, then file statics (``uma_kegs`` in
        uma_core.c) in any objfile (the kernel or a module)."""
        try:
            sym = gdb.lookup_global_symbol(name, gdb.SYMBOL_VAR_DOMAIN)
            if sym is None:
                sym = gdb.lookup_static_symbol(name, gdb.SYMBOL_VAR_DOMAIN)
        except gdb.error:
            sym = None
        if sym is not None and sym.addr_class in (gdb.SYMBOL_LOC_TYPEDEF,
                                                  gdb.SYMBOL_LOC_CONST):
            sym = None
        return sym

    def symbol_address(self, name: str) -> int:
        sym = self._lookup(name)
        try:
            if sym is not None:
                if sym.addr_class == gdb.SYMBOL_LOC_BLOCK:  # a function
                    return int(sym.value().address or sym.value())
                return int(sym.value().address)
            # No debug info for it: the ELF symbol table still knows (minimal symbol).
            return int(gdb.parse_and_eval(f"(unsigned long)&'{name}'"))
        except (gdb.error, gdb.MemoryError, TypeError):
            raise SymbolNotFound(name) from None

    def symbol_type(self, name: str) -> TypeInfo:
        sym = self._lookup(name)
        if sym is None:
            raise SymbolNotFound(name)
        return type_info(sym.type)

    # ---- types -------------------------------------------------------------------------------

    @staticmethod
    def _lookup_type(type_name):
        try:
            return gdb.lookup_type(type_name)
        except gdb.error:
            raise TypeNotFound(type_name) from None

    def layout(self, type_name: str) -> StructLayout:
        layout = self._layouts.get(type_name)
        if layout is None:
            t = self._lookup_type(type_name).strip_typedefs()
            if t.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
                raise TypeNotFound(f"{type_name} (not a struct or union)")
            try:
                size = t.sizeof
                fields = {}
                _flatten(t, 0, fields)
            except gdb.error:  # declared but never defined in this debug info
                raise TypeNotFound(f"{type_name} (incomplete)") from None
            layout = StructLayout(type_name, size, fields)
            self._layouts[type_name] = layout
        return layout

    def type_size(self, type_name: str) -> int:
        size = self._sizes.get(type_name)
        if size is None:
            try:
                size = self._lookup_type(type_name).strip_typedefs().sizeof
            except gdb.error:
                raise TypeNotFound(type_name) from None
            self._sizes[type_name] = size
        return size

    # ---- attribution -------------------------------------------------------------------------

    def symbolize(self, addr: int):
        """The variable or function holding ``addr`` (ELF symbol table, so statics too), with
        the declaration line for variables and the line of ``addr`` for code."""
        try:
            text = gdb.execute(f"info symbol {addr:#x}", to_string=True).strip()
        except gdb.error:
            return None
        m = re.match(r"^(.+?)(?: \+ (\d+))? in section (\S+)", text)
        if not m:
            return None
        name, offset = m.group(1), int(m.group(2) or 0)
        module = file = line = size = None
        try:  # Progspace.objfile_for_address is gdb 14+; solib_name is None for the executable
            progspace = gdb.current_progspace()
            module = os.path.basename(progspace.solib_name(addr) or progspace.filename or "")
        except gdb.error:
            pass
        sym = self._lookup(name)
        if sym is None:
            try:
                sym = gdb.lookup_symbol(name)[0]
            except gdb.error:
                sym = None
        if sym is not None and sym.addr_class == gdb.SYMBOL_LOC_BLOCK:
            sal = gdb.find_pc_line(addr)
            if sal.symtab is not None:
                file, line = sal.symtab.fullname(), sal.line
            try:
                block = gdb.block_for_pc(addr)
                while block is not None and block.function is None:
                    block = block.superblock
                if block is not None:
                    size = block.end - block.start
            except (gdb.error, RuntimeError):
                pass
        elif sym is not None:
            if sym.symtab is not None:
                file, line = sym.symtab.fullname(), sym.line
            size = _sizeof(sym.type) or None
        return SymbolInfo(name, addr - offset, offset, file, line, module, size)

    def data_symbols(self):
        """``(name, address)`` of every data and bss symbol in the ELF symbol tables.

        Minimal symbols need no debug info expanded, so this is fast even on a 100 MB
        kernel.debug (asking the debug info for every variable of a type takes many seconds);
        owner lookups read these variables' values to find which globals hold a zone pointer.
        """
        if self._data_symbols is None:
            try:
                text = gdb.execute("maint print msymbols", to_string=True)
            except gdb.error:
                text = ""
            # D/d data, B/b bss (global/file-static); S would be PLT trampolines, T/t code.
            self._data_symbols = [(m.group(3), int(m.group(2), 16)) for m in
                                  re.finditer(r"^\[\s*\d+\] [DdBb] (0x)?([0-9a-fA-F]+) (\S+)",
                                              text, re.M)]
        return list(self._data_symbols)

    _SECTION_HEAD = re.compile(r"^(\w+) file: `(.*)', file type")
    _SECTION = re.compile(r"^\s*\[\s*\d+\]\s+0x([0-9a-f]+)->0x([0-9a-f]+) at 0x[0-9a-f]+: "
                          r"(\S+) (.*)$")

    def data_sections(self):
        """Writable sections of the kernel and its modules (``maint info sections``: gdb's
        Python API has no section list), at their load addresses; host system libraries and
        separate debug files under them are left out, as lldb's module list does."""
        try:
            text = gdb.execute("maint info sections -all-objects ALLOC", to_string=True)
        except gdb.error:
            return []
        found, seen, module, main = [], set(), None, False
        for line in text.splitlines():
            head = self._SECTION_HEAD.match(line)
            if head:
                main, path = head.group(1) == "Exec", head.group(2)
                module = os.path.basename(path) if main or (
                    head.group(1) == "Object" and not objfiles.is_system_object(path)) else None
                continue
            m = self._SECTION.match(line)
            if module is None or m is None:
                continue
            start, end, name, flags = int(m.group(1), 16), int(m.group(2), 16), m.group(3), \
                m.group(4).split()
            if ("READONLY" in flags or "CODE" in flags or end <= start or name in TLS_SECTIONS
                    or (start, end) in seen):
                continue
            seen.add((start, end))
            found.append(DataSection(module, name, start, end, main))
        return sorted(found, key=lambda d: d.start)

    # ---- live control ------------------------------------------------------------------------

    def run_for(self, seconds: float):
        """Let a stopped live target run for ``seconds`` and stop it again.

        A synchronous ``continue`` keeps gdb's event loop turning; a timer thread posts an
        ``interrupt`` into that loop (``gdb.post_event`` is the only thread-safe entry into gdb),
        so the ``continue`` returns with the target stopped (SIGINT, not passed on), never
        left running, never killed.  gdb's stop notice ("Program received signal SIGINT") goes
        to /dev/null while it runs (``_quiet_stops``): it is ours, not news.  A stop before the timer fired is the
        user's Ctrl-C (gdb stops the target at once): ``KeyboardInterrupt``, target stopped.
        """
        if not self.is_live:
            raise TargetError("cannot resume: not a live target")
        state = {"fired": False, "running": True}

        def interrupt():
            if state["running"]:        # not after a Ctrl-C already ended the continue
                gdb.execute("interrupt", to_string=True)

        def stop():
            state["fired"] = True
            gdb.post_event(interrupt)

        timer = threading.Timer(seconds, stop)
        timer.start()
        try:
            with _quiet_stops():
                gdb.execute("continue", to_string=True)
        except gdb.error as e:
            raise TargetError(f"cannot resume: {e}") from None
        finally:
            state["running"] = False
            timer.cancel()
        if not gdb.selected_inferior().pid:
            raise TargetError("the target exited while it ran")
        if not state["fired"]:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _quiet_stops():
    """gdb's terminal output goes to /dev/null meanwhile: the stop notices of a ``continue``
    ("Program received signal SIGINT", the frame) are printed by gdb's console interpreter
    straight to its terminal, past ``to_string``, ``set logging`` and
    ``suppress-cli-notifications`` alike, so file descriptors 1 and 2 are swapped for a while."""
    gdb.flush()
    saved = [os.dup(fd) for fd in (1, 2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            os.dup2(null, fd)
        yield
    finally:
        gdb.flush()
        for fd, copy in zip((1, 2), saved):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)


# ---- one target per program space, until the objfiles change ------------------------------------

_current = None
_events_connected = False


def _invalidate(*_args):
    global _current
    _current = None


def current_target() -> GdbTarget:
    """The ``GdbTarget`` for the selected inferior; rebuilt after objfile/inferior changes."""
    global _current, _events_connected
    if not _events_connected:
        for name in ("new_objfile", "clear_objfiles", "exited", "new_inferior",
                     "inferior_deleted"):
            registry = getattr(gdb.events, name, None)
            if registry is not None:
                registry.connect(_invalidate)
        _events_connected = True
    key = (gdb.selected_inferior().num, gdb.selected_inferior().pid)
    if _current is None or _current[0] != key:
        _current = (key, GdbTarget())
    return _current[1]


def _disconnect_events():
    global _events_connected
    if not _events_connected:
        return
    for name in ("new_objfile", "clear_objfiles", "exited", "new_inferior", "inferior_deleted"):
        registry = getattr(gdb.events, name, None)
        if registry is not None:
            try:
                registry.disconnect(_invalidate)
            except (ValueError, RuntimeError, SystemError):
                pass
    _events_connected = False


# ---- command host -----------------------------------------------------------------------------

class _Writer:
    """Writes to gdb as the command prints, but holds an error line back until something follows
    it: a usage error's line, last of all, is raised as the gdb error itself (one line)."""

    def __init__(self):
        self.held = None

    def write(self, text):
        self._release()
        if text.startswith(host.ERROR_PREFIX):
            self.held = text
        else:
            gdb.write(text)
        return len(text)

    def _release(self):
        if self.held is not None:
            gdb.write(self.held)
            self.held = None

    def finish(self, status):
        """Print what is held, or :raise gdb.GdbError: with it for a usage error."""
        held, self.held = self.held, None
        if held is not None and host.is_usage_error(status):
            raise gdb.GdbError(held.rstrip("\n"))
        if held is not None:
            gdb.write(held)

    def flush(self):
        gdb.flush()


class KmemdbgCommand(gdb.Command):
    """Base of the per-spec classes; ``install`` gives each its spec and docstring."""

    spec = None

    def __init__(self):
        super().__init__(self.spec.name, gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        self.dont_repeat()
        try:
            argv = gdb.string_to_argv(argument)
        except (gdb.error, ValueError) as e:
            raise gdb.GdbError(f"kmemdbg: error: {self.spec.name}: {e}") from None
        out = _Writer()
        status = host.host_run(self.spec, current_target, argv, out)
        gdb.set_convenience_variable("kmemdbg_status", status)
        out.finish(status)
        if status:
            # The reason is already printed; a GdbError makes `gdb -batch` exit non-zero and
            # stops a sourced script, like any failed gdb command.  Worded so that gdb and lldb
            # (which prefixes "error: " itself) print the same line.
            raise gdb.GdbError(f"error: {host.status_line(self.spec, status)}")


class _ReloadCommand(gdb.Command):
    """Re-import kmemdbg from its files and install its commands again (development aid)."""

    def __init__(self):
        super().__init__("kmemdbg-reload", gdb.COMMAND_MAINTENANCE)

    def invoke(self, argument, from_tty):
        import importlib

        self.dont_repeat()
        _disconnect_events()
        host.reload_kmemdbg()
        backend = importlib.import_module("kmemdbg.backends.gdb_backend")
        n = backend.install(reload_command=False)  # never replace the running command
        gdb.write(f"kmemdbg: reloaded, {n} commands\n")


def install(specs=None, quiet=True, reload_command=True) -> int:
    """Register a gdb command per ``CommandSpec`` (all of ``REGISTRY`` by default).

    :return: the number of commands registered (``kmemdbg-reload`` not counted).
    """
    if specs is None:
        for mod, err in load_commands():
            gdb.write(f"kmemdbg: warning: command module {mod} not loaded: {err}\n")
        for note in hints.load_notes():
            gdb.write(note + "\n")
        specs = list(REGISTRY)
    for spec in specs:
        cls = type(f"Cmd_{spec.name.replace('-', '_')}", (KmemdbgCommand,),
                   {"spec": spec, "__doc__": host.command_doc(spec)})
        cls()
    if reload_command:
        _ReloadCommand()
    if not quiet:
        gdb.write(f"kmemdbg: {len(specs)} commands installed\n")
    return len(specs)
