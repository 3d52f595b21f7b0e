"""kgdb_scripts/kmem.gdb, the gdb command file users source: it finds plugins/ relative to itself
from any directory — through gdb's open files (/proc/self/fd on Linux, `procstat -f` on FreeBSD,
where procfs has no fd/), or $KMEMDBG_HOME — and never needs /proc."""

import os
import subprocess

import pytest

from .debuggers import available, no_proc_argv
from .images import ROOT, SKIP_REASON, crash_images

IMAGES = [i for i in crash_images(("router",)) if i.era == "fbsd13"]
pytestmark = pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)
SCRIPT = os.path.join(ROOT, "kgdb_scripts", "kmem.gdb")


def gdb_with_kmem_gdb(prefix=(), env=None):
    if available("gdb"):
        pytest.skip(available("gdb"))
    image = IMAGES[0]
    p = subprocess.run(list(prefix) + ["gdb", "-q", "-nx", "-batch", "-ex", f"source {SCRIPT}",
                                       "-ex", "uma-zones --top 3", image.kernel, image.core],
                       capture_output=True, text=True, timeout=300, cwd="/",
                       stdin=subprocess.DEVNULL, env=dict(os.environ, **(env or {})))
    return p.stdout + p.stderr


def test_from_another_directory():
    out = gdb_with_kmem_gdb()
    assert "ITEM" in out and "cannot find plugins" not in out, out


def test_without_proc_through_freebsd_procstat(tmp_path):
    """/proc hidden; a stand-in for FreeBSD's procstat(1) lists gdb's open files as `procstat -f`
    does (path in the last column): kmem.gdb finds itself through it."""
    if not no_proc_argv():
        pytest.skip("cannot hide /proc: unshare -rm refused (no user or mount namespaces)")
    fake = tmp_path / "procstat"
    fake.write_text("#!/bin/sh\n"
                    "echo '  PID COMM                FD T V FLAGS    REF  OFFSET PRO NAME'\n"
                    f"echo \"$2 gdb                  7 v r r------- 1 0 - {SCRIPT}\"\n")
    fake.chmod(0o755)
    out = gdb_with_kmem_gdb(no_proc_argv(), {"PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert "ITEM" in out and "cannot find plugins" not in out, out


def test_without_proc_with_kmemdbg_home():
    if not no_proc_argv():
        pytest.skip("cannot hide /proc: unshare -rm refused (no user or mount namespaces)")
    out = gdb_with_kmem_gdb(no_proc_argv(), {"KMEMDBG_HOME": ROOT})
    assert "ITEM" in out and "cannot find plugins" not in out, out


def test_without_proc_and_nothing_to_go_by_is_one_line():
    if not no_proc_argv():
        pytest.skip("cannot hide /proc: unshare -rm refused (no user or mount namespaces)")
    out = gdb_with_kmem_gdb(no_proc_argv(), {"PATH": "/usr/bin:/bin"})
    assert "kmemdbg: error: cannot find plugins/gdb_kmem.py; set KMEMDBG_HOME" in out, out
    assert "Traceback" not in out
