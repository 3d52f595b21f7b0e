"""A live simulated kernel attached by pid, as `gdb -p PID` / `lldb-19 -p PID` users do:
the views equal the ledger the kernel wrote before it went to sleep, and kmem-watch sees the
libalias leak grow while the kernel runs between samples."""

import json
import os
import select
import shutil
import subprocess
import time

import pytest

from .debuggers import Debugger
from .images import BUILD

ERAS = [e for e in ("fbsd14", "fbsd12", "fbsd6")
        if os.path.exists(os.path.join(BUILD, e, "router", "kernel"))]
pytestmark = pytest.mark.skipif(not ERAS, reason="no simulated kernels built (make -C vm_images)")


class LiveKernel:
    """``kernel --live`` in a scratch copy of an image directory; always killed afterwards."""

    def __init__(self, era, tmp_path, interval):
        src = os.path.join(BUILD, era, "router")
        self.dir = str(tmp_path / era)
        shutil.copytree(src, self.dir, ignore=shutil.ignore_patterns("vmcore*", "expected*"))
        self.kernel = os.path.join(self.dir, "kernel")
        self.proc = subprocess.Popen([self.kernel, "--scenario", "router", "--cpus", "4", "--live",
                                      "--interval", str(interval), "--out", self.dir],
                                     cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        self.pid = self.proc.pid

    def wait_tick(self, n, timeout=30):
        """Block until the kernel printed ``tick n`` (it then sleeps for the interval)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("tick ") and int(line.split()[1]) >= n:
                    return
        raise AssertionError(f"live kernel did not reach tick {n}")

    def expected(self):
        with open(os.path.join(self.dir, "expected.json")) as f:
            return json.load(f)

    def close(self):
        self.proc.kill()
        self.proc.wait()


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("era", ERAS)
def test_live_views_equal_ledger_and_watch_sees_the_leak(kind, era, tmp_path):
    live = LiveKernel(era, tmp_path, interval=3)
    dbg = None
    try:
        live.wait_tick(2)
        dbg = Debugger.open(kind, live.kernel, pid=live.pid)   # attaching stops it in its sleep
        expected = live.expected()                              # written before that sleep
        for view in ("uma-zones", "malloc-types", "uma-zones --where"):
            got = json.loads(dbg.run(f"{view} --format json", timeout=120))
            assert got == expected[view], f"{kind} live {view} differs from the ledger"
        out = dbg.run("kmem-watch --interval 2 --count 2 --threshold 1K --format json", timeout=180)
        samples = [json.loads(line)["kmem-watch"] for line in out.splitlines() if line.startswith("{")]
        assert [s["sample"] for s in samples] == [1, 2]
        last = samples[-1]
        assert last["rows"][0]["name"] == "libalias" and last["rows"][0]["culprit"], last["rows"][:3]
        assert dbg.alive()
        # The kernel ran between the samples and is stopped again now, under the debugger.
        assert live.expected()["image"]["tick"] > expected["image"]["tick"]
    finally:
        if dbg is not None:
            dbg.close()
        live.close()


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_watch_streams_samples_with_owners_quietly_and_stops_on_ctrl_c(kind, tmp_path):
    """Each sample shows when taken, with the culprit's owner and no debugger stop notices in
    between; Ctrl-C ends the watch within a second, the target alive under the debugger."""
    live = LiveKernel(ERAS[0], tmp_path, interval=1)
    dbg = None
    try:
        live.wait_tick(2)
        dbg = Debugger.open(kind, live.kernel, pid=live.pid)
        child = dbg.child
        child.sendline("kmem-watch --interval 3 --count 20 --top 4 --threshold 1K")
        child.expect("--- sample 2/20", timeout=60)     # printed while the command still runs
        time.sleep(1)
        pressed = time.monotonic()
        child.send("\x03")
        child.expect_exact(dbg.prompt, timeout=30)
        took = time.monotonic() - pressed
        text = child.before.replace("\r", "")
        # the aim is well under a second (measured: gdb 0.05 s, lldb 0.15 s); a machine shared by
        # many test runs can stall the stop of the target, hence the slack
        assert took < 2.0, f"{kind}: Ctrl-C took {took:.2f} s"
        assert "kmem-watch: interrupted (Ctrl-C) after 2 of 20 samples" in text, text[-800:]
        for noise in ("Program received", "Process ", "stop reason", "frame #", "Interrupt."):
            assert noise not in text, f"{kind}: {noise!r} between samples:\n{text[-1500:]}"
        assert "M_ALIAS" in text, text[-1500:]        # owners, as kmem-diff names them
        assert dbg.alive() and live.proc.poll() is None
        assert "libalias" in dbg.run("malloc-types --sort memory-use --top 1", timeout=60)
    finally:
        if dbg is not None:
            dbg.close()
        live.close()
