"""``kmem-diff`` and ``kmem-watch`` output: the growth table and the JSON row of a ``Growth``."""

from .text import human_bytes, render_rows


def owner_json(o):
    """The owner of a growth row in JSON (the first symbol saying where its code lives)."""
    if o is None:
        return None
    sym = o.symbol or (o.holders[0] if o.holders else None)
    return {"symbol": sym.name if sym else None, "file": o.file, "line": sym.line if sym else None,
            "subsystem": o.subsystem, "module": o.module}


def growth_json(g, culprit, owner):
    return {"kind": g.kind, "name": g.name, "bytes": g.bytes, "items": g.items,
            "old-bytes": g.old_bytes, "new-bytes": g.new_bytes, "ranked-bytes": g.rank_bytes,
            "rate": g.rate, "culprit": culprit,
            "explained-by": [{"type": t, "bytes": b} for t, b in g.explained_by],
            "owner": owner_json(owner)}


def growth_table(d, rows, hot, owners, threshold, wide=False):
    """:param hot: ``id()`` of the culprit rows (KIND starts with ``*``); ``owners``:
    ``id(row)`` -> ``Owner``; ``wide``: owners with their source file (past 80 columns)."""
    head = (f"growth over {d.seconds:g} s" if d.seconds else "growth (time unknown)") + \
        f"; culprit threshold {human_bytes(threshold)}\n"
    table = []
    for g in rows:
        note = ""
        if id(g) in owners:
            o = owners[id(g)]
            note = o.short() if wide else " ".join(x for x in (o.who(), o.module) if x)
        if g.explained_by:
            note = "by " + ", ".join(f"{t} {human_bytes(b)}" for t, b in g.explained_by[:3])
        table.append([("*" if id(g) in hot else " ") + g.kind, g.name,
                      human_bytes(g.bytes, signed=True), f"{g.items:+d}", human_bytes(g.new_bytes),
                      "" if g.rate is None else human_bytes(g.rate, signed=True) + "/s", note])
    return head + render_rows(table, [" KIND", "NAME", "GROWTH", "ITEMS", "NOW", "RATE",
                                      "OWNER / BY"], numeric=[2, 3, 4, 5])
