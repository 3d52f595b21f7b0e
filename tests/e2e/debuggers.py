"""Drive real gdb and lldb-19 through a terminal, as a user would, for end-to-end tests.

    dbg = Debugger.open("gdb", kernel, core=core)       # or pid=1234; kind "gdb" or "lldb"
    try:
        text = dbg.run("uma-zones --format json", timeout=120)
        assert dbg.alive()
    finally:
        dbg.close()                                       # always kills the debugger

The debugger is started the documented way (``gdb -nx -q``, ``lldb-19 --no-lldbinit``) in a
pseudo-terminal of fixed size, with colours, paging and confirmations switched off, and loads
the plugin the documented way (``source plugins/gdb_kmem.py``, ``command script import
plugins/lldb_kmem.py``).  ``run`` returns what the command printed (stdout and stderr, as the
terminal shows them), with the echoed command line, the prompt, carriage returns and any
terminal escape sequences removed.  A failed kmemdbg command ends with the debugger's own error
line (``error: kmemdbg: uma-zones: exit status 1``, the same in gdb and lldb); ``run`` takes
it off and records the status in ``dbg.status`` (0 when the command did not fail), so that
``--format json`` output stays parseable.  A usage error is its own ``kmemdbg: error:`` line and
nothing after it (status 2).
"""

import os
import re
import shutil
import subprocess

import pexpect

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KMEM_GDB = os.path.join(REPO, "plugins", "gdb_kmem.py")
LLDB_KMEM = os.path.join(REPO, "plugins", "lldb_kmem.py")
GDB = shutil.which("gdb")
LLDB = shutil.which("lldb-19")
WIDTH, HEIGHT = 200, 50

# The prompts we set: distinctive, so command output cannot be mistaken for them.  lldb echoes
# each -O command after its current prompt, so the prompt is set last, spelled with \x20 so
# that its own echo does not contain it, and the target is created by a command afterwards.
GDB_PROMPT = "(kmemdbg-gdb) "
LLDB_PROMPT = "(kmemdbg-lldb) "
_LLDB_PROMPT_SETTING = '"(kmemdbg-lldb)\\x20"'
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]")
_ALIVE = "kmemdbg-session-alive"
_STATUS = re.compile(r"^error: kmemdbg: \S+: exit status (\d+)$")


class DebuggerError(Exception):
    """The debugger did not answer (timeout, exit); carries the end of the transcript."""


def no_proc_argv():
    """A command prefix running its command with an empty /proc (as on FreeBSD without
    linprocfs: no /proc/self/fd), or [] when this machine cannot make mount namespaces."""
    unshare = shutil.which("unshare")
    if not unshare:
        return []
    argv = [unshare, "-rm", "sh", "-c", 'mount -t tmpfs none /proc && exec "$@"', "no-proc"]
    try:
        ok = subprocess.run(argv + ["test", "!", "-e", "/proc/self"], timeout=30,
                            capture_output=True).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return argv if ok else []


def available(kind):
    """None if ``kind`` can run here, else the reason to skip."""
    if kind == "gdb":
        return None if GDB else "gdb not installed"
    if kind == "lldb":
        return None if LLDB else "lldb-19 not installed"
    return f"unknown debugger {kind!r}"


class Debugger:
    """One gdb or lldb session in a pseudo-terminal."""

    def __init__(self, kind, child, prompt):
        self.kind = kind
        self.child = child
        self.prompt = prompt
        self.transcript = []        # everything the session printed, for failure messages
        self.startup = ""           # what it printed before the first prompt (load messages)
        self.status = 0             # the last kmemdbg command's exit status (see run)
        self.raw = ""               # what the last command printed, escape sequences and all

    # ---- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, kind, kernel=None, core=None, pid=None, timeout=120, load_plugin=True,
             env=None):
        """Start ``kind`` ("gdb" or "lldb") on ``kernel`` with a ``core`` or attached to ``pid``.

        :raises DebuggerError: if it does not reach its prompt or the plugin fails to load.
        """
        reason = available(kind)
        if reason:
            raise DebuggerError(reason)
        environ = dict(os.environ, TERM="dumb", COLUMNS=str(WIDTH), LINES=str(HEIGHT),
                       PAGER="cat", LC_ALL="C.UTF-8")
        environ.pop("KMEMDBG_DEBUG", None)
        environ.update(env or {})
        setup = []
        if kind == "gdb":
            argv = [GDB, "-nx", "-q"]
            for setting in ("set prompt " + GDB_PROMPT, "set pagination off", "set height 0",
                            f"set width {WIDTH}", "set confirm off", "set style enabled off",
                            "set editing off", "set verbose off"):
                argv += ["-iex", setting]
            if pid is not None:
                argv += ["-p", str(pid)]
            if kernel:
                argv.append(kernel)
            if core:
                argv += ["-c", core]
            prompt = GDB_PROMPT
        else:
            argv = [LLDB, "--no-lldbinit", "--no-use-colors"]
            for setting in ("settings set auto-confirm true", "settings set use-color false",
                            f"settings set term-width {WIDTH}",
                            "settings set show-progress false",
                            f"settings set prompt {_LLDB_PROMPT_SETTING}"):
                argv += ["-O", setting]
            if kernel:
                setup.append(f'target create "{kernel}"' + (f' --core "{core}"' if core else ""))
            if pid is not None:
                setup.append(f"process attach --pid {pid}")
            prompt = LLDB_PROMPT
        child = pexpect.spawn(argv[0], argv[1:], env=environ, encoding="utf-8",
                              codec_errors="replace", dimensions=(HEIGHT, WIDTH),
                              timeout=timeout, echo=False)
        dbg = cls(kind, child, prompt)
        try:
            dbg.startup = dbg._wait_prompt(timeout)
            for command in setup:
                dbg.startup += dbg.run(command, timeout=timeout)
            if load_plugin:
                loader = f"source {KMEM_GDB}" if kind == "gdb" \
                    else f"command script import {LLDB_KMEM}"
                out = dbg.run(loader, timeout=timeout)
                if "error" in out.lower() or "Traceback" in out:
                    raise DebuggerError(f"{kind}: loading kmemdbg failed:\n{out}")
        except BaseException:
            dbg.close()
            raise
        return dbg

    def close(self):
        """Quit the debugger, killing it if it does not go (never leaves it running)."""
        child = self.child
        if child is None:
            return
        self.child = None
        try:
            if child.isalive():
                child.sendline("quit")
                child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=5)
        except (OSError, pexpect.ExceptionPexpect):
            pass
        finally:
            if child.isalive():
                child.terminate(force=True)
            try:
                child.close(force=True)
            except (OSError, pexpect.ExceptionPexpect):
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- commands ----------------------------------------------------------------------------

    def run(self, command, timeout=60):
        """Type ``command``, wait for the next prompt, and return what it printed.

        :raises DebuggerError: on timeout or if the debugger exited (the session is then
            closed; the message has the end of the transcript).
        """
        if self.child is None:
            raise DebuggerError(f"{self.kind} session is closed")
        self.transcript.append(f"{self.prompt}{command}\n")
        self.child.sendline(command)
        self.raw = self._wait_prompt(timeout)
        lines = self._clean(self.raw, command).split("\n")
        self.status = 0
        # The debugger's failure line comes last (lldb prints its error stream after output).
        for i in range(len(lines) - 1, -1, -1):
            m = _STATUS.match(lines[i])
            if m:
                self.status = int(m.group(1))
                del lines[i]
                break
            if lines[i].strip():
                # A usage error is its one kmemdbg line, last, with no status line after it.
                if lines[i].startswith("kmemdbg: error: "):
                    self.status = 2
                break
        return "\n".join(lines)

    def alive(self, timeout=30):
        """True if the session still answers a trivial command after whatever ran before."""
        if self.child is None or not self.child.isalive():
            return False
        probe = f'python print("{_ALIVE}")' if self.kind == "gdb" \
            else f'script print("{_ALIVE}")'
        try:
            return _ALIVE in self.run(probe, timeout=timeout)
        except DebuggerError:
            return False

    # ---- internals ---------------------------------------------------------------------------

    def _wait_prompt(self, timeout):
        try:
            self.child.expect_exact(self.prompt, timeout=timeout)
        except pexpect.TIMEOUT:
            text = self.child.before or ""
            self.transcript.append(text)
            self.close()
            raise DebuggerError(f"{self.kind}: no prompt after {timeout}s; last output:\n"
                                f"{self._tail()}") from None
        except pexpect.EOF:
            text = self.child.before or ""
            self.transcript.append(text)
            self.close()
            raise DebuggerError(f"{self.kind} exited; last output:\n{self._tail()}") from None
        text = self.child.before
        self.transcript.append(text)
        return text

    def _clean(self, text, command):
        text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "")
        lines = text.split("\n")
        # A terminal that echoes (lldb's line editor does) shows the command line first.
        if lines and lines[0].strip() == command.strip():
            lines = lines[1:]
        return "\n".join(lines)

    def _tail(self, n=3000):
        return "".join(self.transcript)[-n:]


def run_in_both(image, commands, timeout=120):
    """Every command once in gdb and once in lldb on ``image``'s kernel and core, as a user types
    them: ``{kind: {command: output, "alive": the session still answered afterwards}}``."""
    result = {}
    for kind in ("gdb", "lldb"):
        dbg = Debugger.open(kind, image.kernel, core=image.core)
        try:
            out = {cmd: dbg.run(cmd, timeout=timeout) for cmd in commands}
            out["alive"] = dbg.alive()
        finally:
            dbg.close()
        result[kind] = out
    return result


def save_snapshot(kind, kernel, core, path):
    """``kmem-snapshot save path`` of ``core`` in a fresh ``kind`` session; what it printed."""
    dbg = Debugger.open(kind, kernel, core=core)
    try:
        return dbg.run(f"kmem-snapshot save {path}", timeout=120)
    finally:
        dbg.close()
