"""The scan's sources (leak/roots.py) and the scan itself through real gdb and lldb-19 on
simulated cores, over the ledger's items: the kernel's and modules' data and bss, one pcpu area
and (8.0+) one DPCPU area per present CPU, one kernel stack per thread, and exactly the ledger's
reachable items reached, the same answer in both debuggers."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, image_dir

PROBE = ROOT / "tests" / "vm_images" / "reach_probe.py"
MARK = "KMEMDBG-REACH-PROBE:"
CASES = [("fbsd13", "router"), ("fbsd6", "router"), ("fbsd14", "fileserver")]


def run_probe(kind, d):
    env = dict(os.environ, KMEMDBG_PLUGINS=str(ROOT / "plugins"))
    if kind == "gdb":
        if not shutil.which("gdb"):
            pytest.skip("gdb not installed")
        cmd = ["gdb", "-batch", "-nx", "-ex", f"python exec(open('{PROBE}').read())",
               "./kernel", "vmcore"]
    else:
        if not shutil.which("lldb-19"):
            pytest.skip("lldb-19 not installed")
        cmd = ["lldb-19", "--no-lldbinit", "-b", "-o", f"command script import {PROBE}",
               "-c", "vmcore", "./kernel"]
    p = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith(MARK)]
    assert lines, p.stdout[-2000:] + p.stderr[-2000:]
    out = json.loads(lines[0][len(MARK):])
    assert "crashed" not in out, out.get("crashed")
    return out


@pytest.fixture(scope="module")
def answers():
    return {}


@pytest.mark.parametrize("era,scenario", CASES)
@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_sources_and_scan_match_the_ledger(images, answers, kind, era, scenario):
    d = image_dir(era, scenario)
    out = answers[(kind, era, scenario)] = run_probe(kind, d)
    expected = json.loads((d / "expected.json").read_text())
    r = json.loads((d / "reach.json").read_text())
    names = [s[0] for s in out["sources"]]
    assert "kernel:.data" in names and "kernel:.bss" in names
    modules = {m[:-3] for m in expected["image"]["modules"]}
    assert {n.split(":")[0] for n in names if ".ko:" in n} == {m + ".ko" for m in modules}
    assert [n for n in names if n.startswith("pcpu ")] == \
        [f"pcpu {c}" for c in expected["image"]["cpus"]]
    # DPCPU from 8.0 on, found through the linker's __start_set_pcpu (no debug info for it)
    assert [n for n in names if n.startswith("dpcpu ")] == \
        ([] if era == "fbsd6" else [f"dpcpu {c}" for c in expected["image"]["cpus"]])
    threads = sum(r["kinds"][row[1]]["ctype"] == "struct thread" and row[4] != "pcpu"
                  for row in r["items"])      # threads on allproc (not a CPU's dead thread)
    assert sum(n.startswith("kstack tid ") for n in names) == threads > 0
    assert out["warnings"] == [] and out["scan_warnings"] == []
    assert sorted(out["reached"]) == sorted(row[0] for row in r["items"] if row[2])


@pytest.mark.parametrize("era,scenario", CASES)
def test_gdb_and_lldb_agree(images, answers, era, scenario):
    for kind in ("gdb", "lldb"):
        if (kind, era, scenario) not in answers:
            answers[(kind, era, scenario)] = run_probe(kind, image_dir(era, scenario))
    assert answers[("gdb", era, scenario)] == answers[("lldb", era, scenario)]
