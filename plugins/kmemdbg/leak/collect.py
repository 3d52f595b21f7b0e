"""Take a snapshot of a target: every zone (true counts, where free items sit), every malloc type,
the kernel's identity and its clock."""

import datetime

from ..alloc.kmemzones import read_malloc_zones
from ..alloc.malloc import malloc_type_stats
from ..alloc.rows import row_issues
from ..alloc.uma import uma_zone_stats
from ..kernel.memory import read_symbol_int_or_none
from ..kernel.release import read_release
from . import snapshot


def read_clock(target):
    """``ticks``, ``hz`` and ``time_uptime`` (seconds since boot) where the kernel has them."""
    return {"ticks": read_symbol_int_or_none(target, "ticks"), "hz": read_symbol_int_or_none(target, "hz"),
            "uptime": read_symbol_int_or_none(target, "time_uptime")}


def zone_row(z):
    return {"name": z.name, "size": z.size, "limit": z.limit, "used": z.used, "free": z.free,
            "requests": z.requests, "fail": z.fail, "sleep": z.sleep, "xdomain": z.xdomain,
            "free-cpu": z.free_cpu, "free-zone": z.free_zone, "free-keg": z.free_keg}


def mtype_row(m):
    return {"type": m.name, "in-use": m.in_use, "memory-use": m.memory_use,
            "requests": m.requests, "size": None if m.sizes is None else list(m.sizes)}


def take_snapshot(target, now=None):
    """Walk the target once and return ``(snapshot dict, warnings)``."""
    zones = uma_zone_stats(target)
    mtypes = malloc_type_stats(target)
    rel = read_release(target)
    identity = {"version": rel.version, "osreldate": rel.osreldate,
                "build_id": getattr(target, "build_id", None), "description": target.description}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    snap = snapshot.make_snapshot(identity, read_clock(target),
                                  [zone_row(z) for z in reversed(zones.zones)],
                                  [mtype_row(m) for m in reversed(mtypes.types)],
                                  read_malloc_zones(target), now.isoformat(timespec="seconds"))
    return snap, (list(zones.warnings) + list(mtypes.warnings) + row_issues(zones.zones)
                  + row_issues(mtypes.types))

