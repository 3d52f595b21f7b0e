"""Take a snapshot of a target: every zone (true counts, where free items sit), every malloc type,
the kernel's identity and its clock; for kmem-report also kmem-summary's dict and the owners of the
top malloc types."""

import datetime

from ..alloc.kmemzones import read_malloc_zones
from ..alloc.malloc import malloc_type_stats
from ..alloc.rows import row_issues
from ..alloc.summary import build_summary
from ..alloc.uma import uma_zone_stats
from ..kernel.memory import read_symbol_int_or_none
from ..kernel.release import read_release
from . import snapshot
from .owner import malloc_type_owner

SUMMARY_TOP = 20     # top zones and malloc types (and their owners) a snapshot's summary lists


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


def take_snapshot(target, now=None, with_summary=False):
    """Walk the target once and return ``(snapshot dict, warnings)``.

    :param with_summary: add ``summary`` (kmem-summary's dict, from the same walk) and ``owners``
                         (who defines each top malloc type), so that a report made from the file
                         alone can draw where kmem went and name a leaking type's owner.
    """
    zones = uma_zone_stats(target)
    mtypes = malloc_type_stats(target)
    rel = read_release(target)
    identity = {"version": rel.version, "osreldate": rel.osreldate,
                "build_id": getattr(target, "build_id", None), "description": target.description,
                "arch": f"{target.pointer_size * 8}-bit {target.byteorder}-endian"}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    snap = snapshot.make_snapshot(identity, read_clock(target),
                                  [zone_row(z) for z in reversed(zones.zones)],
                                  [mtype_row(m) for m in reversed(mtypes.types)],
                                  read_malloc_zones(target), now.isoformat(timespec="seconds"))
    if with_summary:
        snap["summary"] = build_summary(target, SUMMARY_TOP, zones, mtypes)
        top = [m for m in mtypes.by_use if m.memory_use][:SUMMARY_TOP]
        snap["owners"] = {"malloc": {m.name: malloc_type_owner(target, m).short() for m in top}}
    return snap, (list(zones.warnings) + list(mtypes.warnings) + row_issues(zones.zones)
                  + row_issues(mtypes.types))

