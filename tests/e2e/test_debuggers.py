"""The pexpect driver (debuggers.py) and the command hosts, on the contract fixture.

A test-only ``kmemdbg-selftest`` command is installed into each session after the plugin was
loaded the documented way; it echoes its argv and target facts, or fails on request, so the
hosts' lexing, output, error and status handling can be checked in both debuggers, and the
two debuggers' outputs compared.
"""

import os
import subprocess
import sys

import pytest

from .debuggers import KMEM_GDB, LLDB_KMEM, Debugger, DebuggerError, available, no_proc_argv

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "contract"))
import harness  # noqa: E402  (tests/contract/harness.py: fixture build, run, cores)

KINDS = ["gdb", "lldb"]


@pytest.fixture(scope="module")
def fixture_exe(tmp_path_factory):
    try:
        return harness.build(str(tmp_path_factory.mktemp("e2e-fixture")), 64)
    except harness.Skip as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def fixture_core(fixture_exe, tmp_path_factory):
    live = harness.Live(fixture_exe)
    try:
        return harness.gcore(live, str(tmp_path_factory.mktemp("e2e-core") / "core"))
    except harness.Skip as e:
        pytest.skip(str(e))
    finally:
        live.close()


def open_session(kind, exe, **kw):
    reason = available(kind)
    if reason:
        pytest.skip(reason)
    dbg = Debugger.open(kind, exe, **kw)
    setup = f"import sys; sys.path.insert(0, {HERE!r}); import selftest_cmd; "
    if kind == "gdb":
        out = dbg.run(f"python {setup}selftest_cmd.install_gdb()")
    else:
        out = dbg.run(f"script {setup}selftest_cmd.install_lldb(lldb.debugger)")
    assert out.strip() == "", out
    return dbg


@pytest.fixture(scope="module", params=KINDS)
def session(request, fixture_exe, fixture_core):
    dbg = open_session(request.param, fixture_exe, core=fixture_core)
    yield dbg
    dbg.close()


def test_run_returns_only_the_output(session):
    out = session.run("kmemdbg-selftest a 'b c' d\\ e --read fixture_array")
    assert out == "argv=['a', 'b c', 'd e'] live=False pointer_size=8\nfixture_array=0xa\n"
    assert session.status == 0


def test_failure_is_one_line_and_a_status(session):
    out = session.run("kmemdbg-selftest --fail")
    error, hint = out.splitlines()      # the error, then what to do about it (commands/hints.py)
    assert error == ("kmemdbg: error: kmemdbg-selftest: symbol 'uma_kegs' not found "
                     "(is this a FreeBSD kernel with debug info?)")
    assert hint.startswith("kmemdbg: hint: not a FreeBSD kernel with debug info")
    assert session.status == 1
    # What the terminal showed: the debugger's own failure line after the command's output.
    assert session.transcript[-1].replace("\r", "").endswith(
        "error: kmemdbg: kmemdbg-selftest: exit status 1\n")
    assert session.alive()
    assert session.status == 0


@pytest.mark.parametrize("flag", ["--crash", "--exit"])
def test_bugs_in_commands_never_kill_the_session(session, flag):
    out = session.run(f"kmemdbg-selftest {flag}")
    assert "Traceback" not in out
    assert out.startswith("kmemdbg: internal error in kmemdbg-selftest: ")
    assert out.count("\n") == 1 and session.status == 1
    assert session.alive()


def test_usage_error_and_help(session):
    out = session.run("kmemdbg-selftest --no-such-option")
    assert out == "kmemdbg: error: kmemdbg-selftest: unrecognized arguments: --no-such-option\n"
    assert session.status == 2
    assert session.run("kmemdbg-selftest -h").startswith("usage: kmemdbg-selftest [-h]")
    help_text = session.run("help kmemdbg-selftest")
    assert ("usage: kmemdbg-selftest [-h] [--force] [--fail] [--crash] [--exit] [--read SYMBOL]"
            in help_text)
    assert "Echo the arguments and what the target is." in help_text


def test_real_commands_fail_cleanly_on_a_non_freebsd_target(session):
    """The fixture is no kernel: every installed command must say so, not crash."""
    out = session.run("uma-zones")
    assert "Traceback" not in out and out.startswith("kmemdbg: error: uma-zones: ")
    assert out.count("\n") == 2 and session.status == 1
    assert out.splitlines()[1].startswith("kmemdbg: hint: not a FreeBSD kernel with debug info")


def test_reload_keeps_the_commands(session):
    assert session.run("kmemdbg-reload").startswith("kmemdbg: reloaded, ")
    assert session.run("uma-zones --bogus").startswith("kmemdbg: error: uma-zones: ")
    assert session.alive()


def test_gdb_and_lldb_print_the_same(fixture_exe, fixture_core):
    commands = ["kmemdbg-selftest x --read fixture_counter", "kmemdbg-selftest --fail",
                "kmemdbg-selftest --bogus", "kmemdbg-selftest -h", "uma-zones", "malloc-types"]
    outputs = {}
    for kind in KINDS:
        dbg = open_session(kind, fixture_exe, core=fixture_core)
        try:
            outputs[kind] = [(dbg.run(c), dbg.status) for c in commands]
        finally:
            dbg.close()
    assert outputs["gdb"] == outputs["lldb"]


@pytest.mark.parametrize("kind", KINDS)
def test_live_attach_and_close_detaches(kind, fixture_exe):
    live = harness.Live(fixture_exe)
    try:
        dbg = open_session(kind, fixture_exe, pid=live.pid)
        try:
            assert dbg.run("kmemdbg-selftest").startswith("argv=[] live=True")
        finally:
            dbg.close()
        assert live.proc.poll() is None, "closing the debugger killed the process"
    finally:
        live.close()


@pytest.mark.parametrize("kind", KINDS)
def test_close_always_kills_and_timeouts_raise(kind, fixture_exe):
    dbg = open_session(kind, fixture_exe)
    child = dbg.child
    slow = "python import time; time.sleep(30)" if kind == "gdb" \
        else "script import time; time.sleep(30)"
    with pytest.raises(DebuggerError, match="no prompt after 1s"):
        dbg.run(slow, timeout=1)
    assert not child.isalive(), "a timed-out session must be killed"
    assert not dbg.alive()
    dbg.close()          # idempotent
    with pytest.raises(DebuggerError):
        dbg.run("help")


# ---- batch mode: what scripts see ---------------------------------------------------------------

def batch(kind, exe, *commands):
    if kind == "gdb":
        argv = ["gdb", "-nx", "-batch", "-ex", f"source {KMEM_GDB}", "-ex",
                f"python import sys; sys.path.insert(0, {HERE!r}); "
                "import selftest_cmd; selftest_cmd.install_gdb()", exe]
        for c in commands:
            argv += ["-ex", c]
    else:
        argv = ["lldb-19", "--no-lldbinit", "-b", "-o", f"command script import {LLDB_KMEM}",
                "-o", f"script import sys; sys.path.insert(0, {HERE!r}); "
                "import selftest_cmd; selftest_cmd.install_lldb(lldb.debugger)", exe]
        for c in commands:
            argv += ["-o", c]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", KINDS)
def test_batch_exit_status(kind, fixture_exe):
    if available(kind):
        pytest.skip(available(kind))
    ok = batch(kind, fixture_exe, "kmemdbg-selftest hello")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "argv=['hello']" in ok.stdout
    failed = batch(kind, fixture_exe, "kmemdbg-selftest --fail")
    assert failed.returncode == 1
    assert "kmemdbg: error: kmemdbg-selftest: symbol 'uma_kegs' not found" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    # lldb -b stops at the first failing command; gdb -batch runs on and reports the last one.
    after = batch(kind, fixture_exe, "kmemdbg-selftest --fail", "kmemdbg-selftest after")
    if kind == "lldb":
        assert after.returncode == 1 and "argv=['after']" not in after.stdout
    else:
        assert after.returncode == 0 and "argv=['after']" in after.stdout


def test_gdb_loads_from_any_directory_without_proc(tmp_path, fixture_exe):
    """FreeBSD has no /proc/self/fd: loading must not need it (here /proc is an empty tmpfs)."""
    if available("gdb"):
        pytest.skip(available("gdb"))
    if not no_proc_argv():
        pytest.skip("cannot hide /proc: unshare -rm refused (no user or mount namespaces)")
    rel = os.path.relpath(KMEM_GDB, str(tmp_path))
    for path in (KMEM_GDB, rel):
        r = subprocess.run(no_proc_argv() + ["gdb", "-nx", "-batch", "-ex", f"source {path}", "-ex",
                                             "help uma-zones"], cwd=str(tmp_path),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "usage: uma-zones" in r.stdout
        assert "error" not in r.stderr.lower(), r.stderr
