"""``kmem-findleaks``: allocated items nothing in the kernel points at any more."""

from ..alloc.items import item_index
from ..leak.findleaks import find_leaks
from ..report.leaks import render_json, render_table
from ..access.errors import CommandArgumentError
from .options import count, size
from .registry import OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Scan from the kernel's roots (data and bss of the kernel and its modules, each CPU's struct
pcpu and, 8.0+, its copy of the DPCPU set, the kernel stacks of the threads on allproc/zombproc)
through every allocated UMA item and malloc(9) large allocation: a pointer-sized aligned word
pointing anywhere inside an item reaches it.  Items never reached are listed, grouped by zone
and size, with the malloc types that use a malloc zone and what the items' first words look
like.  UMA's own items and per-CPU items (held as zpcpu offsets, not pointers) are scanned but
never listed."""

EPILOG = """\
examples:
  kmem-findleaks
  kmem-findleaks --zone malloc-128 --format json
  kmem-findleaks -v

output (simulated 13.2 router crash, kmem-findleaks --samples 2):
  ZONE        SIZE  ITEMS  BYTES  TYPES
  ----------  ----  -----  -----  --------
  malloc-128   128    589  75392  libalias
  malloc-128 (128 bytes): words 0, 1 -> zone 'malloc-65536', other (100%)
    samples: 0x7ffff760e500 0x7ffff761ff00
  note: a conservative scan: pointers held only in registers, or in memory the
        scan does not read (unreadable pages, per-CPU data outside struct pcpu and
        the DPCPU areas), make reachable items look lost; stale words that still
        point at an item make a lost item look reachable"""


def make_parser():
    p = KmemArgumentParser(prog="kmem-findleaks", description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("--zone", metavar="Z", help="only items of zone Z (names as uma-zones)")
    p.add_argument("--size", metavar="N", type=size, help="only items of N bytes")
    p.add_argument("--samples", metavar="N", type=count, default=4,
                   help="addresses shown per group (default 4)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the scan's statistics")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def run_kmem_findleaks(target, args, out):
    index = item_index(target)
    if args.zone is not None and not index.find_zone(args.zone):
        raise CommandArgumentError(f"no zone named {args.zone!r} on a keg (names as uma-zones "
                                   "prints them)")
    report = find_leaks(target, index, args.zone, args.size, args.samples)
    out.write(render_json(report) if args.format == "json" else render_table(report, args.verbose))
    return OK          # warnings are printed; they never fail the command


KMEM_FINDLEAKS = command(CommandSpec("kmem-findleaks", "allocated items nothing points at",
                                     make_parser, run_kmem_findleaks))
