"""Leak tracing as a user runs it: snapshot one core, diff against the later core, name the owner;
the leakcheck bisect helper's exit codes; kmem-watch on a live simulated kernel."""

import json
import os
import subprocess
import sys

import pytest

from .debuggers import Debugger, save_snapshot
from .images import BUILD, ROOT, SKIP_REASON, Image

LEAKCHECK = os.path.join(ROOT, "kgdb_scripts", "leakcheck")


def pairs(scenario):
    """(era, early Image, late Image) for images that have a mid-run core ``vmcore.T``."""
    out = []
    if os.path.isdir(BUILD):
        for era in sorted(os.listdir(BUILD)):
            d = os.path.join(BUILD, era, scenario)
            early = sorted(f for f in os.listdir(d) if f.startswith("vmcore.")) if os.path.isdir(d) else []
            if early and os.path.exists(os.path.join(d, "vmcore")):
                t = early[0].split(".")[1]
                out.append((era, Image(d, early[0], f"expected.{t}.json"), Image(d)))
    return out


ROUTER = pairs("router")
QUIET = pairs("fileserver") + pairs("idle")


def _build_id(path):
    """The kernel's GNU build-id as readelf reports it (ground truth for the snapshot's)."""
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in out.splitlines() if "Build ID:" in line), None)


def _diff(kind, early, late, tmp_path, extra=""):
    snap = tmp_path / f"{kind}-early.json"
    dbg = Debugger.open(kind, early.kernel, core=early.core)
    try:
        out = dbg.run(f"kmem-snapshot save {snap}", timeout=120)
    finally:
        dbg.close()
    assert snap.exists(), out
    target = json.loads(snap.read_text())["target"]
    assert target["build_id"] == _build_id(early.kernel)
    assert target["osreldate"] == early.expected()["image"]["osreldate"]
    dbg = Debugger.open(kind, late.kernel, core=late.core)
    try:
        doc = dbg.run(f"kmem-diff {snap} --format json {extra}", timeout=180)
        table = dbg.run(f"kmem-diff {snap} --top 5", timeout=180)
    finally:
        dbg.close()
    return json.loads(doc)["kmem-diff"], table


def _memuse(image, name):
    rows = image.expected()["malloc-types"]["malloc-statistics"]["memory"]
    return next((r["memory-use"] for r in rows if r["type"] == name), 0)


@pytest.mark.skipif(not ROUTER, reason=SKIP_REASON)
@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("era,early,late", ROUTER, ids=[p[0] for p in ROUTER])
def test_router_diff_names_libalias_and_its_owner(kind, era, early, late, tmp_path):
    d, table = _diff(kind, early, late, tmp_path)
    first = d["rows"][0]
    leak = late.expected()["ledger"]["leak"]
    assert (first["kind"], first["name"], first["culprit"]) == ("malloc", "libalias", True)
    assert first["bytes"] == _memuse(late, "libalias") - _memuse(early, "libalias")
    assert first["owner"]["symbol"] == "M_ALIAS"
    assert first["owner"]["file"].endswith("sys/netinet/libalias/alias_db.c")
    assert first["owner"]["subsystem"] == "sys/netinet/libalias"
    assert first["owner"]["module"] == leak["module"] == "libalias.ko"
    zone = next(r for r in d["rows"] if r["name"] == leak["zone"])
    assert zone["kind"] == "malloc-zone" and not zone["culprit"]
    assert zone["explained-by"][0]["type"] == "libalias"
    assert "libalias" in table and "M_ALIAS" in table


@pytest.mark.skipif(not QUIET, reason=SKIP_REASON)
@pytest.mark.parametrize("era,early,late", QUIET, ids=[f"{p[0]}-{p[1].scenario}" for p in QUIET])
def test_no_false_culprit_on_quiet_images(era, early, late, tmp_path):
    d, _ = _diff("gdb", early, late, tmp_path)
    assert [r["name"] for r in d["rows"] if r["culprit"]] == []


def _leakcheck(*args):
    p = subprocess.run([sys.executable, LEAKCHECK, *args], capture_output=True, text=True,
                       timeout=600, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.skipif(not (ROUTER and QUIET), reason=SKIP_REASON)
@pytest.mark.parametrize("debugger", ["gdb", "lldb"])
def test_leakcheck_exit_codes(debugger):
    era, early, late = ROUTER[-1]
    rc, out = _leakcheck("--kernel", late.kernel, "--old", early.core, "--new", late.core,
                         "--debugger", debugger)
    assert rc == 1, out
    assert "libalias" in out and "M_ALIAS" in out and "libalias.ko" in out
    _, qearly, qlate = QUIET[-1]
    rc, out = _leakcheck("--kernel", qlate.kernel, "--old", qearly.core, "--new", qlate.core,
                         "--debugger", debugger)
    assert rc == 0, out
    rc, out = _leakcheck("--kernel", qlate.kernel, "--old", qearly.core + ".missing",
                         "--new", qlate.core, "--debugger", debugger)
    assert rc == 125, out


@pytest.mark.skipif(len(ROUTER) < 2, reason=SKIP_REASON)
@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_diff_refuses_snapshots_of_another_release_and_architecture(kind, tmp_path):
    """An i386 6.x snapshot against a 14.x amd64 core: refused in one line naming both kernels,
    compared only with --any-kernel."""
    late = next(img for era, _, img in ROUTER if era == "fbsd14")
    other = next(img for era, img, _ in ROUTER if era == "fbsd6")
    snap = tmp_path / "other.json"
    save_snapshot(kind, other.kernel, other.core, snap)
    dbg = Debugger.open(kind, late.kernel, core=late.core)
    try:
        refused = dbg.run(f"kmem-diff {snap}", timeout=120)
        status = dbg.status
        forced = dbg.run(f"kmem-diff {snap} --any-kernel --format json", timeout=120)
    finally:
        dbg.close()
    versions = [json.loads(snap.read_text())["target"]["version"],
                late.expected()["image"]["version"]]
    assert status != 0 and refused.count("\n") == 1, refused
    assert "release and architecture differ" in refused
    assert all(" ".join(v.split()[:2]) in refused for v in versions), (versions, refused)
    assert any("different kernels" in w for w in json.loads(forced)["kmem-diff"]["warnings"])


@pytest.mark.skipif(not ROUTER, reason=SKIP_REASON)
@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_a_found_leak_does_not_stop_a_debugger_script(kind, tmp_path):
    """kmem-diff with a culprit succeeds: the rest of a gdb command file / lldb -b runs, and
    the debugger exits 0; --exit-status opts into the failure."""
    _, early, late = ROUTER[-1]
    snap = tmp_path / "early.json"
    plugin = os.path.join(ROOT, "plugins")
    if kind == "gdb":
        script = tmp_path / "leak.gdb"
        script.write_text(f"source {plugin}/gdb_kmem.py\nkmem-snapshot save {snap}\n")
        subprocess.run(["gdb", "-q", "-nx", "-batch", "-x", str(script), early.kernel, early.core],
                       capture_output=True, timeout=300)
        script.write_text(f"source {plugin}/gdb_kmem.py\nkmem-diff {snap} --top 3\n"
                          "echo after-the-diff\\n\n")
        p = subprocess.run(["gdb", "-q", "-nx", "-batch", "-x", str(script), late.kernel, late.core],
                           capture_output=True, text=True, timeout=300)
    else:
        base = ["lldb-19", "--no-lldbinit", "-b", "-o", f"command script import {plugin}/lldb_kmem.py"]
        subprocess.run(base[:3] + ["-c", early.core, early.kernel] + base[3:] +
                       ["-o", f"kmem-snapshot save {snap}"], capture_output=True, timeout=300)
        p = subprocess.run(base[:3] + ["-c", late.core, late.kernel] + base[3:] +
                           ["-o", f"kmem-diff {snap} --top 3", "-o", "script print('after-the-diff')"],
                           capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    assert "libalias" in out and "after-the-diff" in out and "error" not in out.lower(), out
    assert p.returncode == 0, out
