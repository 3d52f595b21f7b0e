# kmemdbg crash report, in the spirit of crashinfo(8):
#   gdb -batch -x /path/to/kgdb_scripts/crashinfo.gdb /boot/kernel/kernel.debug /var/crash/vmcore.N
# (or `make analyze KERNEL=... CORE=... [HTML=report.html]`).  Loads kmem.gdb from this file's
# directory.  With KMEMDBG_HTML=FILE in the environment it also writes kmem-report's HTML page.
set pagination off
set width 0
python
import os
_me = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
       if os.path.exists(f"/proc/self/fd/{fd}")] if os.path.isdir("/proc/self/fd") else []
_dirs = [os.path.dirname(p) for p in _me if os.path.basename(p) == "crashinfo.gdb"]
_dirs += [os.path.join(os.environ.get("KMEMDBG_HOME", "."), "kgdb_scripts"), "kgdb_scripts"]
gdb.execute("source " + next(os.path.join(d, "kmem.gdb") for d in _dirs
                             if os.path.isfile(os.path.join(d, "kmem.gdb"))))
del _me, _dirs
end
python
# Every section runs even when one fails (a damaged dump): gdb stops a sourced file at the first
# error, and a failing kmemdbg command has already printed its one-line reason.
for _title, _cmd in (
        ("kmem-summary: where the memory went, limits and failures", "kmem-summary"),
        ("top UMA zones by items in use", "uma-zones --sort used --top 25"),
        ("top malloc types by memory in use", "malloc-types --sort memory-use --top 25"),
        ("vmstat -z (as vmstat -M of this kernel's era prints it)",
         "uma-zones --compat kvm --format vmstat"),
        ("vmstat -m (as vmstat -M of this kernel's era prints it)",
         "malloc-types --compat kvm --format vmstat")) + (
        (("kmem-report: the HTML picture", "kmem-report --html '%s'" % os.environ["KMEMDBG_HTML"]),)
        if os.environ.get("KMEMDBG_HTML") else ()):
    gdb.write("\n==== %s ====\n" % _title)
    try:
        gdb.execute(_cmd)
    except gdb.error:
        pass
end
