"""lldb entry point for command files kept in kgdb_scripts/ (crashinfo.lldb):

    command script import -c kmem_lldb.py

``-c`` resolves the file next to the command file, but lldb-19 refuses a relative path with
``..`` in it, so this shim loads ../plugins/lldb_kmem.py and hands lldb its init function.
"""

import importlib.util
import os

_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins",
                     "lldb_kmem.py")
_spec = importlib.util.spec_from_file_location("lldb_kmem", _path)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
__lldb_init_module = _module.__lldb_init_module
