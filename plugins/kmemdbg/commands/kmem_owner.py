"""``kmem-owner NAME``: which code owns a malloc type or a zone."""

import json
import re

from ..alloc.malloc import malloc_type_stats
from ..alloc.uma import uma_zone_stats
from ..leak.owner import malloc_type_owner, source_path, zone_owner, zone_pointer_holders
from ..target.errors import KmemdbgError
from .common import run_target
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


def _where(sym):
    if sym is None:
        return "?"
    loc = source_path(sym.file) or "?"
    if sym.line:
        loc += f":{sym.line}"
    return f"{sym.name} at {loc}" + (f" [{sym.module}]" if sym.module else "")


def owner_dict(o):
    d = {"kind": o.kind, "name": o.name, "address": o.address, "file": o.file and source_path(o.file),
         "subsystem": o.subsystem, "module": o.module}
    if o.kind == "malloc":
        d["symbol"] = o.symbol.name if o.symbol else None
        d["line"] = o.symbol.line if o.symbol else None
    else:
        d["holders"] = [{"symbol": h.name, "file": source_path(h.file), "line": h.line,
                         "module": h.module} for h in o.holders]
        d["functions"] = {m: {"symbol": s.name, "file": source_path(s.file), "line": s.line,
                              "module": s.module} for m, s in o.functions.items()}
        d["keg"] = o.keg
        d["keg_zones"] = o.keg_zones
    return d


def run_kmem_owner(target, args, out):
    target = run_target(target)
    try:
        match = re.compile(args.name).search if args.regex else (lambda n: n == args.name)
    except re.error as e:
        out.write(f"kmemdbg: error: kmem-owner: bad regular expression: {e}\n")
        return FAILED
    owners, warnings = [], []
    try:
        owners += [malloc_type_owner(target, m)
                   for m in reversed(malloc_type_stats(target).types) if match(m.name)]
    except KmemdbgError as e:
        warnings.append(f"malloc types not searched: {e}")
    try:
        zones = uma_zone_stats(target).zones
        hits = [z for z in reversed(zones) if match(z.name)]
        if hits:
            holders = zone_pointer_holders(target, {z.address for z in hits})
            owners += [zone_owner(target, z, zones, holders) for z in hits]
    except KmemdbgError as e:
        warnings.append(f"zones not searched: {e}")
    for o in owners:
        warnings += o.warnings
    if args.format == "json":
        out.write(json.dumps({"kmem-owner": [owner_dict(o) for o in owners],
                              "warnings": warnings}, indent=2) + "\n")
    else:
        if not owners:
            out.write(f"kmem-owner: no malloc type or zone named {args.name!r}\n")
        for o in owners:
            out.write(_text(o))
        for w in warnings:
            out.write(f"kmemdbg: warning: {w}\n")
    return OK if owners else FAILED


def _text(o):
    lines = [f"{'malloc type' if o.kind == 'malloc' else 'zone'} {o.name!r} at {o.address:#x}"]
    if o.kind == "malloc":
        lines.append(f"  defined by   {_where(o.symbol)}")
    else:
        for h in o.holders or [None]:
            lines.append(f"  held by      {_where(h) if h else '(no global holds this zone pointer)'}")
        for member, sym in o.functions.items():
            lines.append(f"  {member:<12} {_where(sym)}")
        if o.keg:
            lines.append(f"  keg          {o.keg:#x}, zones: {', '.join(o.keg_zones)}")
    lines.append(f"  subsystem    {o.subsystem or '?'}")
    lines.append(f"  module       {o.module or '?'}")
    return "\n".join(lines) + "\n"


KMEM_OWNER = command(CommandSpec("kmem-owner", "who defines a malloc type or holds a zone",
                                 make_parser, run_kmem_owner))
