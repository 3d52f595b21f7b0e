"""Options and output of the two vmstat listings, ``uma-zones`` and ``malloc-types``.

Selection order: ``--match`` (regex on the name), then ``--sort`` (names ascending, numbers
descending, unknown values last), then ``--top``.  Without ``--sort`` rows come in vmstat's
order, the reverse of the kernel walk (libmemstat inserts each record at its list head).
"""

from ..kernel.cpus import format_cpu_ids
from ..kernel.release import read_release
from ..report.columns import find_column
from ..report.render import FORMATS, render_csv, render_json, render_table
from ..access.errors import CommandArgumentError, CorruptionError
from .options import column_name, count, regex
from .registry import OK


def add_output_options(parser, columns):
    """:param columns: every column the command can show (``--sort`` accepts their names)."""
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (default), vmstat (the era's own text), ddb (the era's "
                             "in-kernel debugger text: show uma / show malloc), json, csv")
    parser.add_argument("--sort", metavar="COLUMN", type=column_name(columns),
                        help="sort by COLUMN (see below)")
    parser.add_argument("--top", metavar="N", type=count, help="show only the first N rows")
    parser.add_argument("--match", metavar="REGEX", type=regex,
                        help="only rows whose name matches REGEX")
    parser.add_argument("--compat", choices=("kvm",),
                        help="kvm: the numbers vmstat -M core of the era prints, quirks included")


def check_ddb_options(args):
    """ddb prints its own numbers in its own order: options that change either do not apply."""
    clash = [o for o, v in (("--compat", args.compat), ("--sort", args.sort),
                            ("--where", getattr(args, "where", False))) if v]
    if args.format == "ddb" and clash:
        raise CommandArgumentError(f"--format ddb: {', '.join(clash)} cannot be used "
                                   "(ddb prints its own numbers in its own order)")


def select(rows, columns, args):
    """Apply ``--match``, ``--sort`` and ``--top`` to rows already in vmstat order."""
    if args.match:
        rows = [r for r in rows if args.match.search(r.name)]
    if args.sort:
        col = find_column(columns, args.sort)
        known = [r for r in rows if col.get(r) is not None]
        unknown = [r for r in rows if col.get(r) is None]
        if col.numeric:
            known.sort(key=lambda r: col.get(r), reverse=True)
        else:
            known.sort(key=lambda r: str(col.get(r)))
        rows = known + unknown
    if args.top is not None:
        rows = rows[:args.top]
    return rows


def context_line(target, cpus, ndomains=None, view="true"):
    """``FreeBSD 13.2-RELEASE ... (osreldate 1302001)`` then ``4 CPUs ...; view: true``: what
    the numbers are of, on two lines that fit 80 columns."""
    rel = read_release(target)
    parts = [rel.version or "unknown kernel version"]
    if rel.osreldate is not None:
        parts[0] += f" (osreldate {rel.osreldate})"
    parts.append(f"{cpus.ncpus} CPUs (mp_maxid {cpus.maxid}, present {format_cpu_ids(cpus.present)})")
    if ndomains is not None:
        parts.append(f"{ndomains} memory domain{'s' if ndomains != 1 else ''}")
    parts.append(f"view: {view}")
    return parts[0] + "\n" + "; ".join(parts[1:]) + "\n"     # two lines: 80 columns


def refuse_if_empty(rows, warnings, what):
    """A listing without a single row would print nothing useful: its warnings (the damage that
    emptied it) become the command's one error line instead of "(no rows)".

    :raises CorruptionError:
    """
    if not rows and warnings:
        raise CorruptionError(f"no {what} could be read: " + "; ".join(warnings))


def emit(out, args, rows, columns, kind, warnings, text_renderer, context, notes=()):
    """Write rows in the chosen format, then (non-JSON) the warnings and notes; return OK.

    Warnings name damage in the target (what could not be read, or does not add up) and notes
    things vmstat itself does, such as skipping a malloc type of another ABI version; neither
    fails the command, which printed what it could (``refuse_if_empty`` is the failure).
    """
    if args.format == "json":
        out.write(render_json(rows, columns, kind, warnings, notes))
    elif args.format == "csv":
        out.write(render_csv(rows, columns))
    elif args.format in ("vmstat", "ddb"):
        out.write(text_renderer(rows))
    else:
        table = render_table(rows, columns)     # first: without tabulate, only the error shows
        out.write(context())
        out.write(table)
    if args.format != "json":
        if warnings:
            out.write(f"kmemdbg: warning: {len(warnings)} problem(s) reading the target "
                      "(unreadable cells show '?'):\n")
            for w in warnings:
                out.write(f"  {w}\n")
        for n in notes:
            out.write(f"kmemdbg: note: {n}\n")
    return OK
