"""Load kmemdbg into gdb or kgdb:  ``source /path/to/plugins/gdb_kmem.py``

Puts this directory on ``sys.path`` and registers every kmemdbg command (``uma-zones``,
``malloc-types``, ...) plus ``kmemdbg-reload``.  Nothing is looked up in the target here, so
loading works before a kernel is opened and on non-FreeBSD targets; commands resolve symbols
when they run.
"""

import os
import sys


def _kmemdbg_load():
    plugins = os.path.dirname(os.path.abspath(__file__))
    if plugins not in sys.path:
        sys.path.insert(0, plugins)
    try:
        from kmemdbg.backends import gdb_backend
        gdb_backend.install()
    except Exception as e:  # loading must never break the user's gdb session or .gdbinit
        sys.stderr.write(f"kmemdbg: error: cannot load: {type(e).__name__}: {e}\n")


_kmemdbg_load()
del _kmemdbg_load
