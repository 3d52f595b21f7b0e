"""``kmem-owner NAME``: which code owns a malloc type or a zone."""

import json
import re

from ..leak.owner import find_owners
from ..report.owner import owner_dict, owner_text
from ..access.errors import CommandArgumentError
from .registry import FAILED, OK, CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
For a malloc type (vmstat -m name, e.g. libalias): the global that defines it (M_ALIAS), its
source file and line, the subsystem (source directory) and the module holding it (the kernel or a
kld).  For a zone (vmstat -z name, e.g. mbuf): the globals holding the zone pointer, its
ctor/dtor/init/fini/import functions with their source files, its keg and the zones sharing it.
NAME is matched exactly; --regex matches it as a regular expression."""


def make_parser():
    p = KmemArgumentParser(prog="kmem-owner", description=DESCRIPTION,
                           epilog="examples:\n  kmem-owner libalias\n  kmem-owner 'NetGraph items'\n"
                                  "  kmem-owner --regex '^mbuf'")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--regex", action="store_true", help="NAME is a regular expression")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def run_kmem_owner(target, args, out):
    try:
        match = re.compile(args.name).search if args.regex else (lambda n: n == args.name)
    except re.error as e:
        raise CommandArgumentError(f"NAME: bad regular expression: {e}") from None
    owners, warnings = find_owners(target, match)
    if args.format == "json":
        out.write(json.dumps({"kmem-owner": [owner_dict(o) for o in owners],
                              "warnings": warnings}, indent=2) + "\n")
    else:
        if not owners:
            out.write(f"kmem-owner: no malloc type or zone named {args.name!r}\n")
        for o in owners:
            out.write(owner_text(o))
        for w in warnings:
            out.write(f"kmemdbg: warning: {w}\n")
    return OK if owners else FAILED


KMEM_OWNER = command(CommandSpec("kmem-owner", "who defines a malloc type or holds a zone",
                                 make_parser, run_kmem_owner))
