"""kmem-findleaks output: the groups of unreached items, the scan's statistics, the caveats."""

import json
import textwrap
from dataclasses import asdict

from .text import human_bytes, render_rows


CAVEATS = ("a conservative scan: pointers held only in registers, or in memory the scan does not "
           "read (unreadable pages, per-CPU data outside struct pcpu and the DPCPU areas), "
           "make reachable items look lost; stale words that still point at an item make a "
           "lost item look reachable")


def _unscanned(size):
    """What the scan cannot see on 13+ kernels (findleaks.LeakReport.unscanned_large)."""
    what = f"{human_bytes(size)} of malloc(9) large allocations" if size is not None else \
        "the malloc(9) large allocations"
    return (f"{what} are not scanned (13+ records them only in their struct vm_page, which "
            "kmemdbg does not read): items held only by them look lost")


def _signature(sig):
    return f"{sig['word0']}, {sig['word1']} ({100 * sig['share']:.0f}%)" if sig else "-"


TYPES_SHOWN = 3                 # malloc types named in a table cell; JSON lists them all


def _types(types):
    more = len(types) - TYPES_SHOWN
    return ", ".join(types[:TYPES_SHOWN]) + (f" (+{more})" if more > 0 else "") or "-"


WIDTH = 80                      # the text fits an 80-column terminal


def _zone(g):
    return g.zone if g.zone is not None else "(malloc large)"


def render_table(report, verbose):
    """One row a group, then what each group's items look like and where a few of them are
    (on lines of their own, so the table fits 80 columns)."""
    rows = [[_zone(g), str(g.size), str(g.items), str(g.bytes), _types(g.types)]
            for g in report.groups]
    out = []
    if rows:
        out.append(render_rows(rows, ["ZONE", "SIZE", "ITEMS", "BYTES", "TYPES"],
                               numeric=(1, 2, 3)).rstrip("\n"))
        for g in report.groups:
            out.append(f"{_zone(g)} ({g.size} bytes): words 0, 1 {_signature(g.signature)}")
            out += textwrap.wrap("samples: " + " ".join(f"{a:#x}" for a in g.samples), WIDTH,
                                 initial_indent="  ", subsequent_indent="    ")
    else:
        out.append(f"no unreached items among {report.candidates} allocated items")
    if verbose:
        s = report.stats
        out += textwrap.wrap(f"scan ({s.engine}): {s.items} items, {s.reached} reached, "
                             f"{s.source_bytes} source bytes and {s.item_bytes} item bytes read, "
                             f"{s.unreadable_bytes} unreadable, {s.seconds:.2f} s", WIDTH,
                             subsequent_indent="      ")
    out.append(textwrap.fill(f"note: {CAVEATS}", WIDTH, subsequent_indent="      "))
    if report.unscanned_large != 0:
        out.append(textwrap.fill(f"note: {_unscanned(report.unscanned_large)}", WIDTH,
                                 subsequent_indent="      "))
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
    stats["unscanned_large_bytes"] = report.unscanned_large
    return {"groups": groups, "stats": stats}


def render_json(report):
    return json.dumps({"kmem-findleaks": leaks_doc(report), "warnings": list(report.warnings)},
                      indent=2) + "\n"
