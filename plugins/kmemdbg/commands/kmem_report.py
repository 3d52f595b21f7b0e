"""``kmem-report --html FILE``: where the memory went, as one self-contained HTML page."""

import os

from ..access.errors import CommandArgumentError
from ..alloc.items import item_index
from ..leak import snapshot
from ..leak.collect import take_snapshot
from ..leak.findleaks import find_leaks
from ..leak.growth import series_with_owners
from ..leak.holders import holders
from ..leak.owner import growth_owners
from ..report.html import plotly_modules, report_page, write_page
from ..report.holders import holders_doc
from ..report.leaks import leaks_doc
from .options import AUTO, count, size
from .registry import OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Write one HTML file (everything inline: it opens offline and fetches nothing) showing kmem in use
as a treemap of kmem-summary's reconciliation (malloc(9) by malloc zone and type, large malloc,
UMA items by zone, free items by where they sit, slab overhead, UMA's own structures, the
unexplained remainder), the zones at their limits or failing, the top zones and malloc types and
the kernel's identity.  With --snapshots (kmem-snapshot files, or a kmem-watch --save directory's
files, oldest first) the target now is the last point of a series and the page adds the growth of
the top growers as a line chart, culprits starred, with their owners.  With --leaks the page adds
kmem-findleaks' groups of unreached items, with --holders ZONE kmem-holders' groups of the
zone's items by the structure holding them (both scan kernel memory: they take longer).  Outside
the debugger: kgdb_scripts/kmem-report SNAPSHOT... -o FILE [--leaks FINDLEAKS.json] [--holders
HOLDERS.json].  Needs plotly (python3-plotly, py311-plotly)."""


def make_parser():
    p = KmemArgumentParser(prog="kmem-report", description=DESCRIPTION,
                           epilog="examples:\n  kmem-report --html /tmp/crash.html\n"
                                  "  kmem-report --html /tmp/leak.html --snapshots /var/tmp/kmem/*.json")
    p.add_argument("--html", metavar="FILE", required=True, help="the page to write")
    p.add_argument("--snapshots", metavar="SNAPSHOT", nargs="+", default=[],
                   help="earlier snapshots of this kernel, oldest first")
    p.add_argument("--leaks", action="store_true",
                   help="add kmem-findleaks' unreached items (scans kernel memory)")
    p.add_argument("--holders", metavar="ZONE",
                   help="add kmem-holders' groups of ZONE's items (scans kernel memory)")
    p.add_argument("--top", metavar="N", type=count, default=8, help="growers to chart (default 8)")
    p.add_argument("--threshold", metavar="BYTES", type=size, default=AUTO,
                   help="culprit growth (K/M/G suffixes; default auto, as kmem-diff)")
    return p


def run_kmem_report(target, args, out):
    plotly_modules()                        # say what to install before walking the target
    snaps = [snapshot.load(p) for p in args.snapshots]
    now, warnings = take_snapshot(target, with_summary=True)
    names = [os.path.basename(p) for p in args.snapshots] + \
        [f"target now ({now['target'].get('description')})"]

    def owners_of(rows):
        return {k: o.short() for k, o in growth_owners(target, rows, warnings).items()}

    growth = series_with_owners(snaps + [now], args.top, args.threshold, owners_of)
    leaks = held = None
    if args.leaks:
        found = find_leaks(target, item_index(target), None, None, 4)
        leaks = leaks_doc(found)
        warnings = list(warnings) + list(found.warnings)
    if args.holders is not None:
        index = item_index(target)
        if not index.find_zone(args.holders):
            raise CommandArgumentError(f"--holders: no zone named {args.holders!r} on a keg "
                                       "(names as uma-zones prints them)")
        found = holders(target, index, lambda a, z, s: z == args.holders)
        held = (f"zone {args.holders}", holders_doc(found))
        warnings = list(warnings) + list(found.warnings)
    out.write(write_page(args.html, report_page(snaps + [now], names, growth, warnings, leaks,
                                                held)))
    for w in warnings:
        out.write(f"kmemdbg: warning: {w}\n")
    return OK       # the page is written; warnings (printed above and on it) do not fail it


KMEM_REPORT = command(CommandSpec("kmem-report", "write an HTML picture of where kmem went",
                                  make_parser, run_kmem_report))
