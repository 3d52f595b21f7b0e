"""Error tree shared by every layer.

Backends translate debugger errors (``gdb.MemoryError``, ``gdb.error``, ``lldb.SBError``) into
these, so walkers and commands never see a debugger type.  Every message names what failed:
the symbol, ``struct.member`` or address, because a crash dump is read by someone who needs to
know which structure is damaged, not where our Python failed.
"""


class KmemdbgError(Exception):
    """Base of all errors a command reports as one ``kmemdbg: error:`` line."""


class TargetError(KmemdbgError):
    """The target (core, live process, remote stub) could not give what was asked."""


class MemoryFault(TargetError):
    def __init__(self, addr, size, what=None):
        self.addr = addr
        self.size = size
        self.what = what
        where = f"{what} at " if what else ""
        super().__init__(f"cannot read {size} bytes of {where}{addr:#x}")


class SymbolNotFound(TargetError):
    def __init__(self, name):
        self.name = name
        super().__init__(f"symbol '{name}' not found (is this a FreeBSD kernel with debug info?)")


class TypeNotFound(TargetError):
    def __init__(self, name):
        self.name = name
        super().__init__(f"type '{name}' not found in the debug info")


class FieldNotFound(TargetError):
    def __init__(self, type_name, field):
        self.type_name = type_name
        self.field = field
        super().__init__(f"{type_name} has no member '{field}'")


class CorruptionError(KmemdbgError):
    """A structure in the target is inconsistent (cycle, absurd count, bad pointer)."""


class CycleError(CorruptionError):
    def __init__(self, head, member, last_good, repeated):
        self.head = head
        self.member = member
        super().__init__(
            f"cycle in list {head} via {member}: element {last_good:#x} points back to {repeated:#x}")


class BoundExceeded(CorruptionError):
    def __init__(self, what, bound):
        super().__init__(f"{what}: more than {bound} elements, giving up (corrupt list?)")


class Misaligned(CorruptionError):
    def __init__(self, what, addr, align):
        self.addr = addr
        super().__init__(f"{what} at {addr:#x} is not {align}-byte aligned (a damaged pointer)")


class UnsupportedLayout(KmemdbgError):
    """The debug info describes a shape no known FreeBSD era has."""


class MissingModule(KmemdbgError):
    """A Python module the output needs is not installed in the debugger's Python."""

    def __init__(self, module, needed_for):
        self.module = module
        super().__init__(f"Python module '{module}' is not installed in this debugger's Python "
                         f"({needed_for} need it; --format json, csv and vmstat do not)")


class CommandArgumentError(KmemdbgError):
    """Bad command line; argparse's SystemExit must never reach the debugger."""


class KernelMismatch(KmemdbgError):
    """The core (or live kernel) was not made by the kernel file loaded with it."""
