"""``kmem-summary``: where the kernel's memory went, and which zones hit their limits."""

import json

from ..alloc.summary import build_summary
from ..report.bars import render_bars
from ..report.summary import render_summary
from .options import count
from .registry import OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
One reconciled account of kernel memory in the core or live kernel: the kmem limit and what is in
use as the kernel accounts it; malloc(9) split into small (zone-backed) and large; UMA split into
items in use (malloc zones counted once, UMA's own structures, other zones), free items by where
they sit (per-CPU buckets, bucket caches, keg slabs) and slab/page overhead; the top consumers (zones by footprint, (used + free) x size);
then zones at or near their limit and zones with failures or sleeps, with the global holding the
zone and the tunable that sets its limit.  The last line sets the parts against the kmem total and
states any unexplained remainder."""


def make_parser():
    p = KmemArgumentParser(prog="kmem-summary", description=DESCRIPTION,
                           epilog="JSON schema: README.md, \"kmem-summary JSON\".")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--top", metavar="N", type=count, default=10, help="top consumers to list")
    p.add_argument("--bars", action="store_true",
                   help="only the reconciliation, as proportional text bars (a glance)")
    p.add_argument("--wide", action="store_true",
                   help="also the globals holding each limited zone (HELD BY): wider than 80")
    return p


def run_kmem_summary(target, args, out):
    s = build_summary(target, args.top, parts=args.format == "json" or args.bars)
    if args.format == "json":
        out.write(json.dumps({"kmem-summary": s}, indent=2) + "\n")
    elif args.bars:
        out.write(render_bars(s))
    else:
        out.write(render_summary(s, wide=args.wide))
    return OK       # warnings are printed with the account; they do not fail it


KMEM_SUMMARY = command(CommandSpec("kmem-summary", "where kernel memory went; zones at their limits",
                                   make_parser, run_kmem_summary))
