"""Plain tables, byte counts and cells for every report (one formatter for unknown numbers)."""


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
    """A tabulate ``simple`` table of preformatted cells; ``numeric`` column indexes align right."""
    from tabulate import tabulate   # the only third-party import, kept behind report/
    align = ["right" if i in numeric else "left" for i in range(len(headers))]
    if not rows:
        return "  ".join(h for h in headers if h) + "\n(no rows)\n"
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True,
                    colalign=align) + "\n"
