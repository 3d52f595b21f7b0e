"""lldb backend: ``LldbTarget`` (the Target contract over lldb's SB API) and the command host.

One of the two modules allowed to import ``lldb``.  Like the gdb backend it only asks for bytes,
symbols and DWARF type shapes, and turns every ``SBError`` into the kmemdbg error tree
(pwndbg's ``LLDBProcess.read_memory`` shape).  lldb-19 names C types the clang way (``entry``,
``unsigned long``, ``bool``); ``typenames`` brings both debuggers to the same spelling.
"""

import bisect
import contextlib
import ctypes
import os
import select
import signal
import threading
import time

import lldb

from ..commands import REGISTRY, hints, host, load_commands
from ..access import MAX_READ, TLS_SECTIONS, DataSection, SymbolInfo
from ..access.elffile import zero_fill_ranges
from ..access.errors import MemoryFault, SymbolNotFound, TargetError, TypeNotFound
from ..access.layout import (ARRAY, BOOL, ENUM, FLOAT, FUNC, INT, PTR, STRUCT, UNION, VOID,
                             StructLayout, TypeInfo)
from . import objfiles, typenames

_FLOATS = (lldb.eBasicTypeFloat, lldb.eBasicTypeDouble, lldb.eBasicTypeLongDouble,
           lldb.eBasicTypeHalf)


def type_info(t) -> TypeInfo:
    """Convert an ``SBType`` into a ``TypeInfo`` (outermost typedef kept by name, qualifiers
    dropped), spelled exactly as the gdb backend spells it."""
    typedef = ""
    if t.IsTypedefType():  # before GetUnqualifiedType(), which looks through typedefs
        typedef = t.GetName()
        # One typedef layer at a time: GetCanonicalType() would also strip the typedef of a
        # pointer's target (counter_u64_t -> uint64_t *, whose element keeps "uint64_t").
        while t.IsTypedefType():
            t = t.GetTypedefedType()
    t = t.GetUnqualifiedType()
    cls = t.GetTypeClass()
    size = t.GetByteSize() or 0
    if cls in (lldb.eTypeClassPointer, lldb.eTypeClassReference):
        element = type_info(t.GetPointeeType())
        return TypeInfo(PTR, size, typenames.pointer_name(element), typedef, False, element)
    if cls == lldb.eTypeClassArray:
        element = type_info(t.GetArrayElementType())
        if t.GetName().endswith("[]"):  # lldb-19 sizes a flexible array as one element
            size = 0
        length = size // element.size if element.size else 0
        return TypeInfo(ARRAY, size, typenames.array_name(element, length), typedef, False,
                        element, length)
    if cls in (lldb.eTypeClassStruct, lldb.eTypeClassClass, lldb.eTypeClassUnion):
        kind = UNION if cls == lldb.eTypeClassUnion else STRUCT
        name = typenames.tag_name(kind, t.GetName())
        members = {}
        if name.endswith(typenames.ANONYMOUS):
            _flatten(t, 0, members)
        return TypeInfo(kind, size, name, typedef, members=tuple(members.values()))
    if cls == lldb.eTypeClassEnumeration:
        members = t.GetEnumMembers()
        signed = any(members.GetTypeEnumMemberAtIndex(i).GetValueAsSigned() < 0
                     for i in range(members.GetSize()))
        return TypeInfo(ENUM, size, typenames.tag_name("enum", t.GetName()), typedef, signed)
    if cls == lldb.eTypeClassFunction:
        ret = type_info(t.GetFunctionReturnType())
        return TypeInfo(FUNC, 0, f"{ret.name} ()", typedef)
    basic = t.GetBasicType()
    if basic == lldb.eBasicTypeVoid or (cls == lldb.eTypeClassBuiltin and size == 0):
        return TypeInfo(VOID, 0, "void", typedef)
    if basic == lldb.eBasicTypeBool:
        return TypeInfo(BOOL, size, "_Bool", typedef)
    if basic in _FLOATS:
        return TypeInfo(FLOAT, size, typenames.base_name(t.GetName()), typedef)
    signed = bool(t.GetTypeFlags() & lldb.eTypeIsSigned)
    return TypeInfo(INT, size, typenames.base_name(t.GetName()), typedef, signed)


def _flatten(t, base_bits, out):
    """Add the members of ``t``; anonymous struct/union members are inlined, offsets added."""
    for i in range(t.GetNumberOfFields()):
        m = t.GetFieldAtIndex(i)
        bitpos = base_bits + m.GetOffsetInBits()
        name = m.GetName()
        if not name:
            inner = m.GetType().GetCanonicalType()
            if inner.GetTypeClass() in (lldb.eTypeClassStruct, lldb.eTypeClassUnion):
                _flatten(inner, bitpos, out)
            continue
        if name not in out:
            bits = m.GetBitfieldSizeInBits() if m.IsBitfield() else 0
            out[name] = typenames.make_field(name, bitpos, bits, type_info(m.GetType()))


def _module_name(module):
    return module.GetFileSpec().GetFilename() if module and module.IsValid() else None


def _path(filespec):
    if not filespec or not filespec.IsValid() or not filespec.GetFilename():
        return None
    return os.path.normpath(str(filespec))


class LldbTarget:
    """The Target contract over an ``SBTarget`` and its process (live or core).

    ``current_target(debugger)`` hands out one instance per (target, process, module count),
    so layouts are memoized until modules are loaded or the target changes.
    """

    def __init__(self, target, debugger=None):
        self.target = target
        self.debugger = debugger
        self._layouts = {}
        self._sizes = {}
        self.cache = {}  # kmemdbg.access.target_cache: probes and strategies, per target
        self._data_symbols = None
        self._module_list = None
        # read()'s per-call lookups, made once: current_target() hands out a new instance when
        # the process (a new core, attach or launch) or the modules change.
        self._read_process = None
        self._addr_limit = None
        self._zero_fill = None

    # ---- identity ----------------------------------------------------------------------------

    @property
    def process(self):
        return self.target.GetProcess()

    @property
    def pointer_size(self) -> int:
        return self.target.GetAddressByteSize()

    @property
    def byteorder(self) -> str:
        return "big" if self.target.GetByteOrder() == lldb.eByteOrderBig else "little"

    def _is_core(self):
        p = self.process
        return p.IsValid() and p.GetPluginName() in ("elf-core", "mach-o-core", "minidump",
                                                     "FreeBSDKernel")

    @property
    def is_live(self) -> bool:
        p = self.process
        if not p.IsValid():
            return False
        if hasattr(p, "IsLiveDebugSession"):
            return p.IsLiveDebugSession()
        return not self._is_core()

    @property
    def description(self) -> str:
        exe = _path(self.target.GetExecutable())
        parts = [f"kernel {exe}"]
        p = self.process
        if self._is_core():
            parts.append(f"core {self._core_path() or '?'}")
        elif p.IsValid() and p.GetProcessID():
            parts.append(f"pid {p.GetProcessID()}")
        return ", ".join(parts)

    @property
    def kernel_file(self):
        """Path of the kernel's ELF file (its own ``version[]`` is checked against the core)."""
        return _path(self.target.GetExecutable())

    @property
    def build_id(self):
        """The kernel's GNU build-id (hex), or None: tells snapshots of different kernels apart."""
        modules = self._modules()
        uuid = modules[0].GetUUIDString() if modules else None
        return uuid.replace("-", "").lower() if uuid else None

    # ---- memory ------------------------------------------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        """Read from the process (or core); what an ELF core does not hold (lldb-19 does not
        fall back to the executable's read-only sections for cores, gdb does) is read from the
        module's file through ``SBTarget.ReadMemory``."""
        limit = self._addr_limit
        if limit is None:
            limit = self._addr_limit = 1 << (8 * self.pointer_size)
        if size < 0 or addr < 0 or addr + size > limit or size > MAX_READ:
            raise MemoryFault(addr, size)
        if size == 0:
            return b""
        p = self._read_process
        if p is None:
            p = self.process
            if p.IsValid():     # kept: a process that ends fails its reads from then on
                self._read_process = p
            else:
                p = None
        if p is not None:
            data = self._read_process_memory(p, addr, size)
            if data is not None:
                return data
        data = self._read_file_section(addr, size)
        if data is not None:
            return data
        raise MemoryFault(addr, size)

    def _read_process_memory(self, p, addr, size):
        """``size`` bytes from the process or core, or None.  Where a core segment's memory
        size exceeds its file size lldb-19 returns nothing (or a short read); the memory there
        is zeros, as gdb reads it, so the read goes on across such gaps."""
        err = lldb.SBError()
        data = p.ReadMemory(addr, size, err)
        if err.Success() and data and len(data) == size:    # the usual case: no gap
            return data
        parts, at, end = [], addr, addr + size
        while at < end:
            gap = self._zero_gap(at)
            if gap:
                parts.append(bytes(min(end - at, gap)))
                at += len(parts[-1])
                continue
            err = lldb.SBError()
            data = p.ReadMemory(at, end - at, err)
            if not err.Success() or not data:
                return None
            parts.append(data)
            at += len(data)
        return b"".join(parts)

    def _core_path(self):
        p = self.process
        spec = p.GetCoreFile() if p.IsValid() and hasattr(p, "GetCoreFile") else None
        return _path(spec) if spec is not None else None

    def _zero_gap(self, addr):
        """Bytes of zeros from ``addr`` to the end of its core segment's zero-filled tail
        (``p_filesz .. p_memsz`` of an ELF core's PT_LOAD), or 0."""
        if self._zero_fill is None:
            gaps = sorted(zero_fill_ranges(self._core_path())) if self._is_core() else []
            self._zero_fill = ([start for start, _ in gaps], [end for _, end in gaps])
        starts, ends = self._zero_fill
        i = bisect.bisect_right(starts, addr) - 1      # the segments do not overlap
        return ends[i] - addr if i >= 0 and addr < ends[i] else 0

    def _read_file_section(self, addr, size):
        """The bytes of a loaded module's section as stored in its file (.rodata, .text), or
        None; SBTarget.ReadMemory does not fall back to the file for ELF cores in lldb-19."""
        a = self.target.ResolveLoadAddress(addr)
        section = a.GetSection() if a.IsValid() else None
        if section is None or not section.IsValid():
            return None
        # Read from the whole segment (PT_LOAD), not the section: a string near the end of
        # .rodata may be read together with the bytes of the next section.
        while section.GetParent().IsValid():
            section = section.GetParent()
        offset = addr - section.GetLoadAddress(self.target)
        if offset < 0 or offset + size > section.GetFileByteSize():
            return None
        err = lldb.SBError()
        data = section.GetSectionData(offset, size)
        raw = data.ReadRawData(err, 0, size) if data.IsValid() and data.GetByteSize() == size \
            else None
        return bytes(raw) if err.Success() and raw is not None and len(raw) == size else None

    # ---- symbols -----------------------------------------------------------------------------

    def _modules(self):
        """The kernel and its modules: the executable first, then every other loaded module
        except the host's system libraries.

        Those appear only because a simulated kernel is a userland process; searching their
        debug info (libc's, with libc6-dbg) makes lldb-19 print DWARF diagnostics into the
        middle of a command's output, and a kernel never needs their types or variables.
        """
        if self._module_list is None:
            exe = self.target.GetExecutable()
            first, rest = [], []
            for i in range(self.target.GetNumModules()):
                m = self.target.GetModuleAtIndex(i)
                path = _path(m.GetFileSpec()) or ""
                if exe.IsValid() and m.GetFileSpec() == exe:
                    first.append(m)
                elif path and not objfiles.is_system_object(path):
                    rest.append(m)
            self._module_list = first + rest
        return self._module_list

    def _variable(self, name, modules=None):
        """The ``SBValue`` of a global or file-static variable, or None."""
        for m in modules or self._modules():
            values = m.FindGlobalVariables(self.target, name, 8)
            for i in range(values.GetSize()):
                v = values.GetValueAtIndex(i)
                if v.GetName() == name and v.GetLoadAddress() != lldb.LLDB_INVALID_ADDRESS:
                    return v
        return None

    def symbol_address(self, name: str) -> int:
        v = self._variable(name)
        if v is not None:
            return v.GetLoadAddress()
        # Functions and variables without debug info: the ELF symbol table.
        for ctx in self.target.FindSymbols(name):
            sym = ctx.GetSymbol()
            addr = sym.GetStartAddress().GetLoadAddress(self.target)
            if sym.GetName() == name and addr != lldb.LLDB_INVALID_ADDRESS:
                return addr
        raise SymbolNotFound(name)

    def symbol_type(self, name: str) -> TypeInfo:
        v = self._variable(name)
        if v is None:
            raise SymbolNotFound(name)
        return type_info(v.GetType())

    # ---- types -------------------------------------------------------------------------------

    def _find_type(self, type_name):
        """The complete ``SBType`` named ``type_name`` (``struct uma_zone``, ``u_long``).

        lldb-19 strips the ``struct``/``union``/``enum`` keyword itself and may return a
        typedef of the same name or a forward declaration, so the keyword is checked here
        and a complete definition preferred.
        """
        keyword, name = typenames.split_struct_name(type_name)
        want = {"struct": (lldb.eTypeClassStruct, lldb.eTypeClassClass),
                "union": (lldb.eTypeClassUnion,),
                "enum": (lldb.eTypeClassEnumeration,)}.get(keyword)
        best = None
        for m in self._modules():
            types = m.FindTypes(name)
            for i in range(types.GetSize()):
                t = types.GetTypeAtIndex(i)
                if want is not None and t.GetTypeClass() not in want:
                    continue
                if best is None or (t.IsTypeComplete() and not best.IsTypeComplete()):
                    best = t
            if best is not None and best.IsTypeComplete():
                break
        if best is None and want is None:  # base types ("int") are not in any module's DWARF
            best = self.target.FindFirstType(name) if not self._modules() \
                else self._modules()[0].FindFirstType(name)
            if not best.IsValid():
                best = None
        if best is None:
            raise TypeNotFound(type_name)
        return best

    def layout(self, type_name: str) -> StructLayout:
        layout = self._layouts.get(type_name)
        if layout is None:
            t = self._find_type(type_name).GetCanonicalType()
            if t.GetTypeClass() not in (lldb.eTypeClassStruct, lldb.eTypeClassClass,
                                        lldb.eTypeClassUnion):
                raise TypeNotFound(f"{type_name} (not a struct or union)")
            if not t.IsTypeComplete():
                raise TypeNotFound(f"{type_name} (incomplete)")
            fields = {}
            _flatten(t, 0, fields)
            layout = StructLayout(type_name, t.GetByteSize(), fields)
            self._layouts[type_name] = layout
        return layout

    def type_size(self, type_name: str) -> int:
        size = self._sizes.get(type_name)
        if size is None:
            t = self._find_type(type_name)
            size = t.GetByteSize()
            self._sizes[type_name] = size
        return size

    # ---- attribution -------------------------------------------------------------------------

    def symbolize(self, addr: int):
        """The ELF symbol holding ``addr`` (statics too), its module, and the declaration line
        for a variable or the line of ``addr`` for code (same choice as the gdb backend)."""
        a = self.target.ResolveLoadAddress(addr)
        if not a.IsValid() or not a.GetSection().IsValid():
            return None
        sym = a.GetSymbol()
        if not sym.IsValid() or not sym.GetName():
            return None
        start = sym.GetStartAddress().GetLoadAddress(self.target)
        end = sym.GetEndAddress().GetLoadAddress(self.target)
        name = sym.GetName()
        module = _module_name(a.GetModule())
        file = line = None
        size = end - start if end not in (lldb.LLDB_INVALID_ADDRESS, 0) and end > start else None
        if sym.GetType() == lldb.eSymbolTypeCode:
            entry = a.GetLineEntry()
            if entry.IsValid():
                file, line = _path(entry.GetFileSpec()), entry.GetLine()
        else:
            v = None
            values = a.GetModule().FindGlobalVariables(self.target, name, 8)
            for i in range(values.GetSize()):
                cand = values.GetValueAtIndex(i)
                if cand.GetLoadAddress() == start:
                    v = cand
            if v is not None:
                decl = v.GetDeclaration()
                if decl.IsValid():
                    file, line = _path(decl.GetFileSpec()), decl.GetLine()
                size = v.GetByteSize() or size
        return SymbolInfo(name, start, addr - start, file, line, module, size)

    def data_symbols(self):
        """``(name, address)`` of every data symbol in the kernel's and modules' symbol tables
        (fast; owner lookups read them to find which globals hold a zone pointer)."""
        if self._data_symbols is None:
            found = []
            for m in self._modules():
                for i in range(m.GetNumSymbols()):
                    sym = m.GetSymbolAtIndex(i)
                    if sym.GetType() != lldb.eSymbolTypeData:
                        continue
                    addr = sym.GetStartAddress().GetLoadAddress(self.target)
                    if addr != lldb.LLDB_INVALID_ADDRESS:
                        found.append((sym.GetName(), addr))
            self._data_symbols = found
        return list(self._data_symbols)

    def data_sections(self):
        """Writable leaf sections of the kernel and its modules, at their load addresses."""
        found = []
        for i, m in enumerate(self._modules()):
            name = m.GetFileSpec().GetFilename() or "?"
            todo = [m.GetSectionAtIndex(j) for j in range(m.GetNumSections())]
            while todo:
                sec = todo.pop()
                n = sec.GetNumSubSections()
                if n:
                    todo += [sec.GetSubSectionAtIndex(j) for j in range(n)]
                    continue
                start = sec.GetLoadAddress(self.target)
                size = sec.GetByteSize()
                if (not sec.GetPermissions() & lldb.ePermissionsWritable or size == 0
                        or start == lldb.LLDB_INVALID_ADDRESS or sec.GetName() in TLS_SECTIONS):
                    continue
                found.append(DataSection(name, sec.GetName(), start, start + size, i == 0))
        return sorted(found, key=lambda d: d.start)

    # ---- live control ------------------------------------------------------------------------

    def _interrupt(self, timeout: float = 10.0):
        """Stop a process that still runs, and wait until lldb sees it stopped."""
        p = self.process
        if p.GetState() == lldb.eStateStopped:
            return
        err = p.Stop()
        deadline = time.monotonic() + timeout
        while p.GetState() not in (lldb.eStateStopped, lldb.eStateExited, lldb.eStateDetached):
            if time.monotonic() > deadline:
                raise TargetError(f"cannot interrupt: process still {p.GetState()}")
            time.sleep(0.05)
        if not err.Success() and p.GetState() != lldb.eStateStopped:
            raise TargetError(f"cannot interrupt: {err.GetCString()}")

    def run_for(self, seconds: float):
        """Let a stopped live process run for ``seconds`` and stop it again.

        A synchronous ``Continue`` (its stop is not announced, unlike an asynchronous one's
        "Process N stopped"), ended by a watchdog thread's ``SendAsyncInterrupt`` when the time
        is up or at once on Ctrl-C, which ``_ctrl_c`` makes visible to the watchdog (lldb only
        marks a Ctrl-C for a Python command once the ``Continue`` has returned); then
        ``KeyboardInterrupt`` ends the command, as in gdb.
        """
        if not self.is_live:
            raise TargetError("cannot resume: not a live target")
        if self._interrupt_requested():        # Ctrl-C while the last sample was taken
            raise KeyboardInterrupt
        debugger = self.debugger or self.target.GetDebugger()
        p = self.process
        done = threading.Event()
        pressed = []

        def watchdog(ctrl_c):
            deadline = time.monotonic() + seconds
            while not done.is_set() and time.monotonic() < deadline:
                if select.select([ctrl_c], [], [], 0.1)[0]:
                    pressed.append(True)
                    break
            if not done.is_set():
                p.SendAsyncInterrupt()

        was_async = debugger.GetAsync()
        debugger.SetAsync(False)
        try:
            with _ctrl_c() as ctrl_c:
                thread = threading.Thread(target=watchdog, args=(ctrl_c,), daemon=True)
                thread.start()
                try:
                    err = p.Continue()
                finally:
                    done.set()
                    thread.join()
        finally:
            debugger.SetAsync(was_async)
        if p.GetState() != lldb.eStateStopped:
            self._interrupt()
            if not err.Success():
                raise TargetError(f"cannot resume: {err.GetCString()}")
        if pressed or self._interrupt_requested():
            raise KeyboardInterrupt

    def _interrupt_requested(self):
        debugger = self.debugger or self.target.GetDebugger()
        return debugger.InterruptRequested() or \
            debugger.GetCommandInterpreter().WasInterrupted()


@contextlib.contextmanager
def _ctrl_c():
    """A pipe that receives a byte when the user presses Ctrl-C, meanwhile.

    Python writes the signal number to its wakeup fd from the C signal handler itself, even
    while the main thread is blocked in lldb; lldb's own SIGINT handler (installed from C, so
    Python cannot name it) is saved and put back as raw ``sigaction`` bytes.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    saved = ctypes.create_string_buffer(512)       # larger than any struct sigaction
    libc.sigaction(signal.SIGINT, None, saved)
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.signal(signal.SIGINT, lambda *_: None)
    old_fd = signal.set_wakeup_fd(w)
    try:
        yield r
    finally:
        signal.set_wakeup_fd(old_fd)
        libc.sigaction(signal.SIGINT, saved, None)
        os.close(r)
        os.close(w)


# ---- one target per (target, process, modules) -------------------------------------------------

_current = {}


def current_target(debugger) -> LldbTarget:
    target = debugger.GetSelectedTarget()
    if not target.IsValid():
        raise TargetError("no target selected (use `target create KERNEL --core CORE`)")
    p = target.GetProcess()
    key = (debugger.GetID(), _path(target.GetExecutable()), target.GetNumModules(),
           p.GetUniqueID() if p.IsValid() else None)
    cached = _current.get(debugger.GetID())
    if cached is None or cached[0] != key:
        cached = (key, LldbTarget(target, debugger))
        _current[debugger.GetID()] = cached
    return cached[1]


# ---- command host ------------------------------------------------------------------------------

class _StreamingBuffer(host.OutputBuffer):
    """The command's output, held for ``result.Print`` at the end, except what the command
    flushes (``kmem-watch``, once per sample): that goes to the debugger's output at once."""

    def __init__(self, debugger):
        super().__init__()
        self.debugger = debugger

    def flush(self):
        text = self.getvalue()
        self.parts.clear()
        if text:
            f = self.debugger.GetOutputFile()
            f.Write(text.encode())
            f.Flush()


class KmemdbgCommand:
    """Base of the per-spec classes registered with ``command script add -c``."""

    spec = None

    def __init__(self, debugger, internal_dict):
        pass

    def get_short_help(self):
        return self.spec.summary

    def get_long_help(self):
        return host.command_doc(self.spec)

    def __call__(self, debugger, command, exe_ctx, result):
        out = _StreamingBuffer(debugger)
        try:
            argv = host.lex(command)
        except ValueError as e:
            result.Print(f"{host.ERROR_PREFIX}{self.spec.name}: {e}\n")
            result.SetStatus(lldb.eReturnStatusFailed)      # a usage error: that one line
            return
        status = host.host_run(self.spec, lambda: current_target(debugger), argv, out)
        text = out.getvalue()
        if text:
            result.Print(text)
        if host.is_usage_error(status):
            # Failed without an error text: lldb adds nothing to the usage error's own line, and
            # `lldb -b` still stops and exits non-zero.
            result.SetStatus(lldb.eReturnStatusFailed)
        elif status:
            # A failed status makes `lldb -b` stop and exit non-zero.  lldb prints the error
            # as "error: ...", the same line the gdb host raises.
            result.SetError(host.status_line(self.spec, status))
        else:
            result.SetStatus(lldb.eReturnStatusSuccessFinishResult)


class ReloadCommand:
    """kmemdbg-reload: re-import kmemdbg from its files and install its commands again."""

    def __init__(self, debugger, internal_dict):
        pass

    def get_short_help(self):
        return "Re-import kmemdbg and install its commands again (development aid)."

    def __call__(self, debugger, command, exe_ctx, result):
        import importlib

        host.reload_kmemdbg()
        backend = importlib.import_module("kmemdbg.backends.lldb_backend")
        # Not re-adding kmemdbg-reload itself: replacing the command that is running crashes
        # lldb-19 (it frees the object executing this method).
        n = backend.install(debugger, reload_command=False)
        result.Print(f"kmemdbg: reloaded, {n} commands\n")
        result.SetStatus(lldb.eReturnStatusSuccessFinishNoResult)


def _handle(debugger, line):
    ret = lldb.SBCommandReturnObject()
    debugger.GetCommandInterpreter().HandleCommand(line, ret)
    return ret.Succeeded(), (ret.GetError() or "").strip()


def _add(debugger, class_path, name):
    """``command script add -o -c``; False (and a warning) if lldb refuses."""
    ok, err = _handle(debugger, f"command script add -o -c {class_path} {name}")
    if not ok:
        print(f"kmemdbg: warning: cannot add lldb command {name}: {err}")
    return ok


def install(debugger, specs=None, quiet=True, reload_command=True) -> int:
    """Register an lldb command per ``CommandSpec`` (all of ``REGISTRY`` by default).

    ``command script add -c`` takes a dotted class path which lldb resolves from the module's
    import name, so each spec gets a class attribute of this module.
    """
    if specs is None:
        for mod, err in load_commands():
            print(f"kmemdbg: warning: command module {mod} not loaded: {err}")
        for note in hints.load_notes():
            print(note)
        specs = list(REGISTRY)
    # lldb resolves the dotted class path in its script session namespace, so the module must
    # be imported there (a plain Python import elsewhere is not enough).
    _handle(debugger, f"script import {__name__}")
    g = globals()
    added = 0
    for spec in specs:
        cls_name = "Cmd_" + spec.name.replace("-", "_")
        g[cls_name] = type(cls_name, (KmemdbgCommand,), {"spec": spec,
                                                          "__doc__": host.command_doc(spec)})
        added += _add(debugger, f"{__name__}.{cls_name}", spec.name)
    if reload_command:
        _add(debugger, f"{__name__}.ReloadCommand", "kmemdbg-reload")
    if not quiet:
        print(f"kmemdbg: {added} commands installed")
    return added
