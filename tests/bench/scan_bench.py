"""The reachability scan's part of ``make bench``: kmem-findleaks' work on the bigheap image
(``vm_images/simkern/sim/scenario_bigheap.c``: 6 million items, 1.2 GB) in gdb and lldb-19, with
and without numpy, one session each (``scan_worker.py``), against the naive per-word walk; and
the leak count checked against the simulator's ledger (expected.json ``ledger.leak``).
"""

import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IMAGE = os.path.join(ROOT, "vm_images", "build", "fbsd14", "bigheap")
TARGET_MB_S = 300               # gdb, numpy (issue 15)
TARGET_GROWTH_MIB = 1024        # peak RssAnon growth, each session
TIMEOUT = 1800                  # the pure-Python matcher on 1.2 GB takes minutes


def warm(path):
    """Read ``path`` once so that the session reads the core from the page cache, not the disk
    (a host that pages out idle file pages would otherwise time its disk)."""
    with open(path, "rb", buffering=0) as f:
        while f.read(16 << 20):
            pass


def run_worker_json(kind, worker, image, out, env, timeout, gdb, lldb):
    """Run ``worker`` (a script in this directory) inside gdb or lldb-19 on ``image``; return
    the JSON it wrote to ``out``, or ``{"error": ...}``.  Shared with ``run.py``."""
    kernel, core = os.path.join(image, "kernel"), os.path.join(image, "vmcore")
    path = os.path.join(HERE, worker)
    warm(core)
    if kind == "gdb":
        argv = [gdb, "-q", "-nx", "-batch", "-x", path, kernel, core]
    else:
        argv = [lldb, "-b", "--no-lldbinit", "-c", core, kernel, "-o",
                f"command script import {path}"]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    try:
        with open(out) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"error": f"no result (exit {p.returncode}): {(p.stdout + p.stderr).strip()[-500:]}"}


def run_session(kind, numpy, tmp, gdb, lldb):
    out = os.path.join(tmp, f"scan-{kind}-{'numpy' if numpy else 'python'}.json")
    env = dict(os.environ, BENCH_SCAN_OUT=out)
    env.pop("BENCH_NO_NUMPY", None)
    if not numpy:
        env["BENCH_NO_NUMPY"] = "1"
    return run_worker_json(kind, "scan_worker.py", IMAGE, out, env, TIMEOUT, gdb, lldb)


def scan_bench(tmp, log, gdb="gdb", lldb="lldb-19"):
    """Run the four sessions; return ``(results, ok)``, ok False when a session failed or the
    leak count differs from the ledger."""
    try:
        planted = json.load(open(os.path.join(IMAGE, "expected.json")))["ledger"]["leak"]
    except (OSError, ValueError, KeyError, TypeError):
        log(f"scan bench: no bigheap image at {IMAGE} (make -C vm_images scale builds it)")
        return {"error": "no bigheap image"}, False
    want = planted["unreachable"]
    res, ok = {"planted": want, "sessions": {}, "loadavg_start": os.getloadavg()}, True
    log(f"== scan bench on bigheap (planted unreachable: {want['count']} items, {want['bytes']} B)")
    for kind in ("gdb", "lldb"):
        for numpy in (True, False):
            name = f"{kind} {'numpy' if numpy else 'python'}"
            r = res["sessions"][name] = run_session(kind, numpy, tmp, gdb, lldb)
            if "error" in r:
                ok = False
                log(f"   {name}: ERROR {r['error']}")
                continue
            leaks = r["leaks"]
            r["leaks_match"] = leaks["count"] == want["count"] and leaks["bytes"] == want["bytes"]
            ok &= r["leaks_match"] and r["numpy"] == numpy
            log(f"   {name}: index {r['index_s']:.1f}s, items {r['items_s']:.1f}s, scan "
                f"{r['scan_s']:.1f}s = {r['scanned_mb_s']:.0f} MB/s (kmem-findleaks "
                f"{r['findleaks_s']:.1f}s, {r['findleaks_read_s']:.1f}s of it reading), "
                f"peak RssAnon +"
                f"{r['rss_anon_kib']['growth'] / 1024:.0f} MiB, naive "
                f"{r['naive']['extrapolated_s']:.0f}s (extrapolated from {r['naive']['words']} "
                f"words), leaks {leaks['count']} ({'= ledger' if r['leaks_match'] else 'WRONG'})")
    res["loadavg_end"] = os.getloadavg()
    g = res["sessions"].get("gdb numpy", {})
    res["targets"] = [
        {"what": "scan throughput, gdb, numpy", "target": f">= {TARGET_MB_S} MB/s",
         "value": g.get("scanned_mb_s"), "met": (g.get("scanned_mb_s") or 0) >= TARGET_MB_S},
        {"what": "peak debugger growth (RssAnon), every session",
         "target": f"< {TARGET_GROWTH_MIB} MiB",
         "value": max((s["rss_anon_kib"]["growth"] / 1024 for s in res["sessions"].values()
                       if "rss_anon_kib" in s), default=None),
         "met": all(s.get("rss_anon_kib", {}).get("growth", 1 << 40) / 1024 < TARGET_GROWTH_MIB
                    for s in res["sessions"].values())}]
    for t in res["targets"]:
        log(f"  {'met   ' if t['met'] else 'MISSED'} {t['what']}: {t['target']} (value {t['value']})")
    return res, ok
