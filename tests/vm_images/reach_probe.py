"""Runs inside gdb or lldb on a simulated core: the scan's sources (leak/roots.py) and a scan
over the ledger's items (reach.json), printed as one JSON line for test_reach_debuggers.py.

    gdb -batch -ex 'python exec(open("reach_probe.py").read())' kernel vmcore
    lldb-19 -b -o 'command script import reach_probe.py' -c vmcore kernel
(the image directory is the kernel's; KMEMDBG_PLUGINS names the plugins directory)
"""
import json
import os
import sys

sys.path.insert(0, os.environ["KMEMDBG_PLUGINS"])

MARK = "KMEMDBG-REACH-PROBE:"


def probe(target, image_dir):
    from kmemdbg.leak.reach import Items, scan
    from kmemdbg.leak.roots import scan_sources

    sources, warnings = scan_sources(target)
    r = json.load(open(os.path.join(image_dir, "reach.json")))
    rows = sorted(r["items"])
    sizes = [r["kinds"][row[1]]["size"] for row in rows]
    items = Items([row[0] for row in rows], [row[0] + s for row, s in zip(rows, sizes)])
    result = scan(target, items, sources)
    return {"sources": [[s.name, s.start, s.end] for s in sources], "warnings": warnings,
            "reached": [row[0] for i, row in enumerate(rows) if result.reached(i)],
            "scan_warnings": result.warnings}


def _emit(target, image_dir):
    try:
        out = probe(target, image_dir)
    except Exception as e:  # judged by the test
        import traceback
        out = {"crashed": traceback.format_exc()}
    sys.stdout.write(MARK + json.dumps(out) + "\n")
    sys.stdout.flush()


def __lldb_init_module(debugger, internal_dict):
    from kmemdbg.backends.lldb_backend import current_target
    target = current_target(debugger)
    _emit(target, os.path.dirname(debugger.GetSelectedTarget().GetExecutable().fullpath))


if "gdb" in sys.modules:
    import gdb
    from kmemdbg.backends.gdb_backend import current_target
    _emit(current_target(), os.path.dirname(gdb.current_progspace().filename))
