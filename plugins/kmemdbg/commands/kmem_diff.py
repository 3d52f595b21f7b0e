"""``kmem-diff OLD [NEW]``: what grew between two snapshots (or a snapshot and the target now)."""

import json

from ..alloc.malloc import malloc_type_stats
from ..alloc.uma import uma_zone_stats
from ..leak import snapshot
from ..leak.collect import take_snapshot
from ..leak.diff import MALLOC, auto_threshold, culprits, diff
from ..leak.owner import malloc_type_owner, zone_owner, zone_pointer_holders
from ..report.text import human_bytes, render_rows
from ..target.errors import CommandArgumentError, KmemdbgError
from .common import run_target
from .registry import FAILED, OK, CommandSpec, KmemArgumentParser, command

AUTO = "auto"

DESCRIPTION = """\
Rank zones and malloc types by growth in bytes between OLD and NEW (snapshot files written by
kmem-snapshot, or - for the target now; NEW defaults to the target).  A malloc(9) backing zone
("128", "malloc-128") is ranked by the growth its malloc types do not explain, and names the types
that grew with it, so one leak is not counted twice.  Rows above --threshold are culprits (by
default 1% of the bytes in use in NEW's zones, at least 64 KiB); their
owner (the global defining the malloc type or holding the zone pointer, its source file and
module) is looked up in the target.  Exit status 1 when there is a culprit."""


def parse_size(text):
    """``4096``, ``64K``, ``1M``, ``2G`` -> bytes; ``auto`` -> None (see ``auto_threshold``)."""
    if text == AUTO:
        return None
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().rstrip("B")
    try:
        size = int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except (ValueError, OverflowError):
        raise CommandArgumentError(f"--threshold: not a size: {text!r}") from None
    if size < 0:
        raise CommandArgumentError(f"--threshold: must not be negative: {text!r}")
    return size


def make_parser():
    p = KmemArgumentParser(prog="kmem-diff", description=DESCRIPTION,
                           epilog="examples:\n  kmem-diff /tmp/before.json\n"
                                  "  kmem-diff old.json new.json --top 10 --threshold 256K")
    p.add_argument("old", metavar="OLD", help="snapshot file, or - for the target")
    p.add_argument("new", metavar="NEW", nargs="?", default="-",
                   help="snapshot file, or - for the target (default)")
    p.add_argument("--top", metavar="N", type=int, default=20, help="rows to show (default 20)")
    p.add_argument("--threshold", metavar="BYTES", default=AUTO,
                   help="growth above which a row is a culprit (K/M/G suffixes; default auto: "
                        "1%% of NEW's zone bytes in use, at least 64K)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--no-owner", action="store_true", help="do not look up owners in the target")
    return p


def run_kmem_diff(target, args, out):
    threshold = parse_size(args.threshold)
    if args.top < 0:
        raise CommandArgumentError("--top: N must be 0 or more")
    warnings = []
    live = []          # the target behind a page cache, made only if a snapshot or owner needs it

    def walked():
        if not live:
            live.append(run_target(target))
        return live[0]

    def load(which):
        if which != "-":
            return snapshot.load(which)
        snap, w = take_snapshot(walked())
        warnings.extend(w)
        return snap

    old, new = load(args.old), load(args.new)
    if threshold is None:
        threshold = auto_threshold(new)
    d = diff(old, new)
    warnings = d.warnings + warnings
    shown = d.rows[:args.top]
    hot = {id(g) for g in culprits(d, threshold)}
    owners = {}
    if not args.no_owner and hot:
        try:
            owners = _owners(walked(), [g for g in shown if id(g) in hot], warnings)
        except KmemdbgError as e:
            warnings.append(f"owners not looked up: {e}")
    if args.format == "json":
        out.write(json.dumps({"kmem-diff": {
            "seconds": d.seconds, "threshold": threshold, "warnings": warnings,
            "rows": [_json_row(g, id(g) in hot, owners.get(id(g))) for g in shown]}}, indent=2) + "\n")
    else:
        out.write(_table(d, shown, hot, owners, threshold))
        for w in warnings:
            out.write(f"kmemdbg: warning: {w}\n")
    return FAILED if hot else OK


def _owners(target, rows, warnings):
    """Owner of each culprit row, looked up in the target (one walk, one holder scan)."""
    owners = {}
    try:
        mtypes = {m.name: m for m in malloc_type_stats(target).types}
        zones = uma_zone_stats(target).zones
    except KmemdbgError as e:
        warnings.append(f"owners not looked up: {e}")
        return owners
    by_name = {z.name: z for z in zones}
    wanted = {by_name[g.name].address for g in rows if g.kind != MALLOC and g.name in by_name}
    holders = zone_pointer_holders(target, wanted) if wanted else {}
    for g in rows:
        if g.kind == MALLOC and g.name in mtypes:
            owners[id(g)] = malloc_type_owner(target, mtypes[g.name])
        elif g.name in by_name:
            owners[id(g)] = zone_owner(target, by_name[g.name], zones, holders)
    return owners


def owner_json(o):
    if o is None:
        return None
    sym = o.symbol or (o.holders[0] if o.holders else None)
    return {"symbol": sym.name if sym else None, "file": o.file, "line": sym.line if sym else None,
            "subsystem": o.subsystem, "module": o.module}


def _json_row(g, culprit, owner):
    return {"kind": g.kind, "name": g.name, "bytes": g.bytes, "items": g.items,
            "old-bytes": g.old_bytes, "new-bytes": g.new_bytes, "ranked-bytes": g.rank_bytes,
            "rate": g.rate, "culprit": culprit,
            "explained-by": [{"type": t, "bytes": b} for t, b in g.explained_by],
            "owner": owner_json(owner)}


def _table(d, rows, hot, owners, threshold):
    head = (f"growth over {d.seconds:g} s" if d.seconds else "growth (time unknown)") + \
        f"; culprit threshold {human_bytes(threshold)}\n"
    table = []
    for g in rows:
        note = owners[id(g)].short() if id(g) in owners else ""
        if g.explained_by:
            note = "by " + ", ".join(f"{t} {human_bytes(b)}" for t, b in g.explained_by[:3])
        table.append(["*" if id(g) in hot else "", g.kind, g.name, human_bytes(g.bytes, signed=True),
                      f"{g.items:+d}", human_bytes(g.new_bytes),
                      "" if g.rate is None else human_bytes(g.rate, signed=True) + "/s", note])
    return head + render_rows(table, ["", "KIND", "NAME", "GROWTH", "ITEMS", "NOW", "RATE",
                                      "OWNER / EXPLAINED BY"], numeric=[3, 4, 5, 6])


KMEM_DIFF = command(CommandSpec("kmem-diff", "rank growth between two snapshots, with owners",
                                make_parser, run_kmem_diff))
