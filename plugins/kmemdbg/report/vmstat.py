"""The exact text ``vmstat -z`` / ``vmstat -m`` of the kernel's own era prints.

Formats (docs/freebsd-abi.md section 5):

zones
  ``8``   6.x-8.x (no ``uz_sleeps``): ``REQUESTS``/``FAILURES``, ", " separators, blank lines
  ``9``   9.x-12.x: SLEEP column, ", " after SIZE then bare commas, blank lines
  ``13``  13.x-14.x (``uz_xdomain``): header runs FAIL and SLEEP together (``FAILSLEEP``), one
          newline after the header, no trailing blank line
  ``15``  15/main: compact ``ITEM SIZE ... XDOM``, SIZE padded to column 26
malloc
  ``8``   6.x-12.x: HighUse ``-``, sizes printed as 16 << bit
  ``13``  13.x-14.x: no HighUse, real ``kmemzones[]`` sizes
  ``15``  15/main: ``Type Use Memory Req Size(s)``, humanized

The structures cannot tell a 13, 14 or 15 kernel apart (same UMA and malloc layouts), so for
those ``osreldate`` picks the format: below 1500000 the 13/14 text, otherwise main's.  13.x
is given the 14.x text: vmstat dropped HighUse and switched to real zone sizes in head before
stable/13 branched, and a 13-layout dump shows the single-newline header (reference section 7,
"Corrections"); the older blank-line XDOMAIN variant only existed in 2020's head.
"""

from .humanize import humanize
from .text import kib, number

MAIN_OSRELDATE = 1500000


def zone_format(has_sleep, has_xdomain, osreldate):
    if not has_sleep:
        return "8"
    if not has_xdomain:
        return "9"
    return "15" if (osreldate or 0) >= MAIN_OSRELDATE else "13"


def malloc_format(embedded_stats, osreldate):
    if not embedded_stats:
        return "8"
    return "15" if (osreldate or 0) >= MAIN_OSRELDATE else "13"


def _cells(z, n):
    """The first ``n`` of SIZE LIMIT USED FREE REQ FAIL SLEEP XDOMAIN, as text."""
    values = (z.size, z.limit, z.used, z.free, z.requests, z.fail, z.sleep, z.xdomain)
    return [number(v) for v in values[:n]]


def render_zones(zones, fmt):
    """``zones`` in print order (ZoneStats); returns the whole text."""
    out = []
    if fmt == "8":
        out.append("%-20s %8s  %8s  %8s  %8s  %8s  %8s\n\n" % (
            "ITEM", "SIZE", "LIMIT", "USED", "FREE", "REQUESTS", "FAILURES"))
        for z in zones:
            out.append("%-20s %8s, %8s, %8s, %8s, %8s, %8s\n" % (z.name + ":", *_cells(z, 6)))
        out.append("\n")
    elif fmt == "9":
        out.append("%-20s %6s %6s %8s %8s %8s %4s %4s\n\n" % (
            "ITEM", "SIZE", "LIMIT", "USED", "FREE", "REQ", "FAIL", "SLEEP"))
        for z in zones:
            out.append("%-20s %6s, %6s,%8s,%8s,%8s,%4s,%4s\n" % (z.name + ":", *_cells(z, 7)))
        out.append("\n")
    elif fmt == "13":
        out.append("%-20s %6s %6s %8s %8s %8s %8s%4s %4s\n" % (
            "ITEM", "SIZE", "LIMIT", "USED", "FREE", "REQ", "FAIL", "SLEEP", "XDOMAIN"))
        for z in zones:
            out.append("%-20s %6s, %6s,%8s,%8s,%8s,%4s,%4s,%4s\n" % (z.name + ":", *_cells(z, 8)))
    else:
        out.append("%-19s %7s %7s %8s %8s %8s %4s %4s %4s\n" % (
            "ITEM", "SIZE", "LIMIT", "USED", "FREE", "REQ", "FAIL", "SLEEP", "XDOM"))
        for z in zones:
            width = max(1, 26 - len(z.name))
            out.append("%s:%*s,%7s,%8s,%8s,%8s,%4s,%4s,%4s\n" % (z.name, width, *_cells(z, 8)))
    return "".join(out)


def _bit_sizes(m):
    """≤13.x vmstat labels mask bit i as ``1 << (i + 4)`` whatever the kernel's zones are."""
    return [16 << bit for bit in range(32) if m.size_mask is not None and m.size_mask >> bit & 1]


def render_malloc(types, fmt):
    """``types`` in print order (MallocTypeStats); returns the whole text."""
    out = []
    if fmt == "8":
        out.append("%13s %5s %6s %7s %8s  Size(s)\n" % (
            "Type", "InUse", "MemUse", "HighUse", "Requests"))
        for m in types:
            out.append("%13s %5s %5sK %7s %8s  %s\n" % (
                m.name, number(m.in_use), number(kib(m.memory_use)), "-", number(m.requests),
                ",".join(str(s) for s in _bit_sizes(m))))
    elif fmt == "13":
        out.append("%13s %5s %6s %8s  Size(s)\n" % ("Type", "InUse", "MemUse", "Requests"))
        for m in types:
            out.append("%13s %5s %5sK %8s  %s\n" % (
                m.name, number(m.in_use), number(kib(m.memory_use)), number(m.requests),
                ",".join(str(s) for s in m.sizes or ())))
    else:
        out.append("%16s %4s %5s %3s Size(s)\n" % ("Type", "Use", "Memory", "Req"))
        for m in types:
            def h(v, **kw):
                return "?" if v is None else humanize(v, **kw)
            out.append("%16s %4s %5s %4s %s\n" % (
                m.name, h(m.in_use, decimal=True, divisor_1000=True),
                h(m.memory_use, decimal=True), h(m.requests, decimal=True, divisor_1000=True),
                ",".join(humanize(s) for s in m.sizes or ())))
    return "".join(out)
