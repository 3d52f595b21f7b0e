"""Benchmark worker run inside lldb-19:
``lldb-19 -b --no-lldbinit -c CORE KERNEL -o 'command script import tests/bench/lldb_worker.py'``.

Loads kmemdbg the documented way (``command script import plugins/lldb_kmem.py``) after taking
the memory baseline, then lets ``workercore.bench`` time the commands, the floor and the naive
walk.  Everything runs in ``__lldb_init_module``, inside the lldb-19 process.
"""

import contextlib
import os
import sys

import lldb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import naive_lldb  # noqa: E402
import workercore  # noqa: E402


class LldbHost:
    last_error = None

    def __init__(self, debugger):
        self.debugger = debugger
        self.interp = debugger.GetCommandInterpreter()

    @property
    def target(self):
        return self.debugger.GetSelectedTarget()

    def run(self, command):
        res = lldb.SBCommandReturnObject()
        self.interp.HandleCommand(command, res)
        if not res.Succeeded():
            self.last_error = (res.GetError() or res.GetOutput() or "").strip().splitlines()[-1:]
        return res.Succeeded()

    def output(self, command):
        res = lldb.SBCommandReturnObject()
        self.interp.HandleCommand(command, res)
        return res.GetOutput() or ""

    def plugin_target(self):
        return sys.modules["kmemdbg.backends.lldb_backend"].current_target(self.debugger)

    @property
    def raw_read(self):
        """SBProcess.ReadMemory, and what the core lacks from the file, as ``replay`` reads."""
        target = self.target
        process = target.GetProcess()

        def read(addr, size):
            err = lldb.SBError()
            data = process.ReadMemory(addr, size, err)
            if err.Success() and data is not None:
                return data
            err = lldb.SBError()
            data = target.ReadMemory(lldb.SBAddress(addr, target), size, err)
            if not err.Success():
                raise OSError(f"{size} bytes at {addr:#x}: {err.GetCString()}")
            return data
        return read

    def load_plugin(self):
        return self.run(f"command script import {ROOT}/plugins/lldb_kmem.py") and \
            self.run("help uma-zones")

    @contextlib.contextmanager
    def record_reads(self):
        cls = sys.modules["kmemdbg.backends.lldb_backend"].LldbTarget
        original, log = cls.read, []

        def read(target, addr, size):
            log.append((addr, size))
            return original(target, addr, size)

        cls.read = read
        try:
            yield log
        finally:
            cls.read = original

    def replay(self, log):
        """SBProcess.ReadMemory; what the core lacks (read-only sections), as the backend does,
        from the file through SBTarget.ReadMemory."""
        process, target, failed = self.target.GetProcess(), self.target, 0
        for addr, size in log:
            err = lldb.SBError()
            data = process.ReadMemory(addr, size, err)
            if not err.Success() or data is None:
                err = lldb.SBError()
                data = target.ReadMemory(lldb.SBAddress(addr, target), size, err)
                if not err.Success():
                    failed += 1
        return failed

    def naive_zones(self, deadline):
        return naive_lldb.naive_zones(self.target, deadline)

    def naive_malloc(self, deadline):
        return naive_lldb.naive_malloc(self.target, deadline)

    def naive_items(self, zone, deadline):
        return naive_lldb.naive_items(self.target, zone, deadline)


def __lldb_init_module(debugger, internal_dict):
    baseline = workercore.proc_status()
    try:
        result = workercore.bench(LldbHost(debugger), baseline)
    except Exception as e:
        result = {"error": f"{type(e).__name__}: {e}"}
    result["debugger"] = lldb.SBDebugger.GetVersionString().splitlines()[0]
    workercore.write_result(result)
