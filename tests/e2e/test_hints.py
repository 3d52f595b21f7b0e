"""Hints for a first session's usual mistakes, in gdb and lldb-19 as a user meets them: a
debugger Python without tabulate, a kernel opened without a core, a kernel without debug info,
the wrong kernel for a core (the hint texts live in commands/hints.py)."""

import os
import subprocess

import pytest

from .debuggers import KMEM_GDB, LLDB_KMEM, Debugger
from .images import SKIP_REASON, crash_images

IMAGES = {i.era: i for i in crash_images(("router",))}
pytestmark = pytest.mark.skipif(not {"fbsd13", "fbsd14"} <= set(IMAGES), reason=SKIP_REASON)
KINDS = ["gdb", "lldb"]


def loader(kind):
    return f"source {KMEM_GDB}" if kind == "gdb" else f"command script import {LLDB_KMEM}"


@pytest.mark.parametrize("kind", KINDS)
def test_missing_tabulate_is_one_line_at_load_and_other_formats_work(kind, tmp_path):
    (tmp_path / "tabulate.py").write_text("raise ImportError('not installed')\n")
    image = IMAGES["fbsd14"]
    dbg = Debugger.open(kind, image.kernel, core=image.core, load_plugin=False,
                        env={"PYTHONPATH": str(tmp_path)})
    try:
        loaded = dbg.run(loader(kind))
        json_out = dbg.run("uma-zones --format json --top 2")
        json_status = dbg.status
        vmstat_out = dbg.run("malloc-types --format vmstat")
        vmstat_status = dbg.status
        table = dbg.run("uma-zones --top 2")
        table_status = dbg.status
    finally:
        dbg.close()
    notes = [l for l in loaded.splitlines() if l.startswith("kmemdbg:")]
    assert len(notes) == 1 and "tabulate is missing" in notes[0], loaded
    assert "pkg install py3" in notes[0] and "-tabulate" in notes[0]
    assert json_status == 0 and '"memory-zone-statistics"' in json_out
    assert vmstat_status == 0 and "libalias" in vmstat_out
    lines = table.splitlines()
    assert table_status == 1 and len(lines) == 2, table
    assert "tabulate" in lines[0] and lines[1].startswith("kmemdbg: hint: install tabulate")


def _first_error(kind, kernel, core=None):
    dbg = Debugger.open(kind, kernel, core=core)
    try:
        return dbg.run("uma-zones --top 2"), dbg.status
    finally:
        dbg.close()


@pytest.mark.parametrize("kind", KINDS)
def test_kernel_without_core(kind):
    out, status = _first_error(kind, IMAGES["fbsd14"].kernel)
    assert status == 1 and "kmemdbg: hint: no core or process is loaded" in out, out


@pytest.mark.parametrize("kind", KINDS)
def test_kernel_without_debug_info(kind, tmp_path):
    stripped = str(tmp_path / "kernel")
    subprocess.run(["objcopy", "--strip-debug", IMAGES["fbsd14"].kernel, stripped], check=True)
    out, status = _first_error(kind, stripped, IMAGES["fbsd14"].core)
    assert status == 1 and "kmemdbg: hint: not a FreeBSD kernel with debug info" in out, out


@pytest.mark.parametrize("kind", KINDS)
def test_kernel_not_matching_the_core(kind):
    """The kernel-vs-core check (kernel/release.py) names the mismatch and what to do in its error;
    the hint line (hints.kernel_mismatch) is for a global the core lacks when that check is off."""
    out, status = _first_error(kind, IMAGES["fbsd13"].kernel, IMAGES["fbsd14"].core)
    assert status == 1 and "load the matching kernel" in out, out
