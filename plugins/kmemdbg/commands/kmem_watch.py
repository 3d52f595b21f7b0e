"""``kmem-watch``: sample a live kernel and print what keeps growing."""

import json
import os

from ..leak import snapshot
from ..leak.collect import take_snapshot
from ..leak.diff import auto_threshold, culprits, diff
from ..leak.owner import growth_owners
from ..leak.growth import row_bytes
from ..report.bars import render_sparklines
from ..report.diff import growth_json, growth_table
from ..access.errors import KmemdbgError
from .options import AUTO, count, positive_count, seconds, size
from .registry import OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
On a live target (attached process, remote stub), take a snapshot, let the target run for
--interval seconds, stop it, take another, and print the growth since the first sample, with a
sparkline of each top grower over the samples; --count times.  Each sample is printed when taken,
culprits with their owners as kmem-diff names them, without the debugger's stop notices.  The
target runs between samples and is stopped again, as before the command, at the end; Ctrl-C ends
the watch within a second, the samples so far printed and the target alive under the debugger.
--save DIR writes every
sample as a snapshot file (kmem-NNNN.json, with kmem-summary's reconciliation) for kmem-diff and
kmem-report (kgdb_scripts/kmem-report DIR -o report.html)."""


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
    p.add_argument("--save", metavar="DIR", help="write each sample as a snapshot file into DIR")
    return p


def sample(target, save_dir, index):
    """One snapshot of the target; with ``save_dir`` (with the summary) saved there too."""
    snap, warnings = take_snapshot(target, with_summary=bool(save_dir))
    if save_dir:
        path = os.path.join(save_dir, f"kmem-{index:04d}.json")
        try:
            snapshot.save(snap, path)
        except OSError as e:
            raise KmemdbgError(f"cannot write {path}: {e.strerror}") from None
    return snap, warnings


def run_kmem_watch(target, args, out):
    if not target.is_live:
        raise KmemdbgError("kmem-watch needs a live target (a core does not change); "
                           "use kmem-snapshot and kmem-diff across cores")
    if args.save:
        try:
            os.makedirs(args.save, exist_ok=True)
        except OSError as e:
            raise KmemdbgError(f"cannot create {args.save}: {e.strerror}") from None
    first, _ = sample(target, args.save, 0)
    series = [first]
    known = {}          # (kind, name) -> owner: looked up once, when a row first is a culprit
    for i in range(1, args.count + 1):
        try:
            target.run_for(args.interval)
            snap, warnings = sample(target.fresh(), args.save, i)   # a fresh page cache
            series.append(snap)
            d = diff(first, snap)
            limit = args.threshold if args.threshold is not None else auto_threshold(snap)
            shown = {id(g) for g in d.rows[:args.top]}
            hot = [g for g in culprits(d, limit) if id(g) in shown]
            new = [g for g in hot if (g.kind, g.name) not in known]
            if new:
                try:
                    found = growth_owners(target, new, warnings)
                except KmemdbgError as e:
                    found = {}
                    warnings.append(f"owners not looked up: {e}")
                known.update({(g.kind, g.name): found.get(id(g)) for g in new})
        except KeyboardInterrupt:   # Ctrl-C: the samples so far stand, the target is stopped
            out.write(f"kmem-watch: interrupted (Ctrl-C) after {i - 1} of {args.count} samples\n")
            break
        _print_sample(out, args, i, d, warnings, hot, known, limit, series)
    if args.save and args.format != "json":
        out.write(f"kmem-watch: {len(series)} snapshots saved in {args.save}\n")
    return OK     # growth is a finding (printed), not a failure that would stop a debugger script


def _print_sample(out, args, i, d, warnings, hot, known, limit, series):
    """One sample, written and flushed at once (the debugger shows it while the next runs)."""
    shown = d.rows[:args.top]
    ids = {id(g) for g in hot}
    owners = {id(g): known[(g.kind, g.name)] for g in hot if known.get((g.kind, g.name))}
    if args.format == "json":
        out.write(json.dumps({"kmem-watch": {"sample": i, "seconds": d.seconds,
                                             "warnings": d.warnings + warnings,
                                             "rows": [growth_json(g, id(g) in ids, owners.get(id(g)))
                                                      for g in shown]}}) + "\n")
    else:
        out.write(f"--- sample {i}/{args.count}: growth since the first sample\n")
        out.write(growth_table(d, shown, ids, owners, limit))
        out.write(render_sparklines([(g.name, [row_bytes(x, g.kind, g.name) for x in series])
                                     for g in shown if g.rank_bytes > 0]))
        for w in warnings:
            out.write(f"kmemdbg: warning: {w}\n")
    out.flush()


KMEM_WATCH = command(CommandSpec("kmem-watch", "sample a live kernel and show what grows",
                                 make_parser, run_kmem_watch))
