"""``uma-zones``: ``vmstat -z`` computed from the kernel's UMA structures."""

from ..alloc import probes, views
from ..alloc.rows import row_issues
from ..alloc.uma import uma_zone_stats
from ..kernel.release import read_release
from ..report import ddb, vmstat
from ..report.columns import ZONE_HELP, epilog, zone_columns
from .listing import (add_output_options, check_ddb_options, context_line, emit, refuse_if_empty,
                      select)
from .registry import CommandSpec, KmemArgumentParser, command

DESCRIPTION = """\
Show UMA zones like vmstat -z, walking uma_kegs (and uma_cachezones) in the core or live kernel.

By default every free item is counted once (per-CPU buckets, the zone's bucket cache, and the
keg's free slab items on the keg's first zone), over all CPUs.  --compat kvm prints what
`vmstat -M core -z` of the kernel's own era prints, with libmemstat's quirks.  --where splits
FREE by where the items sit (per-CPU buckets, the zone's bucket cache, the keg's slabs), in bytes.
The table fits 80 columns; --wide adds LIMIT, SLEEP, XDOMAIN (JSON and CSV always have all)."""


def make_parser():
    p = KmemArgumentParser(prog="uma-zones", description=DESCRIPTION,
                           epilog=epilog(ZONE_HELP, "examples:\n  uma-zones --sort used --top 10\n"
                                         "  uma-zones --compat kvm --format vmstat\n"
                                         "  uma-zones --where --match '^mbuf'"))
    add_output_options(p, zone_columns(True, True, where=True))
    p.add_argument("--where", action="store_true",
                   help="add where the free items sit, in bytes: CPU-BYTES, ZONE-BYTES, "
                        "KEG-BYTES (with --wide also in items: FREE-CPU, FREE-ZONE, FREE-KEG)")
    p.add_argument("--wide", action="store_true",
                   help="also LIMIT, SLEEP, XDOMAIN (and --where's item counts): wider than 80")
    return p


def run_uma_zones(target, args, out):
    check_ddb_options(args)
    view = views.for_compat(args.compat)
    report = uma_zone_stats(target, view)
    refuse_if_empty(report.zones, report.warnings, "zone")
    columns = zone_columns(report.has_sleep, report.has_xdomain, where=args.where, wide=args.wide)
    if args.format == "ddb":
        ddb_fmt = ddb.zone_format(report.has_xdomain, probes.zone_bucket_cache_kind(target),
                                  report.has_sleep, probes.zone_has_keg_list(target))
        rows = select(ddb.order_zones(report.zones, ddb_fmt), columns, args)
    else:
        rows = select(list(reversed(report.zones)), columns, args)
    warnings = list(report.warnings) + row_issues(rows)
    label = "where" if args.where and view is views.TRUE else view.name

    def text(rows):
        if args.format == "ddb":
            return ddb.render_zones(rows, ddb_fmt)
        osreldate = read_release(target).osreldate if report.has_xdomain else None
        return vmstat.render_zones(rows, vmstat.zone_format(report.has_sleep, report.has_xdomain,
                                                            osreldate))

    return emit(out, args, rows, columns, "zone", warnings, text,
                lambda: context_line(target, report.cpus, report.ndomains, label))


UMA_ZONES = command(CommandSpec("uma-zones", "UMA zones like vmstat -z (true, --where, --compat kvm)",
                                make_parser, run_uma_zones))
