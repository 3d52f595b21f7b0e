"""One-line hints for the common mistakes of a first session, kept in one place.

A failed command prints its own ``kmemdbg: error:`` line naming what failed (a symbol, a
``struct.member``, an address); that is exact but does not say what the user did wrong.  The
usual causes are few: no core or process loaded (only the kernel file, whose data holds boot-time
values), a kernel without debug info, a kernel that is not the one that wrote the core, and a
debugger whose Python lacks ``tabulate``.  ``hint_for`` picks the line for a failure; the load
note is printed once when the plugin loads.  Checks that *find* a mismatch (build-id, version
string) live with the target code; the words shown to the user live here.
"""

import re
import sys

from ..access.errors import MemoryFault, MissingModule, SymbolNotFound, TypeNotFound

HINT = "kmemdbg: hint: "


def _python():
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def install_tabulate() -> str:
    """How to get ``tabulate`` into *this* Python (the debugger's, not the shell's)."""
    v = _python()
    return (f"install tabulate for this debugger's Python {v} (FreeBSD: pkg install "
            f"py{v.replace('.', '')}-tabulate; Debian: apt install python3-tabulate; "
            f"or: python{v} -m pip install tabulate)")


def load_notes():
    """Lines to print once when the plugin loads (none when all is well)."""
    try:
        import tabulate  # noqa: F401  (only whether it imports)
    except ImportError:
        return ["kmemdbg: note: Python module tabulate is missing: tables need it, "
                f"--format json, csv and vmstat do not; {install_tabulate()}"]
    return []


def no_target() -> str:
    return ("no core or process is loaded, only the kernel file (its data holds boot-time "
            "values): open a dump (kgdb kernel.debug /var/crash/vmcore.N; lldb -c vmcore.N "
            "kernel), attach to a process or connect to a gdb stub")


def no_debug_info() -> str:
    return ("not a FreeBSD kernel with debug info: open the kernel's kernel.debug (/usr/lib/debug/"
            "boot/kernel/kernel.debug for /boot/kernel/kernel) or one built with makeoptions "
            "DEBUG=-g")


def kernel_mismatch() -> str:
    """The kernel file may not be the one that wrote the core."""
    return ("the kernel may not be the one that wrote this core: use the kernel.debug of "
            "the same build (savecore's info.N names the version that crashed; /boot/kernel.old "
            "after an upgrade)")


def hint_for(error, description=None):
    """The hint line for ``error`` (a ``KmemdbgError``) on a target described as
    ``description`` (``kernel K, core C`` / ``kernel K, pid N``), or None."""
    if isinstance(error, MissingModule):
        return HINT + install_tabulate()
    if description and description.startswith("kernel ") and "," not in description:
        return HINT + no_target()
    if isinstance(error, (SymbolNotFound, TypeNotFound)):
        return HINT + no_debug_info()
    if isinstance(error, MemoryFault) and description and "core " in description and \
            re.fullmatch(r"[A-Za-z_]\w*", error.what or ""):      # a global the kernel names
        return HINT + kernel_mismatch()
    return None
