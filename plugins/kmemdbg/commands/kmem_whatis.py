"""``kmem-whatis``: what a kernel address is (UMA item, slab header, large malloc, symbol)."""

import argparse

from ..alloc.items import item_index
from ..leak.holders import item_holders
from ..report.items import render_json, render_warnings, render_whatis_text
from ..access.errors import CommandArgumentError, SymbolNotFound
from .options import address
from .registry import OK, CommandSpec, KmemArgumentParser, command

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
    p = KmemArgumentParser(prog="kmem-whatis", description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("addresses", nargs="*", metavar="ADDR", type=address,
                   help="0x..., decimal, or a kernel variable name[+OFFSET]")
    p.add_argument("--file", metavar="FILE", help="read addresses from FILE, one per line "
                   "('#' starts a comment)")
    p.add_argument("--holder", action="store_true",
                   help="for an allocated item, also its inferred type and the path of pointers "
                        "from a root that holds it (kmem-holders; runs kmem-findleaks' scan)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    return p


def file_addresses(path):
    """The addresses of ``--file``, checked like ADDR arguments."""
    try:
        with open(path) as f:
            words = [(n, w) for n, line in enumerate(f, 1) for w in line.split("#")[0].split()]
    except OSError as e:
        raise CommandArgumentError(f"--file: {e}") from None
    try:
        return [address(w) for _, w in words]
    except argparse.ArgumentTypeError:
        n, w = next((n, w) for n, w in words if not _is_address(w))
        raise CommandArgumentError(f"--file {path} line {n}: not an address or symbol: {w!r}")


def _is_address(word):
    try:
        return bool(address(word))
    except argparse.ArgumentTypeError:
        return False


def resolve(target, name, offset):
    if name is None:
        return offset
    try:
        return target.symbol_address(name) + offset
    except SymbolNotFound:
        raise CommandArgumentError(f"no kernel variable named {name!r}") from None


def run_kmem_whatis(target, args, out):
    words = args.addresses + (file_addresses(args.file) if args.file else [])
    if not words:
        raise CommandArgumentError("give at least one ADDR or --file")
    addresses = [resolve(target, name, offset) for name, offset in words]
    index = item_index(target)
    records = [index.lookup(a) for a in addresses]
    if args.holder:
        add_holders(target, index, records)
    if args.format == "json":
        out.write(render_json("kmem-whatis", records, index.warnings))
    else:
        out.write(render_whatis_text(records) + render_warnings(index.warnings))
    return OK          # warnings are printed; they never fail the command


def add_holders(target, index, records):
    """Each allocated item's record gains ``type`` and ``holder`` (``{"root", "path"}``, None
    when nothing reaches it)."""
    allocated = [r for r in records if r["kind"] in ("uma-item", "malloc-large")
                 and r["state"] == "allocated"]
    found = item_holders(target, index, [r["item"] for r in allocated])
    for r in allocated:
        root, path, t = found.get(r["item"], (None, (), None))
        r["type"] = t
        r["holder"] = {"root": root, "path": list(path)} if root is not None else None


KMEM_WHATIS = command(CommandSpec("kmem-whatis", "what a kernel address is (UMA item, slab, ...)",
                                  make_parser, run_kmem_whatis))
