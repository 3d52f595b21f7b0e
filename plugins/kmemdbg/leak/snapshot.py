"""Snapshots: the zones and malloc types of one target at one moment, as versioned JSON.

A snapshot holds the true counts (with where free items sit) so two of them, taken from two cores
of one kernel or from a live kernel minutes apart, can be diffed without the target.  The format
is documented in README.md ("Snapshot format"); ``SCHEMA`` is bumped on incompatible changes and
``load`` refuses files it does not know, with one line saying why.  Optional keys added later
(``summary``: kmem-summary's reconciliation, for ``kmem-report``; ``owners``: who defines the top
malloc types) keep the schema: older readers
ignore them and readers of them accept files without.
"""

import json

from ..access import safe_text
from ..access.errors import KmemdbgError

FORMAT = "kmemdbg-snapshot"
SCHEMA = 1

ZONE_KEYS = ("name", "size", "limit", "used", "free", "requests", "fail", "sleep", "xdomain",
             "free-cpu", "free-zone", "free-keg")
MTYPE_KEYS = ("type", "in-use", "memory-use", "requests", "size")
SUMMARY_KEYS = ("kernel", "kmem", "categories", "accounted", "remainder", "top_zones",
                "top_malloc_types", "limits")


class SnapshotError(KmemdbgError):
    """A snapshot file that cannot be used (missing, truncated, foreign, newer schema)."""


def make_snapshot(identity, clock, zones, mtypes, malloc_zones, taken_at):
    """Assemble a snapshot dict.

    :param identity: ``{"version", "osreldate", "build_id", "description", "arch"}`` of the target.
    :param clock: ``{"ticks", "hz", "uptime"}`` as the kernel keeps them (values may be None).
    :param zones: rows with exactly ``ZONE_KEYS`` (the ``--where`` view), kept as they are.
    :param mtypes: rows with exactly ``MTYPE_KEYS`` (every type, including unused ones).
    :param malloc_zones: ``[{"name", "size"}]`` of the malloc(9) backing zones (kmemzones).
    :param taken_at: wall-clock time of the snapshot, ISO 8601.
    """
    return {
        "format": FORMAT,
        "schema": SCHEMA,
        "target": dict(identity),
        "time": dict(clock, taken_at=taken_at),
        "zones": list(zones),
        "malloc_types": list(mtypes),
        "malloc_zones": list(malloc_zones),
    }


def save(snapshot, path):
    with open(path, "w") as f:
        # json.dumps without indent runs the C encoder (json.dump and indent= do not); a
        # snapshot is a tree, so the check for cycles (an id per dict and list) is skipped.
        f.write(json.dumps(snapshot, sort_keys=True, separators=(",", ":"),
                           check_circular=False))
        f.write("\n")


def load(path):
    """Read and validate a snapshot file.

    :raises SnapshotError: one line naming the file and what is wrong with it.
    """
    try:
        with open(path) as f:
            snap = json.load(f)
    except OSError as e:
        raise SnapshotError(f"cannot read snapshot {path}: {e.strerror}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise SnapshotError(f"{path} is not a kmemdbg snapshot (bad or truncated JSON: {e})") from None
    if not isinstance(snap, dict) or snap.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not a kmemdbg snapshot (no \"format\": \"{FORMAT}\")")
    if snap.get("schema") != SCHEMA:
        raise SnapshotError(f"{path} has snapshot schema {snap.get('schema')!r}; "
                            f"this kmemdbg reads schema {SCHEMA}")
    for key, row_keys, name in (("zones", ZONE_KEYS, "name"), ("malloc_types", MTYPE_KEYS, "type")):
        rows = snap.get(key)
        if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get(name), str)
                                                  for r in rows):
            raise SnapshotError(f"{path}: \"{key}\" is missing or malformed")
        for r in rows:
            r[name] = safe_text(r[name])      # a hand-edited file is printed like a dump
            for k in row_keys:
                v = r.get(k)
                if k not in (name, "size") and v is not None and not isinstance(v, int):
                    raise SnapshotError(f"{path}: {key} row {r[name]!r} has a non-integer {k!r}")
    for key in ("target", "time"):
        if not isinstance(snap.get(key), dict):
            raise SnapshotError(f"{path}: \"{key}\" is missing or malformed")
    summary = snap.get("summary")
    if summary is not None and not (isinstance(summary, dict) and
                                    all(k in summary for k in SUMMARY_KEYS)):
        raise SnapshotError(f"{path}: \"summary\" is malformed")
    if not isinstance(snap.get("owners", {}), dict):
        raise SnapshotError(f"{path}: \"owners\" is malformed")
    snap["target"] = {k: safe_text(v) if isinstance(v, str) else v
                      for k, v in snap["target"].items()}
    snap.setdefault("malloc_zones", [])
    return snap


def elapsed_seconds(old, new):
    """Seconds between two snapshots by the kernel's own clock, or None when unknown.

    ``ticks`` wraps (a 32-bit int) and needs ``hz``; ``time_uptime`` does not, so it wins.
    """
    a, b = old["time"], new["time"]
    if a.get("uptime") is not None and b.get("uptime") is not None and b["uptime"] > a["uptime"]:
        return b["uptime"] - a["uptime"]
    if a.get("ticks") is not None and b.get("ticks") is not None and b.get("hz"):
        dt = (b["ticks"] - a["ticks"]) % (1 << 32)
        return dt / b["hz"] if dt else None
    return None
