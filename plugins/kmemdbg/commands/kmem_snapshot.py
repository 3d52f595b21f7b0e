"""``kmem-snapshot save FILE``: record zones and malloc types for a later ``kmem-diff``."""

from ..leak import snapshot
from ..leak.collect import take_snapshot
from .registry import FAILED, OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Save every UMA zone (true counts, and where free items sit) and every malloc type of the target,
with the kernel's identity (version, osreldate, build id) and clock (ticks, time_uptime, and the
wall time of the snapshot) and kmem-summary's reconciliation (what kmem-report draws), as JSON
(format: README.md, "Snapshot format").  Compare two snapshots, or a snapshot and the target now,
with kmem-diff; draw them with kmem-report."""


def make_parser():
    p = KmemArgumentParser(prog="kmem-snapshot", description=DESCRIPTION,
                           epilog="example:\n  kmem-snapshot save /tmp/before.json")
    sub = p.add_subparsers(dest="action", metavar="save", required=True)
    save = sub.add_parser("save", help="write a snapshot of the target to FILE")
    save.add_argument("file", metavar="FILE")
    return p


def run_kmem_snapshot(target, args, out):
    snap, warnings = take_snapshot(target, with_summary=True)
    try:
        snapshot.save(snap, args.file)
    except OSError as e:
        out.write(f"kmemdbg: error: kmem-snapshot: cannot write {args.file}: {e.strerror}\n")
        return FAILED
    out.write(f"kmem-snapshot: {len(snap['zones'])} zones, {len(snap['malloc_types'])} malloc types "
              f"saved to {args.file}\n")
    for w in warnings:
        out.write(f"kmemdbg: warning: {w}\n")
    return OK if snap["zones"] or snap["malloc_types"] else FAILED


KMEM_SNAPSHOT = command(CommandSpec("kmem-snapshot", "save zones and malloc types to a JSON file",
                                    make_parser, run_kmem_snapshot))
