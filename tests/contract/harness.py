"""Build the contract fixture, run it, dump it, and run the probe inside gdb or lldb.

Used by test_contract.py and by the e2e driver tests (tests/e2e/test_debuggers.py).
Build outputs go to a temporary directory, never into the checkout.
"""

import json
import os
import shutil
import signal
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLUGINS = os.path.join(REPO, "plugins")
SIM_CORE = os.path.join(REPO, "vm_images", "simkern", "sim", "sim_core.c")
GDB = shutil.which("gdb")
LLDB = shutil.which("lldb-19")
TIMEOUT = 120


class Skip(Exception):
    """Why a configuration cannot run here (pytest turns it into a skip with this reason)."""


def build(outdir, bits):
    """Compile fixture<bits> and libfixmod<bits>.so (rpath $ORIGIN) into ``outdir``.

    Links vm_images' ``sim_dump_core`` when it exists, so cores come from the same writer as
    the simulated kernels.  :return: path of the executable.
    """
    os.makedirs(outdir, exist_ok=True)
    exe = os.path.join(outdir, f"fixture{bits}")
    lib = os.path.join(outdir, f"libfixmod{bits}.so")
    cc = ["gcc", f"-m{bits}", "-g", "-O0", "-Wall"]
    try:
        subprocess.run(cc + ["-fPIC", "-shared", "-o", lib, os.path.join(HERE, "fixmod.c")],
                       check=True, capture_output=True, text=True)
        extra = []
        if os.path.exists(SIM_CORE):
            extra = ["-DHAVE_SIM_DUMP_CORE", f"-I{os.path.dirname(SIM_CORE)}", SIM_CORE]
        subprocess.run(cc + ["-o", exe, os.path.join(HERE, "fixture.c")] + extra +
                       [f"-L{outdir}", f"-lfixmod{bits}", "-Wl,-rpath,$ORIGIN"],
                       check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        raise Skip(f"cannot build the {bits}-bit fixture: {e.stderr.strip()[:300]}")
    return exe


def has_sim_core():
    return os.path.exists(SIM_CORE)


class Live:
    """A running fixture: its pid and the ground truth it printed."""

    def __init__(self, exe):
        self.exe = exe
        # Own session: gdb's `interrupt` signals the inferior's process group, not pytest's.
        self.proc = subprocess.Popen([exe], stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            raise Skip(f"{exe} printed no ground truth")
        self.truth = json.loads(line)
        self.pid = self.proc.pid

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def ground_truth(exe):
    """The fixture's ground truth without keeping it running."""
    live = Live(exe)
    live.close()
    return live.truth


def sim_core(exe, path):
    """Run the fixture in core mode: it prints its truth and writes ``path`` itself."""
    r = subprocess.run([exe, path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or not os.path.exists(path):
        raise Skip(f"sim_dump_core failed ({r.returncode}): {r.stderr.strip()[:300]}")
    return json.loads(r.stdout.splitlines()[0])


def gcore(live, path):
    """Dump a running fixture with gdb's gcore (the process keeps running)."""
    if GDB is None:
        raise Skip("gdb not installed")
    r = subprocess.run([GDB, "-nx", "-batch", "-p", str(live.pid), "-ex", f"gcore {path}"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    if not os.path.exists(path):
        raise Skip(f"gcore failed: {r.stdout[-300:]} {r.stderr[-300:]}")
    return path


def ptrace_works(pid):
    """Attaching needs ptrace permission (root, or yama ptrace_scope 0 for a child)."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            scope = int(f.read())
    except OSError:
        scope = 0
    return os.geteuid() == 0 or scope == 0


def debugger_argv(kind, exe, core=None, pid=None, commands=()):
    """Batch command line that loads the target and runs ``commands`` (Python code lines)."""
    if kind == "gdb":
        if GDB is None:
            raise Skip("gdb not installed")
        argv = [GDB, "-nx", "-batch"]
        if pid is not None:
            argv += ["-p", str(pid)]
        argv += [exe] + (["-c", core] if core else [])
        for c in commands:
            argv += ["-ex", f"python {c}"]
        return argv
    if LLDB is None:
        raise Skip("lldb-19 not installed")
    argv = [LLDB, "--no-lldbinit", "-b"]
    if pid is not None:
        argv += ["-p", str(pid)]
    else:
        argv += ["-o", f"target create {exe}" + (f" --core {core}" if core else "")]
    for c in commands:
        argv += ["-o", f"script {c}"]
    return argv


def run_probe(kind, exe, truth_path, core=None, pid=None, function="main"):
    """Run ``probe.<function>(kind)`` inside the debugger; return its JSON answers."""
    setup = f"import sys; sys.path[:0] = [{PLUGINS!r}, {HERE!r}]; import probe"
    argv = debugger_argv(kind, exe, core=core, pid=pid,
                         commands=[setup, f"probe.{function}({kind!r})"])
    env = dict(os.environ, KMEMDBG_TRUTH=truth_path)
    start = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    for line in r.stdout.splitlines():
        if line.startswith("KMEMDBG-PROBE-RESULT:"):
            result = json.loads(line.split(":", 1)[1])
            result["_seconds"] = time.monotonic() - start
            return result
    raise AssertionError(f"no probe result from {kind} (rc {r.returncode}):\n"
                         f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
