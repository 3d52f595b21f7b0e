"""``kmem-summary``: where the kernel's memory went, and which zones hit their limits."""

import json

from ..alloc.accounting import (CACHE_ONLY, CATEGORIES, FREE_CPU, FREE_KEG, FREE_ZONE, MALLOC_LARGE,
                                MALLOC_SMALL, OVERHEAD, UMA_OWN, ZONE_ITEMS, BUCKET_ZONE, kmem_account)
from ..alloc.kmemzones import read_malloc_zones
from ..alloc.malloc import malloc_type_stats
from ..alloc.uma import uma_zone_stats
from ..kernel.memory import read_pointer
from ..kernel.release import read_release
from ..leak.owner import source_path, zone_pointer_holders
from ..report.text import human_bytes, render_rows
from ..target import read_cstring
from ..target.errors import KmemdbgError
from .common import run_target
from .registry import FAILED, OK, CommandSpec, KmemArgumentParser, command

CATEGORY_KEYS = {MALLOC_SMALL: "malloc_small", MALLOC_LARGE: "malloc_large", ZONE_ITEMS: "zone_items",
                 UMA_OWN: "uma_own", FREE_CPU: "free_cpu", FREE_ZONE: "free_zone",
                 FREE_KEG: "free_keg", OVERHEAD: "overhead", CACHE_ONLY: "cache_only"}

# The tunable (loader.conf / sysctl) that sets a zone's limit, where FreeBSD's sources name one.
TUNABLES = {
    "mbuf": "kern.ipc.nmbufs", "mbuf_cluster": "kern.ipc.nmbclusters",
    "mbuf_jumbo_page": "kern.ipc.nmbjumbop", "mbuf_jumbo_9k": "kern.ipc.nmbjumbo9",
    "mbuf_jumbo_16k": "kern.ipc.nmbjumbo16", "NetGraph items": "net.graph.maxalloc",
    "NetGraph data items": "net.graph.maxdata", "socket": "kern.ipc.maxsockets",
    "tcpcb": "kern.ipc.maxsockets", "tcp_inpcb": "kern.ipc.maxsockets",
    "udp_inpcb": "kern.ipc.maxsockets", "udpcb": "kern.ipc.maxsockets",
    "unpcb": "kern.ipc.maxsockets", "tcptw": "net.inet.tcp.maxtcptw",
    "syncache": "net.inet.tcp.syncache.cachelimit", "tcpreass": "net.inet.tcp.reass.maxsegments",
    "sackhole": "net.inet.tcp.sack.globalmaxholes", "hostcache": "net.inet.tcp.hostcache.cachelimit",
    "ipq": "net.inet.ip.maxfragpackets", "swblk": "kern.maxswzone", "swpctrie": "kern.maxswzone",
}
NEAR_LIMIT = 0.9

DESCRIPTION = """\
One reconciled account of kernel memory in the core or live kernel: the kmem limit and what is in
use as the kernel accounts it; malloc(9) split into small (zone-backed) and large; UMA split into
items in use (malloc zones counted once, UMA's own structures, other zones), free items by where
they sit (per-CPU buckets, bucket caches, keg slabs) and slab/page overhead; the top consumers;
then zones at or near their limit and zones with failures or sleeps, with the global holding the
zone and the tunable that sets its limit.  The last line sets the parts against the kmem total and
states any unexplained remainder."""


def make_parser():
    p = KmemArgumentParser(prog="kmem-summary", description=DESCRIPTION,
                           epilog="JSON schema: README.md, \"kmem-summary JSON\".")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--top", metavar="N", type=int, default=10, help="top consumers to list")
    return p


def _panicstr(target):
    try:
        p = read_pointer(target, target.symbol_address("panicstr"), "panicstr")
        return read_cstring(target, p, 256) if p else None
    except KmemdbgError:
        return None


def limit_rows(target, zones):
    """Zones at or near their limit, or with failures or sleeps, worst first, with the globals
    holding each (one symbol-table scan for all of them)."""
    rows, flagged = [], []
    for z in zones:
        reasons = []
        fill = (z.used or 0) / z.limit if z.limit else None
        if fill is not None and fill >= NEAR_LIMIT:
            reasons.append("at limit" if fill >= 1 or (z.used or 0) + (z.free or 0) >= z.limit
                           else f"{fill:.0%} of limit")
        if z.fail:
            reasons.append("bucket allocations fail" if BUCKET_ZONE.match(z.name) else "failures")
        if z.sleep:
            reasons.append("sleeps")
        if not reasons:
            continue
        flagged.append(z.address)
        rows.append({"zone": z.name, "size": z.size, "limit": z.limit, "used": z.used, "free": z.free,
                     "fail": z.fail, "sleep": z.sleep, "fill": None if fill is None else round(fill, 4),
                     "reasons": reasons, "tunable": TUNABLES.get(z.name) if z.limit else None})
    holders = zone_pointer_holders(target, set(flagged)) if flagged else {}
    for row, addr in zip(rows, flagged):
        row["owner"] = [{"symbol": h.name, "file": source_path(h.file), "module": h.module}
                        for h in holders.get(addr, [])]
    rows.sort(key=lambda r: (-(r["fail"] or 0), -(r["sleep"] or 0), -(r["fill"] or 0), r["zone"]))
    return rows


def build_summary(target, top):
    zones = uma_zone_stats(target)
    mtypes = malloc_type_stats(target)
    malloc_zones = read_malloc_zones(target)
    acct = kmem_account(target, zones, mtypes, malloc_zones)
    rel = read_release(target)
    by_zone = []
    for mz in malloc_zones:
        z = next((z for z in zones.zones if z.name == mz["name"]), None)
        if z is None:
            continue
        bit_types = sorted((m for m in mtypes.types if m.sizes and mz["size"] in m.sizes),
                           key=lambda m: -(m.memory_use or 0))
        by_zone.append({"zone": mz["name"], "size": mz["size"], "bytes": (z.used or 0) * mz["size"],
                        "types": [m.name for m in bit_types]})
    top_zones = sorted(zones.zones, key=lambda z: -((z.used or 0) * (z.size or 0)))[:top]
    top_types = sorted(mtypes.types, key=lambda m: -(m.memory_use or 0))[:top]
    malloc_total = sum(m.memory_use or 0 for m in mtypes.types)
    return {
        "kernel": {"version": rel.version, "osreldate": rel.osreldate, "panicstr": _panicstr(target),
                   "cpus": zones.cpus.ncpus, "mp_maxid": zones.cpus.maxid, "domains": zones.ndomains},
        "kmem": {"limit": acct.kmem_limit, "limit_source": acct.kmem_limit_source,
                 "in_use": acct.kmem_in_use, "in_use_source": acct.kmem_in_use_source},
        "categories": [{"key": CATEGORY_KEYS[c], "name": c, "bytes": acct.categories[c]}
                       for c in CATEGORIES],
        "accounted": acct.accounted, "remainder": acct.remainder,
        "malloc": {"total": malloc_total, "small": acct.categories[MALLOC_SMALL],
                   "large": acct.categories[MALLOC_LARGE], "by_zone": by_zone},
        "top_zones": [{"name": z.name, "bytes": (z.used or 0) * (z.size or 0), "used": z.used,
                       "size": z.size} for z in top_zones],
        "top_malloc_types": [{"type": m.name, "bytes": m.memory_use, "in-use": m.in_use}
                             for m in top_types],
        "limits": limit_rows(target, zones.zones),
        "warnings": acct.warnings,
    }


def _n(value):
    return "?" if value is None else str(value)


def render_text(s):
    k, out = s["kernel"], []
    out.append(f"{k['version'] or 'unknown kernel'} (osreldate {k['osreldate']})")
    if k["panicstr"]:
        out.append(f"panic: {k['panicstr']}")
    out.append(f"{k['cpus']} CPUs (mp_maxid {k['mp_maxid']}), {k['domains']} memory domain(s)\n")
    km = s["kmem"]
    out.append(f"kmem limit   {human_bytes(km['limit']):>8}  ({km['limit_source'] or 'unknown'})")
    out.append(f"kmem in use  {human_bytes(km['in_use']):>8}  ({km['in_use_source'] or 'unknown'})\n")
    rows = [[c["name"], human_bytes(c["bytes"]), str(c["bytes"])] for c in s["categories"]]
    rows.append(["accounted", human_bytes(s["accounted"]), str(s["accounted"])])
    out.append(render_rows(rows, ["WHERE IT WENT", "", "BYTES"], numeric=[1, 2]))
    if s["remainder"] is None:
        out.append("kmem in use unknown: nothing to reconcile against")
    elif s["remainder"] == 0:
        out.append(f"reconciled: the parts add up to {km['in_use_source']} exactly")
    else:
        out.append(f"unexplained remainder: {human_bytes(s['remainder'])} ({s['remainder']} bytes) of "
                   f"{km['in_use_source']} not accounted for by the parts above")
    m = s["malloc"]
    out.append(f"\nmalloc(9): {human_bytes(m['total'])} in use = {human_bytes(m['small'])} in malloc "
               f"zones + {human_bytes(m['large'])} large")
    out.append(render_rows([[z["zone"], human_bytes(z["bytes"]), ", ".join(z["types"][:6])]
                            for z in m["by_zone"] if z["bytes"]],
                           ["MALLOC ZONE", "IN USE", "TYPES OF THAT SIZE (largest first)"], numeric=[1]))
    out.append(render_rows([[z["name"], human_bytes(z["bytes"]), _n(z["used"])] for z in s["top_zones"]],
                           ["TOP ZONES", "IN USE", "ITEMS"], numeric=[1, 2]))
    out.append(render_rows([[t["type"], human_bytes(t["bytes"]), _n(t["in-use"])]
                            for t in s["top_malloc_types"]],
                           ["TOP MALLOC TYPES", "IN USE", "ALLOCS"], numeric=[1, 2]))
    lim = [[r["zone"], _n(r["used"]), str(r["limit"] or "-"), _n(r["fail"]),
            "-" if r["sleep"] is None else str(r["sleep"]), ", ".join(r["reasons"]),
            ", ".join(o["symbol"] for o in r["owner"]) or "?", r["tunable"] or ""] for r in s["limits"]]
    out.append("LIMITS AND FAILURES")
    out.append(render_rows(lim, ["ZONE", "USED", "LIMIT", "FAIL", "SLEEP", "WHY", "HELD BY", "TUNABLE"],
                           numeric=[1, 2, 3, 4]))
    out.extend(f"kmemdbg: warning: {w}" for w in s["warnings"])
    return "\n".join(out) + "\n"


def run_kmem_summary(target, args, out):
    s = build_summary(run_target(target), args.top)
    if args.format == "json":
        out.write(json.dumps({"kmem-summary": s}, indent=2) + "\n")
    else:
        out.write(render_text(s))
    return FAILED if s["warnings"] else OK


KMEM_SUMMARY = command(CommandSpec("kmem-summary", "where kernel memory went; zones at their limits",
                                   make_parser, run_kmem_summary))
