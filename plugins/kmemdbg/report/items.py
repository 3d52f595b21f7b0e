"""Text, JSON and CSV renderings of ``kmem-whatis`` and ``uma-items`` answers.

Records carry the keys of ``KEYS`` (the JSON contract; ``alloc.items`` builds records with
them); JSON prints them as they are (integers for addresses and sizes, ``null`` where not
applicable), text spells them out for a person.
"""

import csv
import io
import json

from .text import number, render_rows

KEYS = ("address", "kind", "keg", "zone", "zones", "slab", "item", "index", "offset", "size",
        "rsize", "state", "where", "cpu", "domain", "symbol", "note")

_WHERE_TEXT = {"keg": "in its slab", "cpu-alloc-bucket": "in CPU {cpu}'s alloc bucket",
               "cpu-free-bucket": "in CPU {cpu}'s free bucket",
               "cpu-cross-bucket": "in CPU {cpu}'s cross-domain bucket",
               "zone-cache": "in the bucket cache of zone '{zone}'"}


def _unencodable(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _record_encoder():
    """``encode(record) -> str``, what ``json.dumps(record)`` returns: one C encoder for
    every record where json has its C accelerator (``json.dumps`` makes a new one per call, a
    third of the time of a zone's 64,512 records), else ``json.dumps``."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    encode = make(None, _unencodable, json.encoder.encode_basestring_ascii, None, ": ", ", ",
                  False, False, True)
    return lambda record: "".join(encode(record, 0))


def render_json(command, records, warnings=()):
    """``{command: [records], "warnings": [...]}``, one record per line (json's C encoder: a
    whole zone or 10,000 addresses render in a fraction of a second)."""
    encode = _record_encoder()
    rows = ",\n".join("    " + encode(r) for r in records)
    return (f'{{\n  "{command}": [\n{rows}\n  ],\n  "warnings": {json.dumps(list(warnings))}\n}}\n'
            if records else f'{{"{command}": [], "warnings": {json.dumps(list(warnings))}}}\n')


def _type_name(name):
    return {None: "untyped", "unreached": "reached by nothing"}.get(name, name)


def render_summary_json(zone, groups, total, warnings=(), types=None):
    doc = {"uma-items --summary": {"zone": zone, "allocated": total, "groups": groups},
           "warnings": list(warnings)}
    if types is not None:
        doc["uma-items --summary"]["types"] = [{"type": t, "items": n} for t, n in types]
    return json.dumps(doc, indent=2) + "\n"


def render_csv(records):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(KEYS)
    for r in records:
        w.writerow(["" if r[k] is None else ";".join(r[k]) if isinstance(r[k], list) else r[k]
                    for k in KEYS])
    return buf.getvalue()


def _hex(v):
    return "?" if v is None else f"{v:#x}"


def whatis_line(r):
    """One address, in words."""
    kind, a = r["kind"], _hex(r["address"])
    if kind == "uma-item":
        state = r["state"] or "state unknown (damaged slab)"
        if r["state"] == "free":
            state += " " + _WHERE_TEXT[r["where"]].format(cpu=r["cpu"], zone=r["zone"])
        dom = f", domain {r['domain']}" if r["domain"] is not None else ""
        text = (f"{a}: item {_hex(r['item'])} + {r['offset']:#x} of zone '{r['zone']}' "
                f"(keg {_hex(r['keg'])}: {', '.join(r['zones'])}), index {r['index']} of slab "
                f"{_hex(r['slab'])}{dom}, size {r['size']} (rsize {r['rsize']}), {state}")
    elif kind == "uma-slab-header":
        text = (f"{a}: slab header {_hex(r['item'])} + {r['offset']:#x} ({r['size']} bytes) "
                f"of keg {_hex(r['keg'])} ('{r['zone']}')")
    elif kind == "malloc-large":
        text = (f"{a}: malloc(9) large allocation {_hex(r['item'])} + {r['offset']:#x}, "
                f"{r['size']} bytes (slab header {_hex(r['slab'])})")
    elif kind == "uma-structure":
        text = f"{a}: {_hex(r['item'])} + {r['offset']:#x}"
        if r["symbol"]:
            text += f" ({r['symbol']})"
    elif kind == "kernel-symbol":
        text = f"{a}: {r['symbol']} + {r['offset']:#x}"
    else:
        text = f"{a}: unknown"
    if r["note"]:
        text += f"\n    {r['note']}"
    if "holder" in r:
        held = r["holder"]
        text += (f"\n    type {r['type'] or 'unknown (untyped path)'}, held by "
                 + " -> ".join([held["root"]] + held["path"]) if held is not None else
                 "\n    reached by nothing (kmem-findleaks)")
    return text + "\n"


def render_warnings(warnings):
    return "".join(f"kmemdbg: warning: {w}\n" for w in warnings)


def render_whatis_text(records):
    return "".join(whatis_line(r) for r in records)


def render_items_table(records, where):
    headers = ["ITEM", "INDEX", "SLAB", "STATE"] + (["WHERE", "CPU", "ZONE"] if where else [])
    rows = []
    for r in records:
        row = [_hex(r["item"]), number(r["index"]), _hex(r["slab"]), r["state"] or "?"]
        if where:
            row += [r["where"] or "-", "-" if r["cpu"] is None else str(r["cpu"]), r["zone"]]
        rows.append(row)
    return render_rows(rows, headers, numeric=(1,))


def render_summary(zone, groups, total, types=None):
    """Allocated items grouped by what their first words look like, biggest group first;
    ``types``: the items counted by inferred type (a line after the table)."""
    head = f"{total} allocated items of zone '{zone}'\n"
    if types is not None:
        return render_summary(zone, groups, total) + "inferred types (kmem-holders): " + \
            ", ".join(f"{_type_name(t)} {n}" for t, n in types) + "\n"
    rows = [[str(g["count"]), f"{100.0 * g['count'] / total:.1f}%" if total else "-",
             g["word0"], g["word1"], _hex(g["example"])] for g in groups]
    if not rows:
        return head + "(no allocated items)\n"
    return head + render_rows(rows, ["COUNT", "SHARE", "WORD 0", "WORD 1", "EXAMPLE"],
                              numeric=(0, 1))
