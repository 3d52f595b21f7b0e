"""``kmem-holders``: which structures hold a zone's items, through which chain of pointers."""

import bisect

from ..alloc.items import item_index
from ..alloc.kmemzones import read_malloc_zones
from ..alloc.malloc import malloc_type_stats
from ..leak.findleaks import reachability
from ..leak.holders import MAX_GROUPS, holders
from ..report.holders import render_json, render_table
from ..access.errors import CommandArgumentError
from .options import count, size
from .registry import OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Group the allocated items of a zone (or of the malloc zone of --size N, or of the malloc zones
malloc type --type T allocates from, or the one item holding ADDR) by their path from a root, as
kmem-findleaks' reachability scan first reached them: the global (with the member holding the
word), a CPU's struct pcpu, a DPCPU variable in a CPU's copy of the set ("dpcpu
pcpu_entry_nws..."), or a kernel stack, then each holding item.  Hops are named by type:
the root's DWARF type names the member, a pointer member gives the type of the item it reaches,
whose members name the next hop (mdb's ::typegraph).  An untyped pointer (void *, an integer, a
stack word) or a pointee bigger than the item makes the rest of the path zone+offset; a note
says how often.  Array indexes are dropped, the hops from an item to items of its own type
(down a list) are one "(list)" hop, and a holder that is one item for the whole group shows its
address (@0x...): the instance holding them.  The scan keeps the first word it found, so the
root or list shown may not be the one the code thinks of as the owner."""

EPILOG = """\
examples:
  kmem-holders malloc-128
  kmem-holders --type libalias --depth 2
  kmem-holders 0xfffff80003a1c280 --format json

output (simulated 13.2 router crash, kmem-holders malloc-128 --limit 1 --samples 2):
  33635 allocated items of zone malloc-128; 589 reached by nothing (kmem-findleaks
  lists them)

  6984 items, 893952 bytes, struct alias_link
    samples: 0x7ffff760e000 0x7ffff760e100
    instancehead.lh_first
    -> struct libalias@0x7ffff7682000.linkTableOut[].lh_first
    -> struct alias_link.list_in.le_next (list)

  (29 more groups; --limit N shows more)
  note: 3247 hops named zone+offset: untyped pointer"""


def make_parser():
    p = KmemArgumentParser(prog="kmem-holders", description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("what", nargs="?", metavar="ZONE|ADDR",
                   help="a zone name (as uma-zones prints it; a zone named like a number wins)"
                        " or an address inside an item")
    p.add_argument("--type", metavar="T", help="the malloc zones malloc type T allocates from")
    p.add_argument("--size", metavar="N", type=size, help="the malloc zone of N-byte items")
    p.add_argument("--depth", metavar="N", type=count,
                   help="show only the N hops nearest the items (default: all)")
    p.add_argument("--limit", metavar="N", type=count, default=MAX_GROUPS,
                   help=f"groups shown (default {MAX_GROUPS})")
    p.add_argument("--samples", metavar="N", type=count, default=4,
                   help="addresses shown per group (default 4)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def _address(text):
    try:
        return int(text, 0)
    except ValueError:
        return None


def selection(target, index, args):
    """``(predicate on (item start, zone, size), what it selects)``."""
    chosen = [x for x in (args.what, args.type, args.size) if x is not None]
    if len(chosen) != 1:
        raise CommandArgumentError("give one of ZONE, ADDR, --type T, --size N")
    if args.what is not None and _address(args.what) is not None and \
            not index.find_zone(args.what):                   # 6.x-9.x zones are named "128"
        addr = _address(args.what)
        items = reachability(target, index)[0]
        k = bisect.bisect_right(items.starts, addr) - 1
        if k < 0 or addr >= items.ends[k]:
            raise CommandArgumentError(f"{addr:#x} is not inside an allocated item")
        start = int(items.starts[k])
        return (lambda a, z, s: a == start), f"the item at {start:#x}"
    if args.what is not None:
        if not index.find_zone(args.what):
            raise CommandArgumentError(f"no zone named {args.what!r} on a keg (names as "
                                       "uma-zones prints them)")
        return (lambda a, z, s: z == args.what), f"zone {args.what}"
    zones = {z["size"]: z["name"] for z in read_malloc_zones(target)}
    if args.size is not None:
        if args.size not in zones:
            raise CommandArgumentError(f"no malloc zone of {args.size} bytes (sizes: "
                                       f"{', '.join(map(str, sorted(zones)))})")
        names = {zones[args.size]}
    else:
        found = [t for t in malloc_type_stats(target).types if t.name == args.type]
        if not found:
            raise CommandArgumentError(f"no malloc type named {args.type!r}")
        names = {zones[s] for s in found[0].sizes or () if s in zones}
        if not names:
            raise CommandArgumentError(f"malloc type {args.type!r} uses no malloc zone this "
                                       "kernel records (only large allocations?)")
    return (lambda a, z, s: z in names), "zones " + ", ".join(sorted(names))


def run_kmem_holders(target, args, out):
    index = item_index(target)
    wanted, what = selection(target, index, args)
    report = holders(target, index, wanted, args.depth, args.limit, args.samples)
    out.write(render_json(report) if args.format == "json" else render_table(report, what))
    return OK          # warnings are printed; they never fail the command


KMEM_HOLDERS = command(CommandSpec("kmem-holders", "which structures hold a zone's items",
                                   make_parser, run_kmem_holders))
