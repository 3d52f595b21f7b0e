"""Load kmemdbg into lldb:  ``command script import /path/to/plugins/lldb_kmem.py``

lldb has no auto-load for kernels; put that line in ``~/.lldbinit``.  ``__lldb_init_module``
puts this directory on ``sys.path`` and registers every kmemdbg command with
``command script add -c`` (same hyphenated names as in gdb) plus ``kmemdbg-reload``.
Nothing is looked up in the target here, so loading works before a kernel is opened.
"""

import os
import sys

_PLUGINS = os.path.dirname(os.path.abspath(__file__))


def __lldb_init_module(debugger, internal_dict):
    if _PLUGINS not in sys.path:
        sys.path.insert(0, _PLUGINS)
    try:
        from kmemdbg.backends import lldb_backend
        lldb_backend.install(debugger)
    except Exception as e:  # loading must never break the user's lldb session or .lldbinit
        print(f"kmemdbg: error: cannot load: {type(e).__name__}: {e}")
