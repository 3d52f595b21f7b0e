"""Growth over a series of snapshots: the top growers' bytes at every snapshot, for a line chart
(``kmem-report``) or a sparkline (``kmem-watch``).

The ranking is ``kmem-diff``'s between the first and the last snapshot (a malloc zone ranks only on
growth its malloc types do not explain, so one leak is drawn once), culprits are the rows above the
threshold; the series then follows each grower through every snapshot in between.
"""

from .diff import MALLOC, auto_threshold, culprits, diff
from .snapshot import elapsed_seconds


def row_bytes(snap, kind, name):
    """Bytes in use of the first zone or malloc type named ``name`` in ``snap`` (0 if absent)."""
    if kind == MALLOC:
        row = next((m for m in snap["malloc_types"] if m["type"] == name), None)
        return (row or {}).get("memory-use") or 0
    row = next((z for z in snap["zones"] if z["name"] == name), None)
    return ((row or {}).get("used") or 0) * ((row or {}).get("size") or 0)


def time_axis(snaps):
    """Seconds since the first snapshot by the kernel's clock, or None when one step is unknown."""
    times = [0.0]
    for a, b in zip(snaps, snaps[1:]):
        step = elapsed_seconds(a, b)
        if step is None:
            return None
        times.append(times[-1] + step)
    return times


def growth_series(snaps, top=8, threshold=None):
    """The ``top`` growers (by ranked growth, first to last snapshot) with their bytes in each.

    :param threshold: culprit growth in bytes; None: ``auto_threshold`` of the last snapshot.
    :return: ``{"seconds": [...] or None, "threshold", "warnings", "rows": [{"kind", "name",
             "values", "growth", "rank_bytes", "culprit", "explained_by", "growth_row"}]}``
             (``growth_row`` is the ``diff.Growth``, for owner look-ups).
    """
    first, last = snaps[0], snaps[-1]
    if threshold is None:
        threshold = auto_threshold(last)
    d = diff(first, last)
    hot = {id(g) for g in culprits(d, threshold)}
    rows = [g for g in d.rows if g.rank_bytes > 0][:top]
    return {"seconds": time_axis(snaps), "threshold": threshold, "warnings": d.warnings,
            "rows": [{"kind": g.kind, "name": g.name, "values": [row_bytes(s, g.kind, g.name)
                                                                 for s in snaps],
                      "growth": g.bytes, "rank_bytes": g.rank_bytes, "culprit": id(g) in hot,
                      "explained_by": g.explained_by, "growth_row": g} for g in rows]}


def series_with_owners(snaps, top, threshold, owners_of=None):
    """``growth_series`` with an ``owner`` string on every row where one is known, or None for a
    single snapshot.

    :param owners_of: ``owners_of(growth_rows) -> {id(row): "owner text"}`` when a target can
                      name the culprits' owners; otherwise the malloc type owners the last
                      snapshot recorded (``owners``) are used.
    """
    if len(snaps) < 2:
        return None
    growth = growth_series(snaps, top, threshold)
    hot = [r["growth_row"] for r in growth["rows"] if r["culprit"]]
    owners = owners_of(hot) if owners_of and hot else {}
    recorded = snaps[-1].get("owners", {}).get("malloc", {})
    for r in growth["rows"]:
        r["owner"] = owners.get(id(r["growth_row"])) or \
            (recorded.get(r["name"]) if r["kind"] == MALLOC else None)
    return growth
