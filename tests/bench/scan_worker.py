"""Reachability-scan benchmark worker, run inside gdb or lldb-19 on the bigheap image:

    gdb -q -nx -batch -x tests/bench/scan_worker.py KERNEL CORE
    lldb-19 -b --no-lldbinit -c CORE KERNEL -o 'command script import tests/bench/scan_worker.py'

Times, in the debugger's own Python, the item index build, the scan's inputs (allocated items and
sources), and kmem-findleaks' model as the command runs it (its own items, the scan — MB/s of
scanned memory: sources + items — and the groups); samples RssAnon every 20 ms for the peak growth
over the baseline taken before kmemdbg is imported; then walks a sample of item words the naive way
(one debugger value per word) and extrapolates to the words the scan compared. ``BENCH_NO_NUMPY=1``
makes ``import numpy`` fail in this process (the plugin then uses its pure-Python matcher). The
result JSON goes to ``$BENCH_SCAN_OUT``.
"""

import bisect
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NAIVE_BUDGET = float(os.environ.get("BENCH_NAIVE_BUDGET", 10))


def rss_anon_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class PeakSampler(threading.Thread):
    """The largest RssAnon seen while running (sampled; short peaks may be missed)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.done = rss_anon_kib(), threading.Event()

    def run(self):
        while not self.done.wait(0.02):
            self.peak = max(self.peak, rss_anon_kib())


class ReadClock:
    """Time spent in ``target.read`` (the debugger reading the core: page cache or disk) until
    ``stop``, so that a scan's MB/s can be told apart from the disk's."""

    def __init__(self, target):
        self.target, self.read, self.seconds = target, target.read, 0.0

        def read(addr, size):
            t0 = time.perf_counter()
            try:
                return self.read(addr, size)
            finally:
                self.seconds += time.perf_counter() - t0
        target.read = read

    def stop(self):
        self.target.read = self.read


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def naive_walk(read_word, items, total_words):
    """One debugger value per word of the first items, each looked up among the item starts
    with bisect, for NAIVE_BUDGET seconds; seconds extrapolated to ``total_words``."""
    starts, ends = list(items.starts), list(items.ends)
    words, hits, t0 = 0, 0, time.perf_counter()
    for start, end in zip(starts, ends):
        for addr in range(start, end - 7, 8):
            w = read_word(addr)
            i = bisect.bisect_right(starts, w) - 1
            hits += i >= 0 and w < ends[i]
            words += 1
        if time.perf_counter() - t0 > NAIVE_BUDGET:
            break
    seconds = time.perf_counter() - t0
    return {"words": words, "seconds": seconds, "hits": hits,
            "extrapolated_s": seconds / max(words, 1) * total_words}


def bench(target, read_word):
    from kmemdbg.alloc.items import item_index
    from kmemdbg.leak import findleaks
    from kmemdbg.leak.reach import numpy as plugin_numpy
    from kmemdbg.leak.roots import scan_sources

    out = {"numpy": plugin_numpy is not None}
    out["index_s"], index = timed(lambda: item_index(target))
    # The scan's input alone (then dropped: kmem-findleaks builds its own, below).
    out["items_s"], _ = timed(lambda: findleaks.allocated_items(index))
    out["sources_s"], _ = timed(lambda: scan_sources(target))
    # kmem-findleaks' model as the command runs it: items, sources, scan, groups.
    reads = ReadClock(target)
    out["findleaks_s"], report = timed(lambda: findleaks.find_leaks(target, index))
    reads.stop()
    out["findleaks_read_s"] = reads.seconds
    st = report.stats
    out["scan_s"] = st.seconds
    out["stats"] = {k: getattr(st, k) for k in ("engine", "source_bytes", "item_bytes", "words",
                                                "reads", "items", "reached", "unreadable_bytes")}
    out["scanned_mb_s"] = (st.source_bytes + st.item_bytes) / 1e6 / st.seconds
    out["leaks"] = {"count": sum(g.items for g in report.groups),
                    "bytes": sum(g.bytes for g in report.groups),
                    "groups": [[g.zone, g.size, g.items] for g in report.groups]}
    out["warnings"] = list(report.warnings)[:5]
    items = findleaks.reachability(target, index)[0]      # kept with the index: no new scan
    return out, items, st.words


def main(target, read_word):
    baseline = rss_anon_kib()
    if os.environ.get("BENCH_NO_NUMPY"):
        sys.modules["numpy"] = None     # `import numpy` raises ImportError from here on
    sys.path.insert(0, os.path.join(ROOT, "plugins"))
    sampler = PeakSampler()
    sampler.start()
    try:
        out, items, words = bench(target(), read_word)
    except Exception as e:  # reported in the result, the orchestrator prints it
        out, items = {"error": f"{type(e).__name__}: {e}"}, None
    sampler.done.set()
    sampler.join()
    out["rss_anon_kib"] = {"baseline": baseline, "peak": sampler.peak,
                           "growth": sampler.peak - baseline}
    if items is not None:
        out["naive"] = naive_walk(read_word, items, words)
    with open(os.environ["BENCH_SCAN_OUT"], "w") as f:
        json.dump(out, f, indent=1)


try:
    import gdb
except ImportError:
    gdb = None

if gdb is not None:
    def _gdb_target():
        from kmemdbg.backends.gdb_backend import GdbTarget
        return GdbTarget()

    _ULONG_P = gdb.lookup_type("unsigned long").pointer()
    main(_gdb_target, lambda a: int(gdb.Value(a).cast(_ULONG_P).dereference()))


def __lldb_init_module(debugger, _dict):
    import lldb

    sbt = debugger.GetSelectedTarget()
    ulong = sbt.GetBasicType(lldb.eBasicTypeUnsignedLong)

    def target():
        from kmemdbg.backends.lldb_backend import LldbTarget
        return LldbTarget(sbt, debugger)

    def read_word(a):
        return sbt.CreateValueFromAddress("w", lldb.SBAddress(a, sbt), ulong).GetValueAsUnsigned()

    main(target, read_word)
