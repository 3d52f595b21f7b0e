"""``uma-items``: every item of a UMA zone, allocated or free and where."""

from itertools import islice

from ..alloc.items import item_index
from ..alloc.looks import summarize
from ..leak.holders import type_counts
from ..report.items import (render_csv, render_items_table, render_json, render_summary,
                            render_summary_json, render_warnings)
from ..access.errors import CommandArgumentError
from .options import count
from .registry import OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
List every item of a UMA zone's keg in slab order (every domain's part/free/full slab lists),
with its state: allocated, or free and where (its slab, CPU n's alloc/free/cross bucket, or a
zone bucket cache).  --summary groups the allocated items by what their first words look like
(a kernel symbol such as an ops table, a pointer into some zone, NULL, a small integer)."""


EPILOG = """\
examples:
  uma-items mbuf --free --where
  uma-items malloc-128 --summary
  uma-items 'NetGraph items' --format json --limit 100

output (simulated 13.2 router crash, uma-items mbuf --where --limit 2):
  ITEM            INDEX  SLAB            STATE      WHERE             CPU  ZONE
  --------------  -----  --------------  ---------  ----------------  ---  ----
  0x7ffff7799000      0  0x7ffff7799fe0  allocated  -                 -    mbuf
  0x7ffff7799100      1  0x7ffff7799fe0  free       cpu-cross-bucket  0    mbuf"""


def make_parser():
    p = KmemArgumentParser(prog="uma-items", description=DESCRIPTION,
                           epilog=EPILOG)
    p.add_argument("zone", metavar="ZONE", help="zone name as uma-zones prints it")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--allocated", action="store_true", help="only allocated items")
    state.add_argument("--free", action="store_true", help="only free items")
    p.add_argument("--where", action="store_true", help="show where free items sit")
    p.add_argument("--limit", metavar="N", type=count, help="at most N items")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--summary", action="store_true",
                   help="group allocated items by their first pointer-sized words")
    p.add_argument("--types", action="store_true",
                   help="with --summary: also count the allocated items by the type their "
                        "holders' DWARF types give them (kmem-holders; runs kmem-findleaks' scan)")
    return p


def run_uma_items(target, args, out):
    index = item_index(target)
    zones = index.find_zone(args.zone)
    if not zones:
        raise CommandArgumentError(f"no zone named {args.zone!r} on a keg (names as uma-zones "
                                   "prints them; cache-only zones have no items)")
    warnings = list(index.warnings)
    if args.types and not args.summary:
        raise CommandArgumentError("--types goes with --summary")
    if args.summary:
        groups, total = summarize(index, zones, warnings)
        types = None
        if args.types:
            names = {index.kegs[index.zones[z][1]].name for z in zones}   # rows name kegs
            types = type_counts(target, index, lambda a, z, s: z in names)
        out.write(render_summary_json(args.zone, groups, total, warnings, types)
                  if args.format == "json" else render_summary(args.zone, groups, total, types))
    else:
        state = "allocated" if args.allocated else "free" if args.free else None
        records = list(islice(index.zone_items(zones, state), args.limit))
        if args.format == "json":
            out.write(render_json("uma-items", records, warnings))
        elif args.format == "csv":
            out.write(render_csv(records))
        else:
            out.write(render_items_table(records, args.where))
    if args.format != "json":
        out.write(render_warnings(warnings))
    return OK          # warnings are printed; they never fail the command


UMA_ITEMS = command(CommandSpec("uma-items", "every item of a UMA zone (state, where)",
                                make_parser, run_uma_items))
