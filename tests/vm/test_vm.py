"""The VM images under QEMU (TCG): boot, live debugging over the gdb stub with gdb and lldb-19,
and postmortem analysis of a dump-guest-memory dump, each checked against the ledger the
guest prints on its serial console (vm_images/vm/README.md).

Skipped only where QEMU (or gdb/make/gcc) is absent.  Every QEMU is killed in a finally.
"""

import json
import re
import os
import shutil
import time

import pytest

from tests.vm import vmlib

# i386 (no paging) and amd64 (long mode, higher half); KMEMDBG_VM_ERAS=all (or a comma list)
# runs every era the VM builds.
ALL_ERAS = ["fbsd6", "fbsd9", "fbsd11", "fbsd11-i386", "fbsd12", "fbsd13", "fbsd14", "fbsd15"]
ERAS = os.environ.get("KMEMDBG_VM_ERAS", "fbsd6,fbsd13")
ERAS = ALL_ERAS if ERAS == "all" else ERAS.split(",")


@pytest.fixture(scope="module")
def image():
    built = {}

    def get(era):
        why = vmlib.missing_tools(era)
        if why:
            pytest.skip(f"VM {era}: {why}")
        if era not in built:
            built[era] = vmlib.build(era)
        return built[era]
    return get


def live_append(interval=1):
    return f"VM_PRINT_EVERY=1 -- --scenario router --live --interval {interval} --cpus 4"


def check_views(parts, ledger, who):
    for v in vmlib.VIEWS:
        got = vmlib.first_json(parts[v])
        assert got == ledger[v], f"{who}: {v} differs from the ledger"


@pytest.mark.parametrize("era", ERAS)
def test_boot_prints_ledger(era, image, tmp_path):
    image(era)
    vm = vmlib.VM(era, str(tmp_path), live_append(interval=0.2))
    try:
        vm.start()
        vm.wait_serial(r"=== KMEMDBG LEDGER END tick=3 ===", timeout=120)
        doc = vm.ledger(3)
        assert doc["image"]["era"] == era.replace("-i386", "")
        assert doc["image"]["arch"] == vmlib.arch_of(era)
        assert doc["image"]["tick"] == 3
        assert doc["image"]["modules"] == ["libalias.ko", "ng_nat.ko"]
        names = [z["name"] for z in doc["uma-zones"]["memory-zone-statistics"]["zone"]]
        assert "mbuf" in names
    finally:
        vm.stop()
    assert not vm.alive()


def live_commands(snapshot):
    return (["@tick", "print vm_ledger_tick", "@idle", "print vm_idle"]
            + vmlib.view_commands()
            + ["@summary", "kmem-summary", "@snapshot", f"kmem-snapshot save {snapshot}",
               "@watch", "kmem-watch --interval 1 --count 2"])


def check_live(out, vm, snapshot, who):
    parts = vmlib.sections(out)
    assert "tick" in parts, f"{who} did not get to the commands:\n{out[-3000:]}"
    assert not re.search(r"vm_halt ?\(why=", out), "the VM halted:\n" + vm.serial_text()[-2000:]
    tick = vmlib.int_value(parts["tick"])
    assert vmlib.int_value(parts["idle"]) == 1, "stopped outside the quiescent point"
    ledger = vm.ledger(tick)
    check_views(parts, ledger, who)
    assert "Traceback" not in out and "kmemdbg: error" not in out, out[-3000:]
    assert "kmem" in parts["summary"].lower()
    with open(snapshot) as f:
        json.load(f)
    assert parts["watch"].strip(), "kmem-watch printed nothing"
    return tick


@pytest.mark.parametrize("era", ERAS)
def test_gdb_remote(era, image, tmp_path):
    kernel = image(era)
    snap = str(tmp_path / "snap.json")
    vm = vmlib.VM(era, str(tmp_path), live_append(), paused=True)
    try:
        vm.start()
        out = vmlib.run(vmlib.gdb_argv(
            kernel, ["break vm_idle_point", "break vm_halt", "continue", "continue", "delete"]
            + live_commands(snap), remote=f"127.0.0.1:{vm.port}"))
        tick = check_live(out, vm, snap, "gdb")
        assert tick >= 2
        assert vm.alive(), "the VM must survive the debugger"
    finally:
        vm.stop()


@pytest.mark.parametrize("era", ERAS)
def test_lldb_remote(era, image, tmp_path):
    if shutil.which(vmlib.LLDB) is None:
        pytest.skip("lldb-19 not installed")
    kernel = image(era)
    snap = str(tmp_path / "snap.json")
    vm = vmlib.VM(era, str(tmp_path), live_append(), paused=True)
    try:
        vm.start()
        cmds = ["breakpoint set -n vm_idle_point", "breakpoint set -n vm_halt",
                "process continue", "process continue",
                "breakpoint delete -f"] + [c.replace("print ", "expr ") if c.startswith("print ")
                                           else c for c in live_commands(snap)]
        out = vmlib.run(vmlib.lldb_argv(kernel, cmds, remote=f"127.0.0.1:{vm.port}"))
        tick = check_live(out, vm, snap, "lldb")
        assert tick >= 2
    finally:
        vm.stop()


@pytest.mark.parametrize("era", ERAS)
def test_dump(era, image, tmp_path):
    kernel = image(era)
    vm = vmlib.VM(era, str(tmp_path),
                  "VM_PRINT_EVERY=1 -- --scenario router --crash --cpus 4", ram=128)
    dump = str(tmp_path / "vmcore")
    try:
        vm.start()
        vm.wait_serial(r"=== KMEMDBG HALTED main returned status=0 ===", timeout=240)
        ledger = vm.ledger()
        assert ledger["image"]["panicstr"]
        vm.monitor("dump", dump)
    finally:
        vm.stop()
    assert os.path.getsize(dump) > 1 << 20
    cmds = vmlib.view_commands() + ["@summary", "kmem-summary"]
    out = vmlib.run(vmlib.gdb_argv(kernel, cmds, core=dump))
    check_views(vmlib.sections(out), ledger, "gdb on the dump")
    if shutil.which(vmlib.LLDB):
        out = vmlib.run(vmlib.lldb_argv(kernel, cmds, core=dump))
        check_views(vmlib.sections(out), ledger, "lldb on the dump")
    try:
        os.unlink(dump)                 # 128 MiB
    except OSError:
        pass


@pytest.mark.parametrize("env,status", [("", 1), ("SIM_NOLEAK=1", 0)])
def test_bisect_leak(env, status, image):
    """bisect-leak on this tree: the router scenario leaks (1); with SIM_NOLEAK it does not (0)."""
    image("fbsd6")
    argv = [os.path.join(vmlib.ROOT, "kgdb_scripts", "bisect-leak"), "--era", "fbsd6",
            "--tree", vmlib.ROOT]
    if env:
        argv += ["--vm-env", env]
    p = vmlib.subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert p.returncode == status, p.stdout + p.stderr
    if status == 1:
        assert "LEAK malloc 'libalias'" in p.stdout and "M_ALIAS" in p.stdout


@pytest.mark.parametrize("debugger", ["gdb", "lldb"])
def test_leakcheck_remote_leaves_the_guest_running(debugger, image, tmp_path):
    """leakcheck --remote on a running guest: a verdict, then the guest still alive and running,
    also when the debugger is killed by --timeout (lldb would kill the guest on exit, and a
    guest that QEMU stopped for a debugger stays stopped when the debugger goes away)."""
    if shutil.which(vmlib.LLDB if debugger == "lldb" else "gdb") is None:
        pytest.skip(f"{debugger} not installed")
    kernel = image("fbsd6")
    vm = vmlib.VM("fbsd6", str(tmp_path), live_append())
    leakcheck = os.path.join(vmlib.ROOT, "kgdb_scripts", "leakcheck")

    def still_running():
        assert vm.alive(), "the guest was killed"
        assert vm.monitor("status") == "running"
        seen = vm.serial_text().count("LEDGER BEGIN")
        end = time.time() + 60
        while vm.serial_text().count("LEDGER BEGIN") <= seen:
            assert time.time() < end, "the guest prints no new tick: it is stopped"
            time.sleep(0.5)

    try:
        vm.start()
        vm.wait_serial(r"LEDGER BEGIN", timeout=120)
        base = [leakcheck, "--kernel", kernel, "--remote", f"127.0.0.1:{vm.port}",
                "--debugger", debugger]
        p = vmlib.subprocess.run(base + ["--interval", "2"], capture_output=True, text=True,
                                 timeout=300)
        assert p.returncode == 1, p.stdout + p.stderr
        assert "LEAK malloc 'libalias'" in p.stdout
        still_running()
        timed_out = 0
        for limit in ("0.1", "0.2", "0.4"):     # killed at different points of the session
            p = vmlib.subprocess.run(base + ["--interval", "1", "--timeout", limit],
                                     capture_output=True, text=True, timeout=300)
            assert p.returncode in (1, 125), p.stdout + p.stderr
            timed_out += "did not finish" in p.stderr
            still_running()
        assert timed_out, "no run was cut short by --timeout"
    finally:
        vm.stop()
