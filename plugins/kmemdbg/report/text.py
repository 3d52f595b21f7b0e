"""Plain tables, byte counts and cells for every report (one formatter for unknown numbers)."""

from ..access.errors import MissingModule


def source_path(path):
    """The path from the tree's ``sys/`` on (``/usr/src/sys/netinet/x.c`` -> ``sys/netinet/x.c``)."""
    if not path:
        return path
    i = path.rfind("/sys/")
    return path[i + 1:] if i >= 0 else path.lstrip("./")


def number(value):
    """A count as a cell: ``?`` when it could not be read."""
    return "?" if value is None else str(value)


def kib(nbytes):
    """Bytes in KiB rounded up, as vmstat prints MemUse; ``None`` stays ``None``."""
    return None if nbytes is None else (nbytes + 1023) // 1024


def human_bytes(n, signed=False):
    """``1536`` -> ``1.5K``; exact below 1 KiB; ``signed`` adds ``+`` to growth figures."""
    if n is None:
        return "?"
    sign = "-" if n < 0 else ("+" if signed and n > 0 else "")
    n = abs(n)
    for unit in ("", "K", "M", "G", "T"):
        if n < 1024 or unit == "T":
            text = f"{n:.0f}" if unit == "" else (f"{n:.1f}" if n < 10 else f"{n:.0f}")
            return f"{sign}{text}{unit}"
        n /= 1024.0


def render_rows(rows, headers, numeric=()):
    """A tabulate ``simple`` table of preformatted cells; ``numeric`` column indexes align right.

    tabulate infers a type for every cell (a regex and several conversions each), even with
    ``disable_numparse``, and pads cell by cell: on 1,000-2,000 rows that was most of a
    command's time.  So tabulate lays out the header, the rule and the column widths from a
    one-row table of each column's widest cell, and every row is padded to those widths the
    way tabulate pads a ``simple`` row (right or left, two spaces apart, trailing blanks
    dropped): the same text, as long as no cell holds what tabulate treats specially (line
    breaks or other unprintable characters, spaces at either end); a table with such a cell is
    laid out by tabulate row by row.

    :raises MissingModule: tabulate is not installed in the debugger's Python.
    """
    return render_columns([list(map(str, cells)) for cells in zip(*rows)], headers, numeric,
                          len(rows))


def render_columns(columns, headers, numeric=(), count=None):
    """``render_rows`` of a table given by its columns of ``str`` cells (what the listings
    build), without turning them into rows and back."""
    try:
        import tabulate as tabulate_module   # the only third-party import, kept behind report/
        from tabulate import tabulate
    except ImportError:
        raise MissingModule("tabulate", "tables") from None
    align = ["right" if i in numeric else "left" for i in range(len(headers))]
    count = len(columns[0]) if count is None and columns else count or 0
    if not count:
        return "  ".join(h for h in headers if h) + "\n(no rows)\n"
    plain = all(_one_line_cells("\n".join(c), count) for c in columns)
    # tight (80 columns), and a leading blank of a cell is kept (a mark column of one space)
    saved = tabulate_module.MIN_PADDING, tabulate_module.PRESERVE_WHITESPACE
    tabulate_module.MIN_PADDING, tabulate_module.PRESERVE_WHITESPACE = 0, True
    try:
        laid_out = tabulate([[max(c, key=len) for c in columns]] if plain else
                            [list(row) for row in zip(*columns)],
                            headers=headers, tablefmt="simple", disable_numparse=True,
                            colalign=align)
    finally:
        tabulate_module.MIN_PADDING, tabulate_module.PRESERVE_WHITESPACE = saved
    if not plain:
        return laid_out + "\n"
    header, rule, _ = laid_out.split("\n")
    # one format per row, not a call per cell: "{:>8}" pads as str.rjust(8) does; a last column
    # aligned left is not padded (tabulate's trailing blanks are dropped), so only a row whose
    # last cell is empty has blanks to drop
    specs = [f"{{:{'>' if a == 'right' else '<'}{len(dashes)}}}"
             for a, dashes in zip(align, rule.split("  "))]
    if align[-1] == "left":
        specs[-1] = "{}"
    lines = list(map("  ".join(specs).format, *columns))
    if "" in columns[-1]:
        lines = [line.rstrip() for line in lines]
    return "\n".join([header, rule, *lines]) + "\n"


def _one_line_cells(column, count):
    """True if the ``count`` cells joined by line breaks in ``column`` are plain (tabulate pads
    them as ``render_rows`` does): one line each, printable ASCII, no space at either end
    (empty cells are plain: ``malloc-types --all`` lists types without a size)."""
    return column.count("\n") == count - 1 and column.isascii() and \
        column.replace("\n", "").isprintable() and not (
            column[:1] == " " or column[-1:] == " " or "\n " in column or " \n" in column)
