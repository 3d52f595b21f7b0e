"""``kmem-watch``: sample a live kernel and print what keeps growing."""

import json

from ..leak.collect import take_snapshot
from ..leak.diff import auto_threshold, culprits, diff
from ..report.diff import growth_json, growth_table
from ..target.errors import KmemdbgError
from .options import AUTO, count, positive_count, seconds, size
from .registry import FAILED, OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
On a live target (attached process, remote stub), take a snapshot, let the target run for
--interval seconds, stop it, take another, and print the growth since the first sample; --count
times.  The target runs between samples and is stopped again, as before the command, at the end
(also on Ctrl-C)."""


def make_parser():
    p = KmemArgumentParser(prog="kmem-watch", description=DESCRIPTION,
                           epilog="example:\n  kmem-watch --interval 5 --count 12 --top 5")
    p.add_argument("--interval", metavar="SECONDS", type=seconds, default=5.0)
    p.add_argument("--count", metavar="N", type=positive_count, default=3)
    p.add_argument("--top", metavar="N", type=count, default=10)
    p.add_argument("--threshold", metavar="BYTES", type=size, default=AUTO,
                   help="culprit growth (default auto: 1%% of the zone bytes in use, >= 64K)")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="json: one JSON document per sample, one per line")
    return p


def run_kmem_watch(target, args, out):
    if not target.is_live:
        raise KmemdbgError("kmem-watch needs a live target (a core does not change); "
                           "use kmem-snapshot and kmem-diff across cores")
    first, _ = take_snapshot(target)
    hot = []
    for i in range(1, args.count + 1):
        target.run_for(args.interval)
        snap, warnings = take_snapshot(target.fresh())   # a fresh page cache: memory moved
        d = diff(first, snap)
        limit = args.threshold if args.threshold is not None else auto_threshold(snap)
        hot = culprits(d, limit)
        shown = d.rows[:args.top]
        ids = {id(g) for g in hot}
        if args.format == "json":
            out.write(json.dumps({"kmem-watch": {"sample": i, "seconds": d.seconds,
                                                 "warnings": d.warnings + warnings,
                                                 "rows": [growth_json(g, id(g) in ids, None)
                                                          for g in shown]}}) + "\n")
        else:
            out.write(f"--- sample {i}/{args.count}: growth since the first sample\n")
            out.write(growth_table(d, shown, ids, {}, limit))
        if hasattr(out, "flush"):
            out.flush()
    return FAILED if hot else OK


KMEM_WATCH = command(CommandSpec("kmem-watch", "sample a live kernel and show what grows",
                                 make_parser, run_kmem_watch))
