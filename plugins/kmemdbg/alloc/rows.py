"""Per-row damage: which failures spoil one zone or malloc type row, and how they are reported.

A walk keeps going past a row it cannot read fully: the row's unreadable cells are ``None`` and
its ``issues`` say why.  Anything else (a missing type or symbol) is fatal to the walk.
"""

from ..access.errors import CorruptionError, MemoryFault

ROW_ERRORS = (MemoryFault, CorruptionError)


def row_issues(rows):
    """``name: issue`` for every issue of every row (``ZoneStats`` or ``MallocTypeStats``)."""
    return [f"{r.name}: {issue}" for r in rows for issue in r.issues]
