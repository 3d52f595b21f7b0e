"""kgdb/gdb auto-load entry: gdb runs ``<objfile>-gdb.py`` next to a kernel it opens.

FreeBSD installs its own ``kernel-gdb.py`` beside kernel.debug; to get kmemdbg the same way, link
this file as ``/usr/lib/debug/boot/kernel/kernel.debug-gdb.py`` (the name is the debug file's name
plus ``-gdb.py``) and allow it once in ``~/.gdbinit``:

    add-auto-load-safe-path /usr/lib/debug/boot/kernel

The link may point here from anywhere: the plugins are found from this file's real path.
"""

import os
import sys

_plugins = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "plugins")
if _plugins not in sys.path:
    # gdb_kmem.py finds itself from __file__, which gdb leaves at this script while sourcing it
    sys.path.insert(0, _plugins)
gdb.execute("source " + os.path.join(_plugins, "gdb_kmem.py"))  # noqa: F821 (gdb's own module)
del _plugins
