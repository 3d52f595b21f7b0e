"""Diff two snapshots: what grew, by how much, how fast, and which malloc types explain it.

malloc(9) memory shows twice: once per malloc type (vmstat -m) and once in the backing zone of
each size ("128" / "malloc-128", vmstat -z).  Ranking both would double count, so a malloc zone is
ranked by the growth its malloc types do not explain; the types themselves carry the growth, and
the zone row names the types that grew with it.  A type served by several sizes could have grown
in any of them, so each of its zones is credited with all of its growth: a malloc zone then
ranks only on growth no malloc type can account for.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .snapshot import elapsed_seconds

ZONE, MALLOC, MALLOC_ZONE = "zone", "malloc", "malloc-zone"


@dataclass
class Growth:
    """One zone or malloc type that changed between two snapshots.

    ``bytes``/``items`` are the growth (new - old, negative when it shrank); ``rank_bytes`` is
    what the ranking uses (for a malloc zone, the part no malloc type explains).
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


def diff(old, new) -> Diff:
    """Compare two loaded snapshots (``snapshot.load`` or ``make_snapshot`` dicts)."""
    warnings = []
    ta, tb = old["target"], new["target"]
    for key in ("build_id", "version"):
        if ta.get(key) and tb.get(key) and ta[key] != tb[key]:
            warnings.append(f"the snapshots come from different kernels ({key} differs: "
                            f"{ta[key]!r} vs {tb[key]!r})")
            break
    seconds = elapsed_seconds(old, new)
    if seconds is None:
        warnings.append("no kernel clock in one snapshot (or it did not advance): rates not shown")

    rows = []
    old_m, new_m = _keyed(old["malloc_types"], "type"), _keyed(new["malloc_types"], "type")
    for key in sorted(set(old_m) | set(new_m)):
        a, b = old_m.get(key, {}), new_m.get(key, {})
        ob, nb = a.get("memory-use") or 0, b.get("memory-use") or 0
        items = (b.get("in-use") or 0) - (a.get("in-use") or 0)
        if nb != ob or items:
            rows.append(Growth(MALLOC, key[0], nb - ob, items, ob, nb, nb - ob))

    malloc_sizes = {z["name"]: z["size"] for z in new.get("malloc_zones", [])}
    old_z, new_z = _keyed(old["zones"], "name"), _keyed(new["zones"], "name")
    for key in sorted(set(old_z) | set(new_z)):
        a, b = old_z.get(key, {}), new_z.get(key, {})
        ob, nb = _zone_bytes(a), _zone_bytes(b)
        items = (b.get("used") or 0) - (a.get("used") or 0)
        if nb == ob and not items:
            continue
        g = Growth(ZONE, key[0], nb - ob, items, ob, nb, nb - ob)
        size = malloc_sizes.get(key[0])
        if size is not None:
            g.kind = MALLOC_ZONE
            g.explained_by = sorted(
                ((m.name, m.bytes) for m in rows
                 if m.kind == MALLOC and m.bytes > 0 and size in _sizes_of(new_m, m.name)),
                key=lambda t: (-t[1], t[0]))
            g.rank_bytes = max(0, g.bytes - sum(b_ for _, b_ in g.explained_by))
        rows.append(g)

    if seconds:
        for g in rows:
            g.rate = g.bytes / seconds
    rows.sort(key=lambda g: (-g.rank_bytes, g.kind != MALLOC, g.name))
    return Diff(rows, seconds, warnings)


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
