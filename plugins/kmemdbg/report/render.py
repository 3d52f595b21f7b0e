"""Renderers shared by both commands: ``table`` (tabulate), ``json`` and ``csv``.

``json`` prints exactly vmstat's libxo container (``memory-zone-statistics``/``zone`` or
``malloc-statistics``/``memory``) and, only when something could not be read, a top-level
``warnings`` list; numbers are raw (bytes for ``memory-use``), unknown values ``null``.
"""

import csv
import io
import json

from .columns import column_cells
from .text import render_columns

FORMATS = ("table", "vmstat", "ddb", "json", "csv")
CONTAINERS = {"zone": ("memory-zone-statistics", "zone"), "memory": ("malloc-statistics", "memory")}


def render_json(rows, columns, kind, warnings=(), notes=()):
    """:param kind: ``zone`` or ``memory``."""
    outer, inner = CONTAINERS[kind]
    doc = {outer: {inner: [{c.key: c.get(r) for c in columns} for r in rows]}}
    if warnings:
        doc["warnings"] = list(warnings)
    if notes:
        doc["notes"] = list(notes)
    return json.dumps(doc, indent=2) + "\n"


def render_csv(rows, columns):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c.key for c in columns])
    for r in rows:
        values = [c.get(r) for c in columns]
        w.writerow(["" if v is None else ",".join(map(str, v)) if isinstance(v, list) else v
                    for v in values])
    return buf.getvalue()


def render_table(rows, columns):
    cols = [c for c in columns if c.in_table]
    return render_columns([column_cells(c, rows) for c in cols], [c.header for c in cols],
                          numeric=[i for i, c in enumerate(cols) if c.numeric], count=len(rows))
