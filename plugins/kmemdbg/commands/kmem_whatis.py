"""``kmem-whatis``: what a kernel address is (UMA item, slab header, large malloc, symbol)."""

from ..alloc.items import item_index
from ..report.items import render_json, render_whatis_text
from ..target.errors import CommandArgumentError, KmemdbgError
from .common import run_target
from .registry import FAILED, OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Say what kernel addresses are: a UMA item (start or interior: keg, zones, slab, index, offset,
allocated or free, and where a free item sits: its slab, CPU n's alloc/free/cross bucket, or a
zone bucket cache), an in-page slab header, a malloc(9) large allocation, a statically
allocated UMA keg/zone, a kernel symbol, or unknown (NULL, unmapped, unused).

UMA's own structures (kegs, zones, buckets, off-page slab headers) are items of its internal
zones and are answered as such, with a note naming the structure.  FreeBSD keeps no malloc type
per item: for a malloc-N item the types that use that size are listed."""


EPILOG = """\
examples:
  kmem-whatis 0xfffff80003a1c080 kmemstatistics+8
  kmem-whatis --file addrs.txt --format json

output (simulated 13.2 router crash):
  0x7ffff7890410: item 0x7ffff7890400 + 0x10 of zone 'mbuf' (keg 0x7ffff771ba00: mbuf, mbuf_packet),
  index 4 of slab 0x7ffff7890fe0, domain 1, size 256 (rsize 256), free in CPU 0's cross-domain bucket
  0x7ffff771ffe4: slab header 0x7ffff771ffe0 + 0x4 (32 bytes) of keg 0x7ffff7708a00 ('malloc-128')
      in-page slab header of keg 'malloc-128'"""


def make_parser():
    p = KmemArgumentParser(prog="kmem-whatis", description=DESCRIPTION,
                           epilog=EPILOG)
    p.add_argument("addresses", nargs="*", metavar="ADDR",
                   help="0x..., decimal, or a kernel variable name[+OFFSET]")
    p.add_argument("--file", metavar="FILE", help="read addresses from FILE, one per line")
    p.add_argument("--format", choices=("text", "json"), default="text")
    return p


def parse_address(target, text):
    """``0x...``, a decimal number, or a kernel variable name with an optional ``+OFFSET``."""
    base, _, off = text.lstrip("&").partition("+")
    try:
        value = int(text, 0)
    except ValueError:
        try:
            value = target.symbol_address(base) + (int(off, 0) if off else 0)
        except (KmemdbgError, ValueError):
            raise CommandArgumentError(f"kmem-whatis: not an address or symbol: {text!r}") from None
    if value < 0:
        raise CommandArgumentError(f"kmem-whatis: not an address: {text!r}")
    return value


def read_addresses(args):
    words = list(args.addresses)
    if args.file:
        try:
            with open(args.file) as f:
                words += [w for line in f for w in line.split("#")[0].split()]
        except OSError as e:
            raise CommandArgumentError(f"kmem-whatis: --file: {e}") from None
    if not words:
        raise CommandArgumentError("kmem-whatis: give at least one ADDR or --file")
    return words


def run_kmem_whatis(target, args, out):
    words = read_addresses(args)
    target = run_target(target)
    addresses = [parse_address(target, w) for w in words]
    index = item_index(target)
    records = [index.lookup(a) for a in addresses]
    warnings = index.warnings
    if args.format == "json":
        out.write(render_json("kmem-whatis", records, warnings))
    else:
        out.write(render_whatis_text(records))
        for w in warnings:
            out.write(f"kmemdbg: warning: {w}\n")
    return FAILED if warnings else OK


KMEM_WHATIS = command(CommandSpec("kmem-whatis", "what a kernel address is (UMA item, slab, ...)",
                                  make_parser, run_kmem_whatis))
