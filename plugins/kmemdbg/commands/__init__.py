"""Command definitions: one ``CommandSpec`` per module, installed in gdb and lldb by the backends.

A command module registers its spec when imported (``command(CommandSpec(...))``);
``load_commands()`` imports every module of this package, so adding a command is adding a module.
"""

import importlib
import pkgutil

from .registry import REGISTRY, CommandSpec, command, run_command  # noqa: F401

# Modules of this package that hold no command.
_HELPERS = {"hints", "host", "listing", "options", "registry"}


def load_commands():
    """Import every command module so that each registers its ``CommandSpec`` in ``REGISTRY``.

    A module that fails to import is reported and skipped: one broken command must not keep the
    others (or the debugger session) from loading.

    :return: list of (module name, error string) for modules that failed.
    """
    failed = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _HELPERS:
            continue
        try:
            importlib.import_module(f"{__name__}.{info.name}")
        except Exception as e:  # a broken command module must not stop the plugin loading
            failed.append((info.name, f"{type(e).__name__}: {e}"))
    return failed
