"""Diff two snapshots: what grew, by how much, how fast, and which malloc types explain it.

malloc(9) memory shows twice: once per malloc type (vmstat -m) and once in the backing zone of
each size ("128" / "malloc-128", vmstat -z).  Both rows are shown, side by side: a malloc zone
ranks by its own growth, and right before it come the malloc types that explain that growth.
A type's growth is credited only to zones of sizes it used, never more than a zone grew, and
never twice (largest zone first); only the part of a zone's growth no type explains can make
the zone a culprit, so one leak is not counted twice.

Snapshots of different releases or architectures are refused (``ForeignSnapshots``): their
zones and types are not the same things, and their differences are not growth.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from ..access.errors import KmemdbgError
from .snapshot import elapsed_seconds

ZONE, MALLOC, MALLOC_ZONE = "zone", "malloc", "malloc-zone"


@dataclass
class Growth:
    """One zone or malloc type that changed between two snapshots.

    ``bytes``/``items`` are the growth (new - old, negative when it shrank); ``rank_bytes`` is
    the growth judged against the culprit threshold (for a malloc zone, the part no malloc type
    explains); ``explained_by`` the (type, bytes) credited to a malloc zone.
    """

    kind: str
    name: str
    bytes: int
    items: int
    old_bytes: int
    new_bytes: int
    rank_bytes: int
    rate: Optional[float] = None              # bytes per second, when both times are known
    explained_by: List[Tuple[str, int]] = field(default_factory=list)
    owner: Optional[str] = None


@dataclass
class Diff:
    rows: List[Growth]
    seconds: Optional[float]
    warnings: List[str]


def _keyed(rows, name_key):
    """Rows by (name, occurrence): zone names can repeat (one per domain or pool)."""
    seen, out = {}, {}
    for r in rows:
        n = r[name_key]
        i = seen.get(n, 0)
        seen[n] = i + 1
        out[(n, i)] = r
    return out


def _zone_bytes(z):
    return (z.get("used") or 0) * (z.get("size") or 0)


class ForeignSnapshots(KmemdbgError):
    """The two snapshots come from different releases or architectures."""


def release_of(target):
    """``osreldate`` when known, else the version's first words (``FreeBSD 13.2-RELEASE``)."""
    if target.get("osreldate"):
        return target["osreldate"]
    return " ".join((target.get("version") or "").split()[:2]) or None


def _describe(target):
    text = target.get("version") or "unknown version"
    if target.get("osreldate"):
        text += f" (osreldate {target['osreldate']})"
    return text + (f", {target['arch']}" if target.get("arch") else "")


def check_same_kernel(ta, tb, allow_foreign=False):
    """Refuse snapshots of different releases or architectures; a different build of the same
    release is a warning (returned)."""
    fields = [k for k, f in (("release", release_of), ("architecture", lambda t: t.get("arch")))
              if f(ta) and f(tb) and f(ta) != f(tb)]
    if fields and not allow_foreign:
        raise ForeignSnapshots(f"the snapshots come from different kernels ({' and '.join(fields)}"
                               f" differ): OLD {_describe(ta)}; NEW {_describe(tb)} "
                               "(--any-kernel compares them anyway)")
    if not fields:                         # the same release: another build of it?
        fields = [k for k in ("build_id", "version")
                  if ta.get(k) and tb.get(k) and ta[k] != tb[k]][:1]
    if not fields:
        return []
    return [f"the snapshots come from different kernels ({' and '.join(fields)} differs: "
            f"{_describe(ta)} vs {_describe(tb)})"]


def diff(old, new, allow_foreign=False) -> Diff:
    """Compare two loaded snapshots (``snapshot.load`` or ``make_snapshot`` dicts).

    :raises ForeignSnapshots: different releases or architectures, unless ``allow_foreign``.
    """
    warnings = check_same_kernel(old["target"], new["target"], allow_foreign)
    seconds = elapsed_seconds(old, new)
    if seconds is None:
        warnings.append("no kernel clock in one snapshot (or it did not advance): rates not shown")

    mallocs = []
    old_m, new_m = _keyed(old["malloc_types"], "type"), _keyed(new["malloc_types"], "type")
    for key in sorted(set(old_m) | set(new_m)):
        a, b = old_m.get(key, {}), new_m.get(key, {})
        ob, nb = a.get("memory-use") or 0, b.get("memory-use") or 0
        items = (b.get("in-use") or 0) - (a.get("in-use") or 0)
        if nb != ob or items:
            mallocs.append(Growth(MALLOC, key[0], nb - ob, items, ob, nb, nb - ob))

    malloc_sizes = {z["name"]: z["size"] for z in new.get("malloc_zones", [])}
    zones = []
    old_z, new_z = _keyed(old["zones"], "name"), _keyed(new["zones"], "name")
    for key in sorted(set(old_z) | set(new_z)):
        a, b = old_z.get(key, {}), new_z.get(key, {})
        ob, nb = _zone_bytes(a), _zone_bytes(b)
        items = (b.get("used") or 0) - (a.get("used") or 0)
        if nb == ob and not items:
            continue
        g = Growth(ZONE, key[0], nb - ob, items, ob, nb, nb - ob)
        if key[0] in malloc_sizes:
            g.kind = MALLOC_ZONE
        zones.append(g)

    _explain(zones, mallocs, malloc_sizes, old_m, new_m)
    rows = _grouped(zones, mallocs)
    if seconds:
        for g in rows:
            g.rate = g.bytes / seconds
    return Diff(rows, seconds, warnings)


def _explain(zones, mallocs, malloc_sizes, old_m, new_m):
    """Credit each malloc zone's growth to the grown types of its size (largest zone first,
    largest remaining type first), each type's growth used once and a zone never over-credited."""
    left = {m.name: m.bytes for m in mallocs if m.bytes > 0}
    for z in sorted((z for z in zones if z.kind == MALLOC_ZONE and z.bytes > 0),
                    key=lambda z: (-z.bytes, z.name)):
        size, room = malloc_sizes[z.name], z.bytes
        users = [t for t in left if size in set(_sizes_of(new_m, t)) | set(_sizes_of(old_m, t))]
        for t in sorted(users, key=lambda t: (-left[t], t)):
            take = min(left[t], room)
            if take > 0:
                z.explained_by.append((t, take))
                left[t] -= take
                room -= take
        z.rank_bytes = room


def _grouped(zones, mallocs):
    """Rows in print order: growth first (largest first), then shrinkage (largest first); a
    malloc zone ranks by its growth and is preceded by the types it credits most."""
    home = {}
    for z in zones:
        for t, b in z.explained_by:
            if t not in home or b > home[t][1]:
                home[t] = (z, b)
    groups = [[m] for m in mallocs if m.name not in home]
    for z in zones:
        types = [m for m in mallocs if home.get(m.name, (None,))[0] is z]
        types.sort(key=lambda m: (-home[m.name][1], m.name))
        groups.append(types + [z])

    def key(group):
        lead = max(group, key=lambda g: g.bytes).bytes
        return (lead <= 0, -abs(lead), group[-1].kind == MALLOC_ZONE, group[0].name)
    return [g for group in sorted(groups, key=key) for g in group]


def _sizes_of(keyed, name):
    return keyed.get((name, 0), {}).get("size") or []


def culprits(d: Diff, threshold: int):
    """The rows whose ranked growth exceeds ``threshold`` bytes (the leak candidates)."""
    return [g for g in d.rows if g.rank_bytes > threshold]


MIN_AUTO_THRESHOLD = 64 << 10


def auto_threshold(snap):
    """The default culprit threshold: 1% of the items in use in ``snap``'s zones, at least 64 KiB.

    A fixed number is wrong at both ends: a 4 MB embedded kernel leaking 20 KB a minute dies in
    hours, while a 64 GB server's mbuf caches swing by megabytes between any two samples.
    """
    in_use = sum(_zone_bytes(z) for z in snap["zones"])
    return max(MIN_AUTO_THRESHOLD, in_use // 100)
