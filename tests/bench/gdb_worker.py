"""Benchmark worker run inside gdb: ``gdb -q -nx -batch -x tests/bench/gdb_worker.py KERNEL CORE``.

Loads kmemdbg the documented way (``source plugins/gdb_kmem.py``) after taking the memory
baseline, then lets ``workercore.bench`` time the commands, the floor and the naive walk.
"""

import contextlib
import os
import sys

import gdb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import naive_gdb  # noqa: E402
import workercore  # noqa: E402


class GdbHost:
    last_error = None

    def load_plugin(self):
        # gdb runs a sourced .py in __main__ and sets __file__ only if it is unset, so
        # gdb_kmem.py would see *this* file's __file__ and miss its directory: unset it.
        main = sys.modules["__main__"].__dict__
        saved = main.pop("__file__", None)
        try:
            gdb.execute(f"source {ROOT}/plugins/gdb_kmem.py", to_string=True)
        finally:
            if saved is not None:
                main["__file__"] = saved
        return "kmemdbg.backends.gdb_backend" in sys.modules and \
            gdb.execute("help uma-zones", to_string=True) != ""

    def output(self, command):
        return gdb.execute(command, to_string=True)

    @staticmethod
    def plugin_target():
        return sys.modules["kmemdbg.backends.gdb_backend"].current_target()

    @property
    def raw_read(self):
        return gdb.selected_inferior().read_memory

    def run(self, command):
        try:
            gdb.execute(command, to_string=True)
            return True
        except gdb.error as e:
            self.last_error = str(e)
            return False

    @contextlib.contextmanager
    def record_reads(self):
        """Log every read of the plugin: ``read`` and ``read_buffer`` (the same read, without
        the copy into ``bytes``)."""
        cls = sys.modules["kmemdbg.backends.gdb_backend"].GdbTarget
        # the class attributes as stored (read_buffer is a staticmethod), restored as they were
        originals, log = {name: cls.__dict__[name] for name in ("read", "read_buffer")}, []

        def recording(original):
            def read(target, addr, size):
                log.append((addr, size))
                return original.__get__(target, cls)(addr, size)
            return read

        for name, original in originals.items():
            setattr(cls, name, recording(original))
        try:
            yield log
        finally:
            for name, original in originals.items():
                setattr(cls, name, original)

    def replay(self, log):
        inferior, failed = gdb.selected_inferior(), 0
        for addr, size in log:
            try:
                inferior.read_memory(addr, size)
            except gdb.MemoryError:
                failed += 1
        return failed

    naive_zones = staticmethod(naive_gdb.naive_zones)
    naive_malloc = staticmethod(naive_gdb.naive_malloc)
    naive_items = staticmethod(naive_gdb.naive_items)


def main():
    baseline = workercore.proc_status()
    try:
        result = workercore.bench(GdbHost(), baseline)
    except Exception as e:
        result = {"error": f"{type(e).__name__}: {e}"}
    result["debugger"] = gdb.execute("show version", to_string=True).splitlines()[0]
    workercore.write_result(result)


main()
