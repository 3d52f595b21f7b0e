"""kgdb_scripts/check-setup, the set-up check a FreeBSD admin runs, driven with real gdb and
lldb-19 and with stand-ins for what a FreeBSD host may have instead (base lldb without Python,
a debugger whose Python lacks tabulate)."""

import os
import subprocess

import pytest

from .debuggers import available

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "kgdb_scripts", "check-setup")
pytestmark = pytest.mark.skipif(available("gdb") or available("lldb"),
                                reason=available("gdb") or available("lldb") or "")


def check(tmp_path, env=None, bindir=None):
    """Run check-setup from an empty directory with only ``bindir`` and the system's bin on PATH."""
    path = "/usr/bin:/bin" if bindir is None else f"{bindir}:/usr/bin:/bin"
    e = {"PATH": path, "HOME": str(tmp_path), "KMEMDBG_DEBUG_DIR": str(tmp_path / "nodebug")}
    e.update(env or {})
    p = subprocess.run(["sh", CHECK], cwd=str(tmp_path), env=e, capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout + p.stderr


def test_both_debuggers_ready(tmp_path):
    rc, out = check(tmp_path, {"LLDB": "lldb-19"})
    assert rc == 0, out
    assert "gdb (/usr/bin/gdb): Python 3." in out and "lldb-19 (" in out
    assert out.count("tabulate found; kmemdbg loads") == 2, out
    assert "kernel.debug: without the kernel's debug info" in out


def test_base_lldb_without_python_is_named(tmp_path):
    """FreeBSD's base lldb has LLDB_ENABLE_PYTHON 0: `script` fails; check-setup says which lldb to use."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "lldb"
    fake.write_text("#!/bin/sh\necho 'error: there is no embedded script interpreter in this mode.'\n"
                    "exit 1\n")
    fake.chmod(0o755)
    rc, out = check(tmp_path, {"GDB": "no-such-gdb", "KGDB": "no-such-kgdb"}, bindir)
    assert rc == 1, out
    assert "lldb (" in out and "no Python" in out and "devel/llvmNN" in out
    assert "not ready" in out


def test_missing_tabulate_names_the_package(tmp_path):
    """tabulate unimportable in the debugger's Python: the pkg name matches that Python."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "tabulate.py").write_text("raise ImportError('no tabulate here')\n")
    rc, out = check(tmp_path, {"PYTHONPATH": str(shadow), "KGDB": "no-such-kgdb"})
    assert rc == 1, out
    line = next(l for l in out.splitlines() if l.startswith("gdb ("))
    ver = line.split("Python ")[1].split(";")[0]
    assert f"pkg install py{ver.replace('.', '')}-tabulate" in line, line
    assert "kmemdbg loads" in line
