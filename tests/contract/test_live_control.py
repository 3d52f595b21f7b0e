"""run_for() on a live process, refused on a core (kmem-watch's need).

The fixture counts ``fixture_ticks`` while it runs: the count must advance inside each run_for
and stand still once the target is stopped again.  After the
debugger exits the process must be alive and running (detached, neither left stopped nor
killed).
"""

import os
import time

import pytest

from . import harness


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_run_for_live(kind, tmp_path):
    exe = harness.build(str(tmp_path), 64)
    live = harness.Live(exe)
    try:
        truth = tmp_path / "truth.json"
        truth.write_text("{}")
        r = harness.run_probe(kind, exe, str(truth), pid=live.pid, function="live_control")
        assert "probe_crashed" not in r, r["probe_crashed"]
        assert r["is_live"] is True
        for step in ("run_for1", "run_for2"):
            assert r[step]["advanced"] > 0, (step, r)
            assert r[step]["stopped"] is True, (step, r)
        assert r["still_stopped"] == {"advanced": 0, "stopped": True}
        time.sleep(0.3)
        assert live.proc.poll() is None, "debugger killed the process"
        assert proc_state(live.pid) in ("S", "R"), "process left stopped after detach"
    finally:
        live.close()


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_run_for_refused_on_core(kind, tmp_path):
    exe = harness.build(str(tmp_path), 64)
    live = harness.Live(exe)
    try:
        core = harness.gcore(live, str(tmp_path / "core"))
    finally:
        live.close()
    truth = tmp_path / "truth.json"
    truth.write_text("{}")
    r = harness.run_probe(kind, exe, str(truth), core=core, function="core_control")
    assert "probe_crashed" not in r, r["probe_crashed"]
    r.pop("_seconds")
    assert r == {"is_live": False, "run_for": "TargetError"}
    assert os.path.exists(core)
