"""``kmem-summary``'s model: the reconciled account, top consumers and limit findings as one dict.

The dict is the command's JSON document (README.md, "kmem-summary JSON"); ``report/summary.py``
renders the same dict as text, so both formats always show the same numbers.
"""

from operator import itemgetter

from ..kernel.memory import read_pointer
from ..kernel.release import read_release
from ..leak.owner import zone_pointer_holders
from ..report.text import source_path
from ..access import read_cbytes, safe_text
from ..access.errors import KmemdbgError
from .accounting import (CACHE_ONLY, CATEGORIES, FREE_CPU, FREE_KEG, FREE_ZONE, MALLOC_LARGE,
                         MALLOC_SMALL, OVERHEAD, UMA_OWN, ZONE_ITEMS, kmem_account, malloc_zone_shares)
from .kmemzones import read_malloc_zones
from .limits import limit_findings
from .malloc import malloc_type_stats
from .uma import uma_zone_stats

CATEGORY_KEYS = {MALLOC_SMALL: "malloc_small", MALLOC_LARGE: "malloc_large", ZONE_ITEMS: "zone_items",
                 UMA_OWN: "uma_own", FREE_CPU: "free_cpu", FREE_ZONE: "free_zone",
                 FREE_KEG: "free_keg", OVERHEAD: "overhead", CACHE_ONLY: "cache_only"}


def read_panicstr(target):
    """The panic message of a crash dump, ``None`` when there is none or it cannot be read."""
    try:
        p = read_pointer(target, target.symbol_address("panicstr"), "panicstr")
        # The message often ends in a newline; only the text is shown.
        return safe_text(read_cbytes(target, p, 256).decode("latin-1").rstrip()) if p else None
    except KmemdbgError:
        return None


def limit_rows(target, zones):
    """``limits.limit_findings`` with the globals holding each zone (one symbol-table scan)."""
    found = limit_findings(zones)
    holders = zone_pointer_holders(target, {addr for addr, _ in found}) if found else {}
    for addr, row in found:
        row["owner"] = [{"symbol": h.name, "file": source_path(h.file), "module": h.module}
                        for h in holders.get(addr, [])]
    return [row for _, row in found]


def _largest_first(parts):
    """``{name: bytes}`` items by bytes, largest first, then by name: two stable sorts on C
    keys (a tuple key per item cost more than the rest of the summary)."""
    return sorted(sorted(parts.items(), key=itemgetter(0)), key=itemgetter(1), reverse=True)


def build_summary(target, top, zones=None, mtypes=None, parts=True):
    """Walk the target once; :param top: how many top zones and malloc types to list.

    ``zones`` (``uma_zone_stats``) and ``mtypes`` (``malloc_type_stats``) are walked here unless the
    caller (a snapshot) already has them.

    :param parts: list what each category is made of (``parts``: every zone and keg, sorted,
        for the JSON, the bars and the report); the table does not show it."""
    zones = zones or uma_zone_stats(target)
    mtypes = mtypes or malloc_type_stats(target)
    malloc_zones = read_malloc_zones(target)
    acct = kmem_account(target, zones, mtypes, malloc_zones)
    rel = read_release(target)
    by_zone, by_size, by_name = [], mtypes.by_size, {}
    for z in zones.zones:
        by_name.setdefault(z.name, []).append(z)
    for mz in malloc_zones:
        # every zone of that size: MALLOC_DEBUG_MAXZONES kernels have several of the same name
        same = by_name.get(mz["name"])
        if not same:
            continue
        bit_types = by_size.get(mz["size"], ())
        zone_bytes = sum(z.used or 0 for z in same) * mz["size"]
        by_zone.append({"zone": mz["name"], "size": mz["size"], "zones": len(same),
                        "bytes": zone_bytes, "types": [m.name for m in bit_types],
                        "attributed": [{"type": n, "bytes": b} for n, b in
                                       malloc_zone_shares(zone_bytes, mz["size"], bit_types)]})
    top_zones = sorted(zones.zones, key=lambda z: -(z.total or 0))[:top]     # by footprint
    by_use = mtypes.by_use
    top_types = by_use[:top]
    malloc_total = sum(m.memory_use or 0 for m in mtypes.types)
    return {
        "kernel": {"version": rel.version, "osreldate": rel.osreldate,
                   "panicstr": read_panicstr(target), "cpus": zones.cpus.ncpus,
                   "mp_maxid": zones.cpus.maxid, "domains": zones.ndomains},
        "kmem": {"limit": acct.kmem_limit, "limit_source": acct.kmem_limit_source,
                 "in_use": acct.kmem_in_use, "in_use_source": acct.kmem_in_use_source},
        "categories": [{"key": CATEGORY_KEYS[c], "name": c, "bytes": acct.categories[c]}
                       for c in CATEGORIES],
        "parts": {CATEGORY_KEYS[c]: [{"name": n, "bytes": b}
                                     for n, b in _largest_first(acct.parts.get(c, {}))]
                  for c in CATEGORIES} if parts else {},
        "accounted": acct.accounted, "remainder": acct.remainder, "unreadable": acct.unreadable,
        "malloc": {"total": malloc_total, "small": acct.categories[MALLOC_SMALL],
                   "large": acct.categories[MALLOC_LARGE], "by_zone": by_zone,
                   "large_only": [{"type": m.name, "bytes": m.memory_use}
                                  for m in by_use
                                  if m.sizes is not None and not m.sizes and m.memory_use]},
        "top_zones": [{"name": z.name, "bytes": (z.used or 0) * (z.size or 0), "total": z.total,
                       "used": z.used, "size": z.size} for z in top_zones],
        "top_malloc_types": [{"type": m.name, "bytes": m.memory_use, "in-use": m.in_use}
                             for m in top_types],
        "limits": limit_rows(target, zones.zones),
        "warnings": acct.warnings,
    }
