"""What runs inside the debugger (gdb or lldb-19) for one benchmark image.

The debugger-specific worker (``gdb_worker.py``, ``lldb_worker.py``) supplies a ``Host``:
``run(command) -> ok`` (execute a kmemdbg command, output discarded), ``output(command)`` (its
text), ``record_reads()`` (a context manager that logs every ``Target.read`` of the plugin),
``replay(reads)`` (the same reads through the debugger's bulk read only), ``plugin_target()``
and ``raw_read`` (the plugin's Target and the debugger's own read, for the bare walk of
``bare_malloc.py``) and the two naive walks.  This module does the timing, the memory figures
and writes the JSON the orchestrator (``run.py``) reads.

The configuration comes from the JSON file named by ``$BENCH_CONFIG``:
``{"commands": [...], "out": path, "naive_budget": s, "max_runs": n, "target_seconds": s,
"items_zone": name}`` (the zone whose keg the naive per-item walk visits, when the host has one).
"""

import json
import os
import statistics
import time

from bare_malloc import BareMalloc


def proc_status():
    """VmRSS, VmHWM and the resident split (RssAnon: allocated by the debugger and Python; RssFile:
    mapped files such as the core lldb maps) of this process in KiB (Python is embedded)."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


def stats(samples):
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "runs": len(samples), "samples": samples}


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def warm_runs(cold_seconds, config):
    """How many timed runs after the first one: more when a run is cheap, at least 2."""
    if cold_seconds <= 0:
        return config["max_runs"]
    return max(2, min(config["max_runs"], int(config["target_seconds"] / cold_seconds)))


def bare_walk(host, command):
    """``(walk, note)``: the bare walk (``bare_malloc.py``) timed alongside ``command``, or None
    and why not.  It is used only when its numbers are the command's own."""
    if command != "malloc-types":
        return None, None
    try:
        walk = BareMalloc(host.plugin_target(), host.raw_read)
    except Exception as e:     # report, never fake a number
        return None, f"{type(e).__name__}: {e}"
    if walk.why_not:
        return None, walk.why_not
    try:
        differs = walk.matches(json.loads(host.output("malloc-types --format json")))
    except ValueError as e:
        differs = f"malloc-types --format json: {e}"
    return (None, f"not used: {differs}") if differs else (walk, None)


def bench(host, baseline):
    """Run everything for one image in this debugger session; return the result dict."""
    config = json.load(open(os.environ["BENCH_CONFIG"]))
    result = {"memory_kib": {"before_plugin": baseline}, "commands": {}}
    t, ok = timed(host.load_plugin)
    result["load_plugin_s"] = t
    if not ok:
        result["error"] = "plugin did not load"
        return result
    for command in config["commands"]:
        # First run: cold (layouts are looked up) and records the plugin's reads for the floor.
        with host.record_reads() as log:
            cold, ok = timed(lambda: host.run(command))
        reads = list(log)
        bare, bare_note = bare_walk(host, command)
        # Each warm run is followed by the floor: the same reads, bulk reads only, nothing else
        # (and by the bare walk, where there is one).  Taken in turns, command and floor see the
        # same machine (a shared host drifts by tens of percent within a minute), so their ratio
        # holds where each figure alone does not.
        samples, floors, bares, statuses = [], [], [], [ok]
        for _ in range(warm_runs(cold, config)):
            t, ok = timed(lambda: host.run(command))
            samples.append(t)
            statuses.append(ok)
            t, failed = timed(lambda: host.replay(reads))
            floors.append(t)
            if bare:
                bares.append(timed(bare.walk)[0])
        entry = stats(samples)
        entry.update(cold=cold, ok=all(statuses), reads=len(reads),
                     bytes=sum(size for _, size in reads))
        if not all(statuses):
            entry["note"] = host.last_error or "command reported failure"
        entry["floor"] = dict(stats(floors), failed_reads=failed)
        if bares:
            entry["bare"] = stats(bares)
        elif bare_note:
            entry["bare"] = {"note": bare_note}
        result["commands"][command] = entry
    result["memory_kib"]["after_commands"] = proc_status()

    # The naive walks through the debugger's value objects (once: they are slow).
    budget = config["naive_budget"]
    result["naive"] = {}
    walks = [("zones", host.naive_zones), ("malloc", host.naive_malloc)]
    if hasattr(host, "naive_items"):
        walks.append(("items", lambda deadline: host.naive_items(config["items_zone"], deadline)))
    for name, walk in walks:
        try:
            t, info = timed(lambda: walk(time.perf_counter() + budget))
        except Exception as e:    # report, never fake a number
            result["naive"][name] = {"error": f"{type(e).__name__}: {e}"}
            continue
        info["elapsed"] = t
        # Stopped at the budget: extrapolate from the share of rows walked (rows are alike).
        done, total = info["done"], info["total"]
        info["seconds"] = t * total / done if done and done < total else t
        info["extrapolated"] = bool(done < total)
        result["naive"][name] = info
    result["memory_kib"]["after_all"] = proc_status()
    return result


def write_result(result):
    config = json.load(open(os.environ["BENCH_CONFIG"]))
    with open(config["out"], "w") as f:
        json.dump(result, f, indent=1)
