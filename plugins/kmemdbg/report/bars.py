"""Terminal pictures: proportional bars of kmem-summary's reconciliation, and sparklines.

Plain text (Unicode block characters), so they work in any terminal, in gdb and lldb alike, and
in a pasted bug report.
"""

from .text import human_bytes, render_rows

BLOCKS = " ▏▎▍▌▋▊▉█"        # eighths of a character cell
SPARKS = "▁▂▃▄▅▆▇█"
BIG_PART = 0.05             # parts of a category shown under it: at least 5% of the whole


def bar(value, total, width):
    """``value``/``total`` of ``width`` cells, in eighths; a nonzero value shows at least ▏."""
    if not total or value <= 0:
        return ""
    eighths = max(1, round(8 * width * value / total))
    full, part = divmod(min(eighths, 8 * width), 8)
    return "█" * full + (BLOCKS[part] if part else "")


def sparkline(values):
    """One character per value, scaled from the series' minimum to its maximum."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[round((v - lo) * (len(SPARKS) - 1) / (hi - lo))] for v in values)


def render_bars(summary, width=40):
    """kmem-summary's categories as bars of the kmem in use (or of the parts' sum when unknown),
    each followed by its big parts (a malloc zone and its types, a zone), then the warnings."""
    km = summary["kmem"]
    whole = km["in_use"] if km["in_use"] else summary["accounted"]
    rows = []
    for c in summary["categories"]:
        rows.append([c["name"], human_bytes(c["bytes"]), _share(c["bytes"], whole),
                     bar(c["bytes"], whole, width)])
        for name, nbytes in _big_parts(summary, c["key"], whole):
            rows.append([f"└ {name}", human_bytes(nbytes), _share(nbytes, whole), bar(nbytes, whole, width)])
    rem = summary["remainder"]
    if rem:
        rows.append(["unexplained remainder", human_bytes(rem), _share(rem, whole), bar(rem, whole, width)])
    head = (f"kmem in use {human_bytes(km['in_use'])} ({km['in_use_source']})" if km["in_use"]
            else f"parts sum to {human_bytes(summary['accounted'])} (kmem in use unknown)")
    if km["limit"]:
        head += f" of a {human_bytes(km['limit'])} limit ({km['limit_source']}): " + \
            _share(km["in_use"] or summary["accounted"], km["limit"])
    return (head + "\n" + render_rows(rows, ["WHERE IT WENT", "BYTES", "SHARE", ""], numeric=[1, 2]) +
            "".join(f"kmemdbg: warning: {w}\n" for w in summary.get("warnings", [])))


def _big_parts(summary, key, whole):
    """The parts of category ``key`` of at least ``BIG_PART`` of the whole: malloc zones with
    their malloc types, zones, kegs."""
    if not whole:
        return []
    if key == "malloc_small":
        items = [(f"{z['zone']} ({', '.join(z['types'][:3]) or '?'})", z["bytes"])
                 for z in summary.get("malloc", {}).get("by_zone", [])]
    else:
        items = [(p["name"], p["bytes"]) for p in summary.get("parts", {}).get(key, [])]
    return sorted(((n, b) for n, b in items if b >= BIG_PART * whole), key=lambda t: -t[1])


def _share(value, whole):
    return f"{100 * value / whole:.1f}%" if whole else "?"


def render_sparklines(series):
    """``[(name, [bytes per sample])]`` as one sparkline line each, with first and last values."""
    if not series:
        return ""
    rows = [[name, sparkline(values), f"{human_bytes(values[0])} -> {human_bytes(values[-1])}"]
            for name, values in series]
    return render_rows(rows, ["TREND", "PER SAMPLE", "FIRST -> NOW"])
