"""kmemdbg crash report for kgdb/gdb, in the spirit of crashinfo(8):

    gdb -batch -x /path/to/kgdb_scripts/crashinfo.py /boot/kernel/kernel.debug /var/crash/vmcore.N

(or ``make analyze KERNEL=... CORE=... [HTML=report.html]``; with KMEMDBG_HTML=FILE in the
environment it also writes kmem-report's HTML page).  A Python script, so that gdb tells it where it lives
(``__file__``): a gdb command file cannot know its own path without /proc/self/fd, which FreeBSD's
procfs does not have.  Every section runs even when one fails (a damaged dump); a failing kmemdbg
command has already printed its one-line reason.
"""

import os

import gdb

gdb.execute("set pagination off")
gdb.execute("set width 0")
# kernel-gdb.py finds ../plugins from __file__, which gdb leaves at this script while it runs
gdb.execute("source " + os.path.join(os.path.dirname(os.path.realpath(__file__)), "kernel-gdb.py"))

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
