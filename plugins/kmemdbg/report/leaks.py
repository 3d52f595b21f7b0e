"""kmem-findleaks output: the groups of unreached items, the scan's statistics, the caveats."""

import json
import textwrap
from dataclasses import asdict


CAVEATS = ("a conservative scan: pointers held only in registers, or in memory the scan does not "
           "read (unreadable pages, per-CPU data outside struct pcpu), make reachable items "
           "look lost; stale words that still point at an item make a lost item look "
           "reachable")


def _signature(sig):
    return f"{sig['word0']}, {sig['word1']} ({100 * sig['share']:.0f}%)" if sig else "-"


TYPES_SHOWN = 3                 # malloc types named in a table cell; JSON lists them all


def _types(types):
    more = len(types) - TYPES_SHOWN
    return ", ".join(types[:TYPES_SHOWN]) + (f" (+{more})" if more > 0 else "") or "-"


def render_table(report, verbose):
    from tabulate import tabulate
    rows = [[g.zone if g.zone is not None else "(malloc large)", g.size, g.items, g.bytes,
             _types(g.types), _signature(g.signature),
             " ".join(f"{a:#x}" for a in g.samples)] for g in report.groups]
    out = []
    if rows:
        out.append(tabulate(rows, headers=["ZONE", "SIZE", "ITEMS", "BYTES", "TYPES",
                                           "WORDS 0, 1", "SAMPLES"],
                            tablefmt="simple", disable_numparse=True,
                            colalign=("left", "right", "right", "right", "left", "left",
                                      "left")))
    else:
        out.append(f"no unreached items among {report.candidates} allocated items")
    if verbose:
        s = report.stats
        out.append(f"scan ({s.engine}): {s.items} items, {s.reached} reached, "
                   f"{s.source_bytes} source bytes and {s.item_bytes} item bytes read, "
                   f"{s.unreadable_bytes} unreadable, {s.seconds:.2f} s")
    out.append(textwrap.fill(f"note: {CAVEATS}", 100, subsequent_indent="      "))
    out += [f"kmemdbg: warning: {w}" for w in report.warnings]
    return "\n".join(out) + "\n"


def leaks_doc(report):
    """The ``kmem-findleaks`` JSON object (groups and statistics), also what kmem-report draws."""
    groups = [{"zone": g.zone, "size": g.size, "items": g.items, "bytes": g.bytes,
               "types": list(g.types), "signature": g.signature,
               "samples": [f"{a:#x}" for a in g.samples]} for g in report.groups]
    stats = asdict(report.stats)
    stats.pop("seconds")            # the same JSON in gdb and lldb
    stats["candidates"] = report.candidates
    return {"groups": groups, "stats": stats}


def render_json(report):
    return json.dumps({"kmem-findleaks": leaks_doc(report), "warnings": list(report.warnings)},
                      indent=2) + "\n"
