"""``kmem-summary`` as text, from the dict ``alloc.summary.build_summary`` returns."""

from .text import human_bytes, number, render_rows


# Shorter words for the table's WHY column (JSON keeps the full reasons).
_SHORT_REASONS = {"bucket allocations fail": "bucket fails", "failures": "fails"}


def render_summary(s, wide=False):
    """:param wide: also the globals holding each limited zone (HELD BY), past 80 columns."""
    k, out = s["kernel"], []
    out.append(f"{k['version'] or 'unknown kernel'} (osreldate {k['osreldate']})")
    if k["panicstr"]:
        out.append(f"panic: {k['panicstr']}")
    out.append(f"{k['cpus']} CPUs (mp_maxid {k['mp_maxid']}), {k['domains']} memory domain(s)\n")
    km = s["kmem"]
    out.append(f"kmem limit   {human_bytes(km['limit']):>8}  ({km['limit_source'] or 'unknown'})")
    out.append(f"kmem in use  {human_bytes(km['in_use']):>8}  ({km['in_use_source'] or 'unknown'})\n")
    rows = [[c["name"], human_bytes(c["bytes"]), str(c["bytes"])] for c in s["categories"]]
    rows.append(["accounted", human_bytes(s["accounted"]), str(s["accounted"])])
    out.append(render_rows(rows, ["WHERE IT WENT", "", "BYTES"], numeric=[1, 2]))
    if s["remainder"] is None:
        out.append("kmem in use unknown: nothing to reconcile against")
    elif s["remainder"] == 0:
        out.append(f"reconciled: the parts add up to {km['in_use_source']} exactly")
    else:
        out.append(f"unexplained remainder: {human_bytes(s['remainder'])} ({s['remainder']} bytes) of "
                   f"{km['in_use_source']} not accounted for by the parts above")
    overhead = next((c["name"] for c in s["categories"] if c["key"] == "overhead"), "overhead")
    for u in s["unreadable"]:
        out.append(f"unreadable: zone {u['zone']!r} at {u['address']:#x} ({', '.join(u['missing'])}): "
                   f"those items are counted in \"{overhead}\"")
    m = s["malloc"]
    out.append(f"\nmalloc(9): {human_bytes(m['total'])} in use = {human_bytes(m['small'])} in malloc "
               f"zones + {human_bytes(m['large'])} large")
    out.append(render_rows([[z["zone"] + (f" ({z['zones']} zones)" if z["zones"] > 1 else ""),
                             human_bytes(z["bytes"]), ", ".join(z["types"][:6])]
                            for z in m["by_zone"] if z["bytes"]],
                           ["MALLOC ZONE", "IN USE", "TYPES OF THAT SIZE (largest first)"], numeric=[1]))
    out.append(render_rows([[z["name"], human_bytes(z["total"]), human_bytes(z["bytes"]),
                             number(z["used"])] for z in s["top_zones"]],
                           ["TOP ZONES (FOOTPRINT)", "TOTAL", "IN USE", "ITEMS"], numeric=[1, 2, 3]))
    out.append(render_rows([[t["type"], human_bytes(t["bytes"]), number(t["in-use"])]
                            for t in s["top_malloc_types"]],
                           ["TOP MALLOC TYPES", "IN USE", "ALLOCS"], numeric=[1, 2]))
    lim = [[r["zone"], number(r["used"]), str(r["limit"] or "-"), number(r["fail"]),
            "-" if r["sleep"] is None else str(r["sleep"]),
            ", ".join(_SHORT_REASONS.get(x, x) for x in r["reasons"]), r["tunable"] or ""]
           + ([", ".join(o["symbol"] for o in r["owner"]) or "?"] if wide else [])
           for r in s["limits"]]
    out.append("LIMITS AND FAILURES")
    out.append(render_rows(lim, ["ZONE", "USED", "LIMIT", "FAIL", "SLEEP", "WHY", "TUNABLE"]
                           + (["HELD BY"] if wide else []), numeric=[1, 2, 3, 4]))
    out.extend(f"kmemdbg: warning: {w}" for w in s["warnings"])
    return "\n".join(out) + "\n"
