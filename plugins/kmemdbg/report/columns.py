"""Column specs of ``uma-zones`` and ``malloc-types``: JSON keys, table headers, accessors.

JSON/CSV keys are vmstat's libxo names (vm_images/GROUND_TRUTH.md); table headers are vmstat's.
Which columns an era has (SLEEP from 9.x, XDOMAIN from 13) is decided by the caller from the
probes and passed in; JSON always carries every key, with ``null`` where the era has none.
"""

import functools
from dataclasses import dataclass
from operator import attrgetter
from typing import Callable, List, Optional

from ..access.errors import CommandArgumentError
from .text import human_bytes, kib


@dataclass(frozen=True)
class Column:
    key: str                 # JSON/CSV key and --sort name
    header: str              # table header
    get: Callable            # stats object -> value (int, str, list or None)
    numeric: bool = True
    in_table: bool = True
    wide: bool = False       # in the table only with --wide (the default table fits 80 columns)
    cell: Optional[Callable] = None    # stats object -> table cell, where not from the value


@functools.lru_cache(maxsize=1024)
def _joined(values):
    return ",".join(map(str, values))


def _sizes_cell(m):
    """Size(s) in the table: the thousands of malloc types share a few size lists, each joined
    once."""
    return "?" if m.sizes is None else _joined(m.sizes)


def _times_size(items, z):
    return None if None in (items, z.size) else items * z.size


ZONE_COLUMNS = (
    Column("name", "ITEM", attrgetter("name"), numeric=False),
    Column("size", "SIZE", attrgetter("size")),
    Column("limit", "LIMIT", attrgetter("limit"), wide=True),
    Column("used", "USED", attrgetter("used")),
    Column("free", "FREE", attrgetter("free")),
    Column("requests", "REQ", attrgetter("requests")),
    Column("fail", "FAIL", attrgetter("fail")),
    Column("sleep", "SLEEP", attrgetter("sleep"), wide=True),
    Column("xdomain", "XDOMAIN", attrgetter("xdomain"), wide=True),
    Column("memory", "MEMORY", attrgetter("memory")),
    Column("total", "TOTAL", attrgetter("total")),
)
WHERE_COLUMNS = (
    Column("free-cpu", "FREE-CPU", attrgetter("free_cpu"), wide=True),
    Column("free-zone", "FREE-ZONE", attrgetter("free_zone"), wide=True),
    Column("free-keg", "FREE-KEG", attrgetter("free_keg"), wide=True),
    Column("free-cpu-bytes", "CPU-BYTES", lambda z: _times_size(z.free_cpu, z)),
    Column("free-zone-bytes", "ZONE-BYTES", lambda z: _times_size(z.free_zone, z)),
    Column("free-keg-bytes", "KEG-BYTES", lambda z: _times_size(z.free_keg, z)),
)
# bytes in JSON/CSV and for --sort, humanized in the table
BYTES = ("memory", "total", "free-cpu-bytes", "free-zone-bytes", "free-keg-bytes")
MALLOC_COLUMNS = (
    Column("type", "Type", attrgetter("name"), numeric=False),
    Column("in-use", "InUse", attrgetter("in_use")),
    Column("memory-use", "MemUse", attrgetter("memory_use")),
    Column("high-use", "HighUse", lambda m: None, in_table=False),  # no kernel tracks it
    Column("requests", "Requests", attrgetter("requests")),
    Column("size", "Size(s)", lambda m: None if m.sizes is None else list(m.sizes),
           numeric=False, cell=_sizes_cell),
)

ZONE_HELP = {
    "name": "zone name (uz_name, 31 characters at most)",
    "size": "item size (keg uk_size)",
    "limit": "item limit, 0 = none",
    "used": "items allocated and not freed",
    "free": "free items cached: per-CPU buckets + zone bucket cache + keg slabs",
    "requests": "successful allocations",
    "fail": "failed allocations",
    "sleep": "allocations that slept at the limit (9.x+)",
    "xdomain": "cross-domain frees (13+)",
    "memory": "bytes of the items in use: used x size",
    "total": "bytes of the zone's items, used and free: (used + free) x size (ddb's Total Mem)",
    "free-cpu": "--where: free items in per-CPU buckets",
    "free-zone": "--where: free items in the zone's full-bucket cache",
    "free-keg": "--where: free items in the keg's slabs (on the keg's first zone)",
    "free-cpu-bytes": "--where: bytes of the free items in per-CPU buckets (and so on for "
                      "free-zone-bytes, free-keg-bytes)",
}
MALLOC_HELP = {
    "type": "malloc type name (ks_shortdesc)",
    "in-use": "allocations not freed",
    "memory-use": "bytes in use (table and vmstat show KiB, rounded up)",
    "high-use": "always null: no FreeBSD kernel tracks it",
    "requests": "allocations",
    "size": "malloc zone sizes used (kmemzones[].kz_size)",
}


def zone_columns(has_sleep, has_xdomain, where=False, wide=False) -> List[Column]:
    """Columns of ``uma-zones`` for an era (JSON keeps all; the table drops absent ones and,
    without ``wide``, the ones that would take it past 80 columns)."""
    cols = list(ZONE_COLUMNS) + (list(WHERE_COLUMNS) if where else [])
    # --where's three byte columns take the place of REQ, FAIL and MEMORY (unless --wide)
    narrow = {"requests", "fail", "memory"} if where and not wide else set()
    return [c if (c.key != "sleep" or has_sleep) and (c.key != "xdomain" or has_xdomain)
            and (wide or not c.wide) and c.key not in narrow
            else Column(c.key, c.header, c.get, c.numeric, in_table=False) for c in cols]


def malloc_columns() -> List[Column]:
    return list(MALLOC_COLUMNS)


def column_cells(column, rows):
    """The table cells of ``column`` for ``rows``: ``?`` when unknown, lists comma-joined, MemUse
    in KiB, byte columns humanized (the kind chosen once per column, not per cell)."""
    if column.cell is not None:
        return list(map(column.cell, rows))
    values = list(map(column.get, rows))
    if column.key == "memory-use":
        return ["?" if v is None else f"{kib(v)}K" for v in values]
    if column.key in BYTES:
        return ["?" if v is None else human_bytes(v) for v in values]
    if column.numeric:
        return ["?" if v is None else str(v) for v in values]
    return ["?" if v is None else ",".join(map(str, v)) if isinstance(v, list) else str(v)
            for v in values]


def find_column(columns, name) -> Column:
    """The column named ``name`` (JSON key or table header, any case)."""
    wanted = name.lower()
    for c in columns:
        if wanted in (c.key.lower(), c.header.lower()):
            return c
    raise CommandArgumentError(f"unknown column '{name}'; choose from "
                               + ", ".join(c.key for c in columns))


def epilog(help_by_key, extra=""):
    lines = ["columns (for --sort, JSON and CSV keys):"]
    lines += [f"  {key:<11} {text}" for key, text in help_by_key.items()]
    return "\n".join(lines) + ("\n\n" + extra if extra else "")
