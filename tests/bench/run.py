"""``make bench``: kmemdbg's commands on the scale images, in gdb and lldb-19, against the naive
walk, the read floor and drgn.  Prints a table and writes tests/bench/results.json.

For each scale image, one gdb session (``gdb_worker.py``) and one lldb-19 session
(``lldb_worker.py``) time ``uma-zones``, ``malloc-types``, ``kmem-summary`` and
``kmem-snapshot save``, ``kmem-whatis --file`` with 10,000 addresses and ``uma-items`` of the
biggest zone inside the debugger (start-up excluded), record the memory high-water
mark, replay the plugin's reads (the floor) and run the naive value-object walk; then
``drgn_walk.py`` runs the same walk in drgn.  See README/RESULTS.md for what the columns mean.
The fbsd14 images at 64, 256 and 1024 CPUs and with 4,000 zones show how each command's time
grows with the bytes it reads (``scaling`` in results.json).

Environment: ``BENCH_RUNS`` (most timed runs after the first, default 9), ``BENCH_NAIVE_BUDGET``
(seconds per naive walk before extrapolating, default 15), ``BENCH_IMAGES`` (comma-separated
subset of the image names below).
"""

import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from scan_bench import run_worker_json, scan_bench

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VM = os.path.join(ROOT, "vm_images")
FALLBACK = os.path.join(HERE, "images")
PYTHON = "/usr/bin/python3"
# drgn runs in its own interpreter (make bench installs it into a private virtualenv).
DRGN_PYTHON = os.environ.get("DRGN_PYTHON", PYTHON)
GDB = os.environ.get("GDB", "gdb")
LLDB = os.environ.get("LLDB", "lldb-19")
IMAGES = ("fbsd14/scale-64", "fbsd14/scale-256", "fbsd14/scale-1024", "fbsd14/scale-256-z4000",
          "fbsd11-i386/scale-64")
# The images whose cost is compared as CPUs (64, 256, 1024) and zones (1,000, 4,000) grow.
SCALING = ("fbsd14/scale-64", "fbsd14/scale-256", "fbsd14/scale-1024", "fbsd14/scale-256-z4000")
FALLBACK_ZONES = 960     # a smaller image when the full one could not be built
COMMANDS = ("uma-zones", "malloc-types", "kmem-summary", "kmem-snapshot save {snap}",
            "kmem-whatis --file {addrs} --format json", "uma-items '{zone}' --format json")
WALKS = {"uma-zones": ("zones",), "malloc-types": ("malloc",),
         "kmem-summary": ("zones", "malloc"), "kmem-snapshot": ("zones", "malloc"),
         "kmem-whatis": ("items",), "uma-items": ("items",)}
# Seconds a command may take on the 256-CPU image (the item index is built by the first
# kmem-whatis run, its "cold" time; the median runs reuse it).
LIMITS = {"kmem-whatis": 2.0}
# The walks issue 17's naive, drgn and read-floor targets are about: the item commands read
# little after the index (uma-items re-reads nothing) and their naive walk covers one keg.
FLOOR_TARGETS = ("uma-zones", "malloc-types", "kmem-summary", "kmem-snapshot")
INDEX_BUILD_LIMIT = 5.0
WHATIS_ADDRESSES = 10000
TIMEOUT = 900


def log(msg=""):
    print(msg, flush=True)


# ---- images ------------------------------------------------------------------------------

def find_image(name):
    """The image directory, or a reduced rebuild of it (see FALLBACK_ZONES) when the
    vm_images build failed; returns (dir, note)."""
    d = os.path.join(VM, "build", name)
    if os.path.isfile(os.path.join(d, "vmcore")) and os.path.isfile(os.path.join(d, "expected.json")):
        return d, None
    error = _last_lines(os.path.join(d, "run.log")) or "no vmcore"
    fb = os.path.join(FALLBACK, name)
    note = (f"vm_images/build/{name} missing ({error}); bench rebuilt it in "
            f"tests/bench/images/{name} with --zones {FALLBACK_ZONES}")
    if os.path.isfile(os.path.join(fb, "vmcore")):
        return fb, note
    # Replay vm_images/Makefile's own recipe for the image, into FALLBACK, with fewer zones.
    rel = f"build/{name}"
    recipe = subprocess.run(["make", "-s", "-n", "-C", VM, f"{rel}/expected.json"],
                            capture_output=True, text=True).stdout
    os.makedirs(fb, exist_ok=True)
    for line in recipe.splitlines():
        line = line.replace(rel, fb).replace("--scenario scale",
                                             f"--scenario scale --zones {FALLBACK_ZONES}")
        r = subprocess.run(["bash", "-c", line], cwd=VM, capture_output=True, text=True)
        if r.returncode:
            return None, f"{note}: failed: {line}: {(r.stdout + r.stderr).strip()[-300:]}"
    return fb, note


def _last_lines(path):
    try:
        lines = [x.strip() for x in open(path) if x.strip()]
    except OSError:
        return None
    return lines[-1] if lines else None


# ---- sessions ----------------------------------------------------------------------------

def item_inputs(image, tmp):
    """The biggest zone (most items on its keg) and 10,000 addresses to ask about: item starts
    and interiors of every keg, and a few addresses in no slab, from the image's items.json."""
    with open(os.path.join(image, "items.json")) as f:
        slabs = json.load(f)["slabs"]
    per_keg = {}
    for s in slabs:
        per_keg[s["zone"]] = per_keg.get(s["zone"], 0) + s["ipers"]
    zone = max(per_keg, key=per_keg.get)
    rng = random.Random(14)
    items = [(s["data"], s["ipers"], s["rsize"]) for s in slabs]
    lines = []
    for _ in range(WHATIS_ADDRESSES):
        data, ipers, rsize = rng.choice(items)
        lines.append(f"{data + rng.randrange(ipers * rsize):#x}\n")
    path = os.path.join(tmp, "addresses.txt")
    with open(path, "w") as f:
        f.writelines(lines)
    return path, zone


def run_worker(kind, image, tmp):
    out = os.path.join(tmp, f"{kind}.json")
    config = os.path.join(tmp, "config.json")
    addrs, zone = item_inputs(image, tmp)
    with open(config, "w") as f:
        json.dump({"commands": [c.format(snap=os.path.join(tmp, "snap.json"), addrs=addrs,
                                         zone=zone) for c in COMMANDS],
                   "items_zone": zone,
                   "out": out, "max_runs": int(os.environ.get("BENCH_RUNS", 9)),
                   "target_seconds": 10,
                   "naive_budget": float(os.environ.get("BENCH_NAIVE_BUDGET", 15))}, f)
    return run_worker_json(kind, f"{kind}_worker.py", image, out,
                           dict(os.environ, BENCH_CONFIG=config), TIMEOUT, GDB, LLDB)


def run_drgn(image, runs=2):
    p = subprocess.run([DRGN_PYTHON, os.path.join(HERE, "drgn_walk.py"), os.path.join(image, "kernel"),
                        os.path.join(image, "vmcore"), str(runs)],
                       capture_output=True, text=True, timeout=TIMEOUT)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        err = (p.stderr or p.stdout).strip().splitlines()
        return {"error": err[-1] if err else f"exit {p.returncode}"}


# ---- machine -----------------------------------------------------------------------------

def _first(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
        return out.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def machine():
    cpuinfo = open("/proc/cpuinfo").read()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+)", open("/proc/meminfo").read())
    osrel = dict(line.rstrip().split("=", 1) for line in open("/etc/os-release") if "=" in line)
    drgn = subprocess.run([DRGN_PYTHON, "-c", "import drgn; print(drgn.__version__)"],
                          capture_output=True, text=True)
    return {"cpu": model.group(1) if model else platform.processor(), "cores": os.cpu_count(),
            "ram_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
            "os": osrel.get("PRETTY_NAME", "").strip('"'), "kernel": platform.release(),
            "loadavg_start": open("/proc/loadavg").read().split()[:3],
            "gdb": _first([GDB, "--version"]), "lldb": _first([LLDB, "--version"]),
            "python": sys.version.split()[0],
            "drgn": drgn.stdout.strip() if drgn.returncode == 0 else
            f"not available: {(drgn.stderr.strip().splitlines() or ['?'])[-1]}"}


# ---- report ------------------------------------------------------------------------------

def short(command):
    return command.split()[0]


def walk_seconds(result, command, source):
    """Seconds of the naive (``source`` = naive dict) or drgn walk matching a command."""
    total = 0.0
    for w in WALKS[short(command)]:
        entry = (source or {}).get(w) or {}
        value = entry.get("seconds", entry.get("median"))
        if value is None:
            return None
        total += value
    return total


def floor_ratio(c, timed=None):
    """The command's time (or ``timed``'s, the bare walk's) over its read floor: the median of
    each run's time over the floor timed right after it.  This host's speed drifts by tens of
    percent within seconds; a run and its floor see the same speed, so their ratios scatter
    less than either median."""
    pairs = [t / f for t, f in zip((timed or c).get("samples", ()), c["floor"].get("samples", ()))
             if f]
    return statistics.median(pairs) if pairs else None


def rows_for(image, kind, session, drgn):
    rows = []
    for command, c in session.get("commands", {}).items():
        naive = walk_seconds(session, command, session.get("naive"))
        peer = walk_seconds(session, command, drgn)
        extrap = any((session.get("naive") or {}).get(w, {}).get("extrapolated")
                     for w in WALKS[short(command)])
        bare = c.get("bare", {})
        rows.append({"image": image, "debugger": kind, "command": short(command),
                     "median": c["median"], "min": c["min"], "max": c["max"], "cold": c["cold"],
                     "runs": c["runs"], "ok": c["ok"], "floor": c["floor"]["median"],
                     "floor_ratio": floor_ratio(c),
                     # bare_malloc.py: the same table with no checks, as a bound on this host
                     "bare": bare.get("median"), "bare_note": bare.get("note"),
                     "bare_ratio": floor_ratio(c, bare) if "samples" in bare else None,
                     "naive": naive, "naive_extrapolated": extrap, "drgn": peer,
                     "reads": c.get("reads"), "bytes": c.get("bytes"), "note": c.get("note")})
    return rows


def scaling(rows, images):
    """Per debugger and command, on the ``SCALING`` images: CPUs, zones, bytes read and time,
    and the time per MiB read (constant when cost is linear in the bytes read)."""
    out = {}
    for r in rows:
        if r["image"] not in SCALING or not r["bytes"]:
            continue
        info = images.get(r["image"], {})
        mib = r["bytes"] / 2**20
        out.setdefault(f"{r['debugger']} {r['command']}", []).append({
            "image": r["image"], "cpus": int(re.search(r"scale-(\d+)", r["image"]).group(1)),
            "zones": info.get("expected_zones"), "reads": r["reads"], "mib_read": round(mib, 1),
            "median_s": r["median"], "floor_s": r["floor"],
            "ms_per_mib": round(1000 * r["median"] / mib, 2)})
    for entries in out.values():
        entries.sort(key=lambda e: (e["zones"] or 0, e["cpus"]))
    return out


def print_scaling(table):
    log("cost against CPUs and zones (fbsd14): MiB read, median seconds, ms per MiB read")
    for what, entries in table.items():
        cells = [f"{e['cpus']} CPUs/{e['zones']} zones: {e['mib_read']:.0f} MiB {e['median_s']:.2f}s "
                 f"{e['ms_per_mib']:.2f}" for e in entries]
        log(f"  {what:<18} " + "; ".join(cells))


def fmt(x, unit="s"):
    if x is None:
        return "-"
    return f"{x:.2f}{unit}" if x < 100 else f"{x:.0f}{unit}"


def ratio(a, b):
    return f"{a / b:.1f}x" if a and b else "-"


def print_table(rows):
    head = ("image", "dbg", "command", "median", "min", "max", "cold", "n", "floor", "cmd/floor",
            "bare/floor", "naive", "naive/cmd", "drgn", "drgn/cmd")
    table = [head]
    for r in rows:
        table.append((r["image"], r["debugger"], r["command"] + ("" if r["ok"] else " (!)"),
                      fmt(r["median"]), fmt(r["min"]), fmt(r["max"]), fmt(r["cold"]),
                      str(r["runs"]), fmt(r["floor"]),
                      f"{r['floor_ratio']:.1f}x" if r["floor_ratio"] else "-",
                      f"{r['bare_ratio']:.1f}x" if r["bare_ratio"] else "-",
                      fmt(r["naive"]) + ("*" if r["naive_extrapolated"] else ""),
                      ratio(r["naive"], r["median"]), fmt(r["drgn"]), ratio(r["drgn"], r["median"])))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        log("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    log("(*) naive walk stopped at BENCH_NAIVE_BUDGET and extrapolated from the rows walked; "
        "(!) the command reported a failure (see notes); bare/floor: bare_malloc.py's walk with "
        "no checks over the same floor")
    for r in rows:
        if r["bare_note"]:
            log(f"  bare walk, {r['image']} {r['debugger']} {r['command']}: {r['bare_note']}")


def check_targets(rows, memory):
    """The goals of the issue, on the 256-CPU image."""
    out = []
    for r in (r for r in rows if r["image"].endswith("scale-256")):
        what = f"{r['debugger']} {r['command']}"
        limit = LIMITS.get(r["command"], 1)
        out.append((what, f"< {limit:g} s", r["median"], r["median"] < limit))
        if r["command"] == "kmem-whatis":
            build = r["cold"] - r["median"]
            out.append((f"{r['debugger']} item index build", f"< {INDEX_BUILD_LIMIT:g} s", build,
                        build < INDEX_BUILD_LIMIT))
        if r["command"] not in FLOOR_TARGETS:
            continue        # the item commands' targets are their times (issue 14)
        if r["naive"]:
            out.append((what, ">= 20x faster than naive", r["naive"] / r["median"],
                        r["naive"] / r["median"] >= 20))
        if r["drgn"]:
            out.append((what, "faster than drgn", r["drgn"] / r["median"], r["median"] < r["drgn"]))
        limit = 3 if r["debugger"] == "gdb" else 4     # lldb's own read path costs more
        if r["floor_ratio"]:
            out.append((what, f"within {limit}x of the read floor", r["floor_ratio"],
                        r["floor_ratio"] <= limit, r["bare_ratio"]))
    for (image, kind), m in memory.items():
        if image.endswith("scale-256") and m.get("anon_growth_mib") is not None:
            out.append((f"{kind} memory", "anonymous growth < 200 MB", m["anon_growth_mib"],
                        m["anon_growth_mib"] < 200))
    # "bare": where measured, what a walk with no checks reaches against the same target
    return [{"what": w, "target": t, "value": round(v, 3), "met": ok,
             **({"bare": round(more[0], 3)} if more and more[0] else {})}
            for w, t, v, ok, *more in out]


def main():
    wanted = os.environ.get("BENCH_IMAGES")
    images = [i for i in IMAGES if not wanted or i in wanted.split(",")]
    results = {"machine": machine(), "images": {}, "rows": [], "memory": {}}
    log(f"kmemdbg bench on {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"{results['machine']['ram_gib']} GiB; load average {results['machine']['loadavg_start']}")
    tmp = tempfile.mkdtemp(prefix="kmemdbg-bench-")
    memory = {}
    try:
        results["scan"], scan_ok = scan_bench(tmp, log, GDB, LLDB)
        for name in images:
            image, note = find_image(name)
            entry = results["images"][name] = {"path": image, "note": note}
            if note:
                log(f"NOTE {name}: {note}")
            if image is None:
                continue
            try:
                expected = json.load(open(os.path.join(image, "expected.json")))
                entry["expected_zones"] = len(expected["uma-zones"]["memory-zone-statistics"]["zone"])
            except (OSError, ValueError, TypeError, KeyError):
                pass
            log(f"== {name} ({image})")
            drgn = run_drgn(image)
            entry["drgn"] = drgn
            log(f"   drgn: {drgn.get('error') or 'zones %.2fs, malloc %.2fs (load %.2fs)' % (drgn['zones']['median'], drgn['malloc']['median'], drgn['load_s'])}")
            for kind in ("gdb", "lldb"):
                session = run_worker(kind, image, tmp)
                entry[kind] = session
                if "error" in session:
                    log(f"   {kind}: ERROR {session['error']}")
                m = session.get("memory_kib", {})
                if "after_commands" in m:
                    before = m["before_plugin"]["VmRSS"]
                    memory[(name, kind)] = {
                        "rss_before_mib": before / 1024,
                        "hwm_mib": m["after_commands"]["VmHWM"] / 1024,
                        "growth_mib": (m["after_commands"]["VmHWM"] - before) / 1024,
                        # Resident growth split: anonymous (what the debugger and the plugin
                        # allocate) and file-backed (mapped core and libraries).
                        **{f"{part}_growth_mib": (m["after_commands"][key] - m["before_plugin"][key]) / 1024
                           for part, key in (("anon", "RssAnon"), ("file", "RssFile"))
                           if key in m["after_commands"] and key in m["before_plugin"]}}
                rows = rows_for(name, kind, session, drgn)
                results["rows"].extend(rows)
                for r in rows:
                    log(f"   {kind} {r['command']}: median {r['median']:.2f}s (floor {r['floor']:.2f}s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["memory"] = {f"{i} {k}": v for (i, k), v in memory.items()}
    results["targets"] = check_targets(results["rows"], memory)
    results["scaling"] = scaling(results["rows"], results["images"])
    log()
    print_table(results["rows"])
    log()
    print_scaling(results["scaling"])
    log()
    log("debugger memory (MiB): RSS before loading the plugin -> VmHWM after the commands")
    for key, m in results["memory"].items():
        log(f"  {key}: {m['rss_before_mib']:.0f} -> {m['hwm_mib']:.0f} (growth {m['growth_mib']:.0f}; "
            f"anonymous {m.get('anon_growth_mib', float('nan')):.0f}, file {m.get('file_growth_mib', float('nan')):.0f})")
    log()
    log("targets on the 256-CPU image:")
    for t in results["targets"]:
        bare = f"; a walk with no checks: {t['bare']}" if "bare" in t else ""
        log(f"  {'met   ' if t['met'] else 'MISSED'} {t['what']}: {t['target']} (value {t['value']}"
            f"{bare})")
    results["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    log(f"\nwrote {os.path.join(HERE, 'results.json')}")
    # A bench that silently lost its peer measures nothing it claims to: fail loudly.
    missing = [name for name, e in results["images"].items()
               if e.get("path") and "error" in e.get("drgn", {"error": "not run"})]
    if not scan_ok:
        log("FAILED: the reachability scan bench (see above)")
        return 1
    if missing:
        log(f"FAILED: drgn ({results['machine']['drgn']}) could not be measured on: "
            + ", ".join(f"{n} ({results['images'][n]['drgn'].get('error')})" for n in missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
