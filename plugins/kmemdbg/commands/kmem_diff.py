"""``kmem-diff OLD [NEW]``: what grew between two snapshots (or a snapshot and the target now)."""

import json

from ..leak import snapshot
from ..leak.collect import take_snapshot
from ..leak.diff import auto_threshold, culprits, diff
from ..leak.owner import growth_owners
from ..report.diff import growth_json, growth_table
from ..access.errors import KmemdbgError
from .options import AUTO, count, size
from .registry import FAILED, OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Rank zones and malloc types by growth in bytes between OLD and NEW (snapshot files written by
kmem-snapshot, or - for the target now; NEW defaults to the target).  A malloc(9) backing zone
("128", "malloc-128") is ranked by its growth and follows the malloc types that explain it (each
type credited only for sizes it used, never beyond the zone's growth); only the unexplained part
can make the zone a culprit, so one leak is not counted twice.  Growth comes first, shrinkage
after.  Snapshots of different releases or architectures are refused (--any-kernel).  Rows above
--threshold are culprits (by default 1% of the bytes in use in NEW's zones, at least 64 KiB); their
owner (the global defining the malloc type or holding the zone pointer, its source file and
module) is looked up in the target.  A culprit is a finding, not a failure: the command succeeds
(a debugger script goes on) unless --exit-status asks for status 1 when there is one."""


def make_parser():
    p = KmemArgumentParser(prog="kmem-diff", description=DESCRIPTION,
                           epilog="examples:\n  kmem-diff /tmp/before.json\n"
                                  "  kmem-diff old.json new.json --top 10 --threshold 256K")
    p.add_argument("old", metavar="OLD", help="snapshot file, or - for the target")
    p.add_argument("new", metavar="NEW", nargs="?", default="-",
                   help="snapshot file, or - for the target (default)")
    p.add_argument("--top", metavar="N", type=count, default=20, help="rows to show (default 20)")
    p.add_argument("--threshold", metavar="BYTES", type=size, default=AUTO,
                   help="growth above which a row is a culprit (K/M/G suffixes; default auto: "
                        "1%% of NEW's zone bytes in use, at least 64K)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--no-owner", action="store_true", help="do not look up owners in the target")
    p.add_argument("--wide", action="store_true",
                   help="owners with their source file (wider than 80 columns)")
    p.add_argument("--exit-status", action="store_true",
                   help="fail with status 1 when there is a culprit (for scripts that branch on it)")
    p.add_argument("--any-kernel", action="store_true",
                   help="compare snapshots of different releases or architectures anyway")
    return p


def run_kmem_diff(target, args, out):
    """The target (lazy) is touched only if a snapshot is ``-`` or a culprit needs its owner."""
    warnings = []

    def load(which):
        if which != "-":
            return snapshot.load(which)
        snap, w = take_snapshot(target)
        warnings.extend(w)
        return snap

    old, new = load(args.old), load(args.new)
    threshold = auto_threshold(new) if args.threshold is None else args.threshold
    d = diff(old, new, allow_foreign=args.any_kernel)
    warnings = d.warnings + warnings
    shown = d.rows[:args.top]
    hot = {id(g) for g in culprits(d, threshold)}
    owners = {}
    if not args.no_owner and hot:
        try:
            owners = growth_owners(target, [g for g in shown if id(g) in hot], warnings)
        except KmemdbgError as e:
            warnings.append(f"owners not looked up: {e}")
    if args.format == "json":
        out.write(json.dumps({"kmem-diff": {
            "seconds": d.seconds, "threshold": threshold, "warnings": warnings,
            "rows": [growth_json(g, id(g) in hot, owners.get(id(g))) for g in shown]}}, indent=2) + "\n")
    else:
        out.write(growth_table(d, shown, hot, owners, threshold, wide=args.wide))
        for w in warnings:
            out.write(f"kmemdbg: warning: {w}\n")
    return FAILED if hot and args.exit_status else OK


KMEM_DIFF = command(CommandSpec("kmem-diff", "rank growth between two snapshots, with owners",
                                make_parser, run_kmem_diff))
