# kmemdbg for kgdb/gdb: `source /path/to/kgdb_scripts/kmem.gdb` (from any directory),
# or put that line in ~/.gdbinit.  Loads ../plugins/gdb_kmem.py relative to this file.
#
# gdb does not tell a sourced script where it lives, so the Python block below finds this
# file among gdb's open files (gdb keeps it open while sourcing it): /proc/self/fd on Linux,
# procstat -f on FreeBSD.  $KMEMDBG_HOME (the directory holding plugins/) overrides that,
# and ./plugins, ../plugins and /usr/local/share/kmemdbg/plugins are the last resorts.
python
def _kmemdbg_find_plugins():
    import os
    import subprocess
    home = os.environ.get("KMEMDBG_HOME")
    candidates = [os.path.join(home, "plugins")] if home else []
    me = []
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                me.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass
    except OSError:
        try:
            out = subprocess.run(["procstat", "-f", str(os.getpid())], capture_output=True,
                                 text=True, timeout=10).stdout
            me = [line.split()[-1] for line in out.splitlines() if line.split()]
        except (OSError, subprocess.SubprocessError):
            pass
    for path in me:
        if path.endswith(".gdb") and os.path.basename(path) == "kmem.gdb":
            candidates.append(os.path.join(os.path.dirname(os.path.dirname(path)), "plugins"))
    candidates += [os.path.abspath("plugins"), os.path.abspath("../plugins"),
                   "/usr/local/share/kmemdbg/plugins"]
    for plugins in candidates:
        if os.path.isfile(os.path.join(plugins, "gdb_kmem.py")):
            return plugins
    return None


_kmemdbg_plugins = _kmemdbg_find_plugins()
if _kmemdbg_plugins is None:
    gdb.write("kmemdbg: error: cannot find plugins/gdb_kmem.py; "
              "set KMEMDBG_HOME to the kmemdbg directory\n", gdb.STDERR)
else:
    # gdb_kmem.py finds its directory from __file__, which gdb leaves pointing at an outer
    # script when this file is sourced from a `-x script.py`; put the right one first.
    import sys
    if _kmemdbg_plugins not in sys.path:
        sys.path.insert(0, _kmemdbg_plugins)
    gdb.execute("source " + _kmemdbg_plugins + "/gdb_kmem.py")
del _kmemdbg_find_plugins, _kmemdbg_plugins
end
