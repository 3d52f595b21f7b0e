"""`make demo` as a newcomer runs it: the answers, not the build; no debugger chatter; no error."""

import os
import shutil
import subprocess

import pytest

from .images import ROOT

pytestmark = pytest.mark.skipif(not (shutil.which("make") and shutil.which("gdb")
                                     and shutil.which("lldb-19")), reason="make, gdb or lldb-19 missing")


def test_make_demo_prints_the_answers_and_ends_clean():
    p = subprocess.run(["make", "-s", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, MAKEFLAGS=""))
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-2000:]
    assert "error" not in out.lower(), [l for l in out.splitlines() if "error" in l.lower()]
    for chatter in ("gcc ", "cc -", "[New LWP", "libthread_db", "Core was generated", "#0 "):
        assert chatter not in out, chatter
    for answer in ("(kgdb) uma-zones", "(lldb) malloc-types", "WHERE IT WENT", "M_ALIAS"):
        assert answer in out, answer


def test_image_build_is_one_line(tmp_path):
    """A build from scratch (into a scratch directory) prints one line; the compiler's output
    goes to the log."""
    p = subprocess.run(["make", "-s", "images", f"BUILD={tmp_path}/build"], cwd=ROOT,
                       capture_output=True, text=True, timeout=900, env=dict(os.environ, MAKEFLAGS=""))
    assert p.returncode == 0, (p.stdout + p.stderr)[-2000:]
    assert p.stdout.splitlines() == ["kmemdbg: building the simulated kernels "
                                     "(log: vm_images/build/make.log)"], p.stdout[-2000:]
    assert os.path.exists(tmp_path / "build" / "fbsd13" / "router" / "vmcore")
