"""Helpers for the VM tests: build and boot kmemdbg VM images under QEMU, drive gdb and lldb-19
against the gdb stub or a dump, read the ledger the guest prints on its serial console.

Every QEMU started here is killed by VM.stop() (tests use the VM as a context manager or a
fixture with a finalizer), by pid, never by name.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VM_IMAGES = os.path.join(ROOT, "vm_images")
RUN_VM = os.path.join(VM_IMAGES, "run-vm")
PLUGINS = os.path.join(ROOT, "plugins")
KMEM_GDB = os.path.join(ROOT, "plugins", "gdb_kmem.py")
LLDB = "lldb-19"

QEMU = {"i386": "qemu-system-i386", "amd64": "qemu-system-x86_64"}
ARCH = {"fbsd6": "i386", "fbsd11-i386": "i386"}


def arch_of(era):
    return ARCH.get(era, "amd64")


def missing_tools(era):
    """Why this era cannot run here (None if it can)."""
    need = [QEMU[arch_of(era)], "gdb", "make", "gcc"]
    miss = [t for t in need if shutil.which(t) is None]
    return f"not installed: {', '.join(miss)}" if miss else None


def kernel_path(era):
    return os.path.join(VM_IMAGES, "build", "vm", era, "kernel")


def build(era, timeout=600):
    p = subprocess.run(["make", "-C", VM_IMAGES, "vm-kernel", f"ERA={era}"],
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"building the {era} VM image failed:\n{p.stdout[-3000:]}"
                           f"\n{p.stderr[-3000:]}")
    return kernel_path(era)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VM:
    """One QEMU running a VM image; stop() always kills it."""

    def __init__(self, era, workdir, append, paused=False, ram=768):
        self.era = era
        self.kernel = kernel_path(era)
        self.workdir = workdir
        self.serial = os.path.join(workdir, f"{era}-serial.log")
        self.qmp = os.path.join(workdir, f"{era}.qmp")
        self.port = free_port()
        self.append = append
        self.paused = paused
        self.ram = ram
        self.pid = None
        self.proc = None

    def start(self):
        argv = [RUN_VM, "--era", self.era, "--port", str(self.port), "--serial", self.serial,
                "--qmp", self.qmp, "--ram", str(self.ram), "--append", self.append,
                "--print-argv"]
        if self.paused:
            argv.append("--paused")
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"run-vm failed: {p.stderr}")
        # QEMU is our own child, so stop() can reap it
        self.proc = subprocess.Popen(json.loads(p.stdout), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.serial + ".qemu-stderr", "w"))
        self.pid = self.proc.pid
        end = time.time() + 20
        while not os.path.exists(self.qmp):
            if self.proc.poll() is not None or time.time() > end:
                self.stop()
                raise RuntimeError("QEMU did not start: "
                                   + open(self.serial + ".qemu-stderr").read())
            time.sleep(0.05)
        return self

    def alive(self):
        return self.pid is not None and self.proc.poll() is None

    def stop(self):
        if self.pid is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.pid = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serial_text(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read().decode("latin-1")
        except FileNotFoundError:
            return ""

    def wait_serial(self, pattern, timeout=120):
        rx = re.compile(pattern)
        end = time.time() + timeout
        while time.time() < end:
            m = rx.search(self.serial_text())
            if m:
                return m
            if not self.alive():
                break
            time.sleep(0.2)
        raise TimeoutError(f"no {pattern!r} on the {self.era} console; last output:\n"
                           + self.serial_text()[-1500:])

    def ledger(self, tick=None):
        """The expected.json the guest printed for `tick` (default: the last one)."""
        text = self.serial_text()
        docs = re.findall(r"=== KMEMDBG LEDGER BEGIN tick=(-?\d+) bytes=\d+ ===\n(.*?)\n"
                          r"=== KMEMDBG LEDGER END tick=\1 ===", text, re.S)
        for t, doc in reversed(docs):
            if tick is None or int(t) == tick:
                return json.loads(doc)
        raise KeyError(f"no ledger for tick {tick} on the console")

    def monitor(self, *what, timeout=300):
        p = subprocess.run([RUN_VM, "monitor", "--qmp", self.qmp, "--kernel", self.kernel]
                           + list(what), capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"run-vm monitor {' '.join(what)}: {p.stderr}")
        return p.stdout.strip()


# ---- debuggers ------------------------------------------------------------------------------

MARK = "@@KMEMDBG "


def gdb_argv(kernel, commands, remote=None, core=None):
    argv = ["gdb", "-q", "-nx", "-batch", "-ex", "set pagination off",
            "-ex", "set confirm off", "-ex", f"source {KMEM_GDB}"]
    if remote:
        argv += ["-ex", f"target remote {remote}"]
    for c in commands:
        if c.startswith("@"):
            argv += ["-ex", f"echo {MARK}{c[1:]}\\n"]
        else:
            argv += ["-ex", c]
    argv.append(kernel)
    if core:
        argv.append(core)
    return argv


def lldb_argv(kernel, commands, remote=None, core=None):
    argv = [LLDB, "--no-lldbinit", "-b"]
    if core:
        argv += ["-c", core]
    argv.append(kernel)
    if remote:
        argv += ["-o", f"gdb-remote {remote}"]
    argv += ["-o", f"command script import {os.path.join(PLUGINS, 'lldb_kmem.py')}"]
    for c in commands:
        if c.startswith("@"):
            argv += ["-o", f"script print('{MARK}{c[1:]}')"]
        else:
            argv += ["-o", c]
    return argv


def run(argv, timeout=180):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.stdout + p.stderr


def sections(output):
    """{name: text} of the output between '@name' markers."""
    parts = {}
    cur = None
    for line in output.splitlines():
        if line.startswith(MARK):
            cur = line[len(MARK):].strip()
            parts[cur] = []
        elif cur is not None:
            parts[cur].append(line)
    return {k: "\n".join(v) for k, v in parts.items()}


def first_json(text):
    i = text.find("{")
    if i < 0:
        raise ValueError(f"no JSON in:\n{text[-2000:]}")
    return json.JSONDecoder().raw_decode(text[i:])[0]


def int_value(text):
    """The value of 'print x' (gdb: '$1 = 3') or 'expr x' (lldb: '(int) $0 = 3')."""
    m = re.search(r"\$\d+ = (-?\d+)", text)
    if not m:
        raise ValueError(f"no value in:\n{text}")
    return int(m.group(1))


# Commands compared key for key with the ledger (GROUND_TRUTH.md).
VIEWS = ["uma-zones", "uma-zones --compat kvm", "uma-zones --where", "malloc-types",
         "malloc-types --compat kvm"]


def view_commands():
    cmds = []
    for v in VIEWS:
        cmds += [f"@{v}", f"{v} --format json"]
    return cmds
