"""Hosting a command in a debugger: lexing, output buffering, the last guard, and reload.

The backends (``backends/gdb_backend.py``, ``backends/lldb_backend.py``) call these; nothing
here imports a debugger.
"""

import shlex
import sys

from .registry import FAILED, USAGE, debug_enabled, run_command


def command_doc(spec) -> str:
    """The help text both debuggers show for ``help <command>``: summary, then argparse help."""
    return f"{spec.summary}\n\n{spec.help_text()}".rstrip() + "\n"


def host_run(spec, target_factory, argv, out) -> int:
    """``run_command`` with a last guard for what it lets through.

    ``run_command`` turns every ``Exception`` into one line; a ``SystemExit`` (a stray
    ``sys.exit`` or ``argparse`` exit in a command) is not an ``Exception`` and would reach the
    debugger as a traceback or be swallowed silently, so it becomes an internal error here too.
    ``KeyboardInterrupt`` still propagates: that is the user's Ctrl-C, and gdb/lldb handle it.
    """
    try:
        return run_command(spec, target_factory, argv, out)
    except SystemExit as e:
        if debug_enabled():
            raise
        out.write(f"kmemdbg: internal error in {spec.name}: SystemExit({e.code}) "
                  "(set KMEMDBG_DEBUG=1 for a traceback)\n")
        return FAILED


ERROR_PREFIX = "kmemdbg: error: "


def is_usage_error(status) -> bool:
    """A usage error is reported by its own one ``kmemdbg: error:`` line and nothing after it:
    the hosts make that line the debugger's failure instead of adding a status line."""
    return status == USAGE


def status_line(spec, status) -> str:
    """The debugger-level error for a failed command (after its own ``kmemdbg:`` lines)."""
    return f"kmemdbg: {spec.name}: exit status {status}"


def lex(arg_string: str):
    """Split an lldb raw argument string like a shell (gdb has ``gdb.string_to_argv``)."""
    return shlex.split(arg_string or "")


class OutputBuffer:
    """A file-like ``out`` for ``run(target, args, out)`` that the host flushes to its stream."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)
        return len(text)

    def flush(self):
        pass

    def getvalue(self):
        return "".join(self.parts)


def reload_kmemdbg():
    """Forget every ``kmemdbg`` module so the next import reads the files again.

    FreeBSD's ``kgdb-reload`` re-imports in dependency order; dropping them all from
    ``sys.modules`` and importing the backend again gives the same order, because each module
    imports the layers below it first.
    """
    for name in sorted((n for n in sys.modules if n == "kmemdbg" or n.startswith("kmemdbg.")),
                       key=lambda n: -n.count(".")):
        del sys.modules[name]
