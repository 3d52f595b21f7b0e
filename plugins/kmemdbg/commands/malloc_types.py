"""``malloc-types``: ``vmstat -m`` computed from the kernel's malloc(9) type list."""

from ..alloc import probes, views
from ..alloc.rows import row_issues
from ..alloc.malloc import malloc_type_stats
from ..kernel.release import read_release
from ..report import ddb, vmstat
from ..report.columns import MALLOC_HELP, epilog, malloc_columns
from .listing import (add_output_options, check_ddb_options, context_line, emit, refuse_if_empty,
                      select)
from .registry import CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Show malloc(9) types like vmstat -m, walking kmemstatistics in the core or live kernel.

By default per-CPU statistics are summed over every present CPU; --compat kvm sums what
`vmstat -M core -m` of the kernel's era sums (all mti_stats[] slots up to mp_maxcpus before 12,
CPUs 0..mp_ncpus-1 from 12, and from 13 skips types with a foreign ks_version).  Like vmstat,
types never used (no requests, nothing in use) are hidden unless --all is given."""


def make_parser():
    p = KmemArgumentParser(prog="malloc-types", description=DESCRIPTION,
                           epilog=epilog(MALLOC_HELP, "examples:\n  malloc-types --sort memory-use --top 10\n"
                                         "  malloc-types --compat kvm --format vmstat"))
    add_output_options(p, malloc_columns())
    p.add_argument("--all", action="store_true",
                   help="include types vmstat omits (no requests and nothing in use)")
    return p


def run_malloc_types(target, args, out):
    check_ddb_options(args)
    ddb_fmt = ddb.malloc_format(probes.malloc_stats_kind(target))
    # ddb before 12 sums every mti_stats[MAXCPU] slot, as the kvm view of those eras does
    ddb_kvm = args.format == "ddb" and ddb_fmt == "6"
    view = views.KVM if ddb_kvm else views.for_compat(args.compat)
    report = malloc_type_stats(target, view)
    columns = malloc_columns()
    if args.format == "ddb":    # every type, in ddb's order
        rows = ddb.order_malloc(report.types, ddb_fmt)
    else:
        rows = list(reversed(report.types))
    if not args.all and args.format != "ddb":
        rows = [m for m in rows if not (m.requests == 0 and m.in_use == 0)]
    refuse_if_empty(rows, report.warnings, "malloc type")
    rows = select(rows, columns, args)
    warnings = list(report.warnings) + row_issues(rows)

    def text(rows):
        if args.format == "ddb":
            return ddb.render_malloc(rows, ddb_fmt)
        embedded = report.stats_kind == probes.STATS_EMBEDDED_PCPU
        osreldate = read_release(target).osreldate if embedded else None
        return vmstat.render_malloc(rows, vmstat.malloc_format(embedded, osreldate))

    return emit(out, args, rows, columns, "memory", warnings, text,
                lambda: context_line(target, report.cpus, None, view.name), report.notes)


MALLOC_TYPES = command(CommandSpec("malloc-types", "malloc(9) types like vmstat -m (true, --compat kvm)",
                                   make_parser, run_malloc_types))
