"""``kmem-report``'s HTML page: where kmem went as a treemap, limits, top consumers, identity, and
the growth of the top growers over a snapshot series, in one self-contained file.

Pictures are drawn by plotly (its JavaScript is embedded once, inline, so the page opens offline
and fetches nothing); tables carry the exact numbers (``data-bytes`` attributes hold raw bytes).
The input is plain data: a kmem-summary dict and optionally a ``leak.growth`` series, both of
which a snapshot file carries, so the page renders with or without the debugger.
"""

import html
import sys

from ..access.errors import KmemdbgError
from .leaks import CAVEATS
from .text import human_bytes

MAX_CHILDREN = 25           # boxes per category; the rest become one "N others" box


class PlottingUnavailable(KmemdbgError):
    """plotly cannot be imported: one line naming the package to install."""


def plotly_modules():
    """``(graph_objects, io)`` of plotly, or PlottingUnavailable saying what to install."""
    try:
        import plotly.graph_objects as go
        import plotly.io as pio
    except ImportError:
        if sys.platform.startswith("freebsd"):
            pkg = f"py{sys.version_info.major}{sys.version_info.minor}-plotly"
            how = f"pkg install {pkg}"
        else:
            how = "apt install python3-plotly (Debian/Ubuntu), or pip install plotly"
        raise PlottingUnavailable(f"the HTML report needs plotly, which this Python cannot import; "
                                  f"install it: {how}") from None
    return go, pio


def _e(text):
    return html.escape("" if text is None else str(text))


def _bytes_cell(n):
    return (f'<td class="num" data-bytes="{"" if n is None else n}">{_e(human_bytes(n))}'
            f'<span class="exact">{"" if n is None else f"{n:,}"}</span></td>')


# ---- treemap ------------------------------------------------------------------------------------

def treemap_nodes(summary):
    """Boxes of the treemap as parallel lists (ids, labels, parents, values, hover notes).

    Root = kmem in use; children = the reconciliation's categories (plus the unexplained
    remainder when positive); grandchildren = zones, kegs, malloc zones, and under each malloc
    zone the malloc types served only by that size.  Every parent's value is the sum of its
    children's (plotly ``branchvalues="total"``).
    """
    ids, labels, parents, values, notes = [], [], [], [], []

    def node(i, label, parent, value, note=""):
        ids.append(i)
        labels.append(label)
        parents.append(parent)
        values.append(value)
        notes.append(note)

    km, rem = summary["kmem"], summary["remainder"]
    total = summary["accounted"] + max(rem or 0, 0)
    root = "kmem"
    node(root, "kmem in use" if km["in_use"] else "parts accounted", "", total,
         f"{km['in_use_source'] or 'kmem in use unknown'}")
    malloc = summary.get("malloc", {})
    for c in summary["categories"]:
        if c["bytes"] <= 0:
            continue
        cid = f"{root}/{c['key']}"
        node(cid, c["name"], root, c["bytes"])
        if c["key"] == "malloc_small":
            _malloc_zone_boxes(node, cid, c["bytes"], malloc.get("by_zone", []))
        elif c["key"] == "malloc_large":
            _named_boxes(node, cid, c["bytes"], [(t["type"], t["bytes"]) for t in
                                                   malloc.get("large_only", [])],
                         "large allocations of types that also use malloc zones", exact=False)
        else:
            _named_boxes(node, cid, c["bytes"], [(p["name"], p["bytes"]) for p in
                                                   summary.get("parts", {}).get(c["key"], [])])
    if rem and rem > 0:
        node(f"{root}/remainder", "unexplained remainder", root, rem,
             "in use by the kernel's account, not explained by the parts")
    return ids, labels, parents, values, notes


def _named_boxes(node, parent, whole, items, rest_label=None, exact=True):
    """Children of ``parent``: the largest ``items``, one box for the others, and (not ``exact``)
    one box for what the items leave of ``whole``.  Skipped when the items do not fit."""
    items = [(n, b) for n, b in items if b and b > 0]
    if not items or sum(b for _, b in items) > whole or (exact and sum(b for _, b in items) != whole):
        return
    for name, b in items[:MAX_CHILDREN]:
        node(f"{parent}/{name}", name, parent, b)
    others = items[MAX_CHILDREN:]
    if others:
        node(f"{parent}/~others", f"{len(others)} others", parent, sum(b for _, b in others),
             ", ".join(n for n, _ in others[:12]) + (" ..." if len(others) > 12 else ""))
    left = whole - sum(b for _, b in items)
    if left > 0 and rest_label:
        node(f"{parent}/~rest", rest_label, parent, left)


def _malloc_zone_boxes(node, parent, whole, by_zone):
    """Malloc zones, each with the bytes certainly of each malloc type (``attributed``) and one
    box for what cannot be told apart between the types of that size."""
    zones = [z for z in by_zone if z["bytes"] > 0]
    if sum(z["bytes"] for z in zones) != whole:
        return
    for z in zones:
        zid = f"{parent}/{z['zone']}"
        node(zid, z["zone"], parent, z["bytes"],
             "types of this size: " + (", ".join(z["types"][:8]) or "none"))
        _named_boxes(node, zid, z["bytes"], [(t["type"], t["bytes"]) for t in z.get("attributed", [])],
                     "not attributable to one type: " + ", ".join(t for t in z["types"][:6]), exact=False)


def treemap_figure(go, summary):
    ids, labels, parents, values, notes = treemap_nodes(summary)
    human = [human_bytes(v) for v in values]
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
        customdata=list(zip(human, notes)), maxdepth=4,
        texttemplate="<b>%{label}</b><br>%{customdata[0]} (%{percentRoot:.1%})",
        hovertemplate="<b>%{label}</b><br>%{value:,} bytes (%{customdata[0]})<br>"
                      "%{percentRoot:.2%} of the whole, %{percentParent:.1%} of its parent"
                      "<br>%{customdata[1]}<extra></extra>",
        marker={"line": {"width": 1}}, pathbar={"visible": True}))
    fig.update_layout(margin={"t": 30, "l": 5, "r": 5, "b": 5}, height=620)
    return fig


# ---- growth chart -------------------------------------------------------------------------------

def growth_figure(go, growth, labels):
    """One line per grower; culprits solid and starred, others dotted."""
    x = growth["seconds"] if growth["seconds"] is not None else list(range(len(labels)))
    fig = go.Figure()
    for r in growth["rows"]:
        who = f"{'★ ' if r['culprit'] else ''}{r['name']}"
        fig.add_trace(go.Scatter(
            x=x, y=r["values"], name=who, mode="lines+markers",
            line={"width": 4 if r["culprit"] else 1.5, "dash": "solid" if r["culprit"] else "dot"},
            customdata=[[human_bytes(v), lab] for v, lab in zip(r["values"], labels)],
            hovertemplate=f"<b>{_e(r['name'])}</b> ({r['kind']})<br>%{{customdata[0]}} "
                          f"(%{{y:,}} bytes)<br>%{{customdata[1]}}<br>{_e(r.get('owner') or '')}"
                          "<extra></extra>"))
        if r["culprit"]:
            fig.add_annotation(x=x[-1], y=r["values"][-1], text=f"culprit: {_e(r['name'])} "
                               f"{human_bytes(r['growth'], signed=True)}", showarrow=True,
                               arrowhead=2, ax=-60, ay=-30)
    fig.update_layout(height=420, margin={"t": 30, "l": 60, "r": 20, "b": 50},
                      xaxis_title="seconds since the first snapshot" if growth["seconds"] is not None
                      else "snapshot", yaxis_title="bytes in use", legend={"orientation": "h"})
    return fig


# ---- page ---------------------------------------------------------------------------------------

STYLE = """
body{font-family:sans-serif;margin:1.2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.9em;margin:.4em 0} td,th{padding:.15em .7em;text-align:left}
th{background:#eee} tr:nth-child(even) td{background:#f7f7f7} td.num{text-align:right}
.exact{color:#888;font-size:.8em;margin-left:.6em} .warn{color:#a40} .culprit{color:#b00;font-weight:bold}
.panic{color:#b00;font-weight:bold} .lead{font-size:1.05em}
"""


def _table(headers, rows, attrs=None):
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(f"<tr{(attrs or {}).get(i, '')}>{''.join(r)}</tr>" for i, r in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(text, cls=""):
    return f'<td{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{_e(text)}</td>'


def _identity(summary, source):
    k = summary["kernel"]
    rows = [[_td("kernel"), _td(k["version"] or "unknown")], [_td("osreldate"), _td(k["osreldate"])],
            [_td("CPUs"), _td(f"{k['cpus']} (mp_maxid {k['mp_maxid']})")],
            [_td("memory domains"), _td(k["domains"])]]
    if k.get("panicstr"):
        rows.insert(1, [_td("panic"), _td(k["panicstr"], "panic")])
    for label, value in source:
        rows.append([_td(label), _td(value)])
    return _table(["", ""], rows)


def _reconciliation(summary):
    km, rem = summary["kmem"], summary["remainder"]
    lead = (f"kmem in use <b>{_e(human_bytes(km['in_use']))}</b> ({_e(km['in_use_source'])})"
            if km["in_use"] is not None else "kmem in use unknown")
    if km["limit"]:
        lead += f" of a {_e(human_bytes(km['limit']))} limit ({_e(km['limit_source'])})"
    if rem is None:
        tail = "nothing to reconcile against"
    elif rem == 0:
        tail = "the parts add up to it exactly"
    else:
        tail = (f"unexplained remainder <b>{_e(human_bytes(rem))}</b> ({rem:,} bytes)" if rem > 0 else
                f"the parts exceed it by {_e(human_bytes(-rem))} ({-rem:,} bytes)")
    rows = [[_td(c["name"]), _bytes_cell(c["bytes"])] for c in summary["categories"]]
    attrs = {i: f' data-key="{_e(c["key"])}"' for i, c in enumerate(summary["categories"])}
    rows.append([_td("accounted"), _bytes_cell(summary["accounted"])])
    attrs[len(rows) - 1] = ' data-key="accounted"'
    if rem is not None:
        rows.append([_td("unexplained remainder"), _bytes_cell(rem)])
        attrs[len(rows) - 1] = ' data-key="remainder"'
    return f'<p class="lead">{lead}; {tail}.</p>', _table(["where it went", "bytes"], rows, attrs)


def _limits(summary):
    if not summary["limits"]:
        return "<p>No zone is near its limit, and none failed or slept.</p>"
    rows = [[_td(r["zone"]), _td(r["used"]), _td(r["limit"] or "-"), _td(r["fail"]), _td(r["sleep"]),
             _td(", ".join(r["reasons"])),
             _td(", ".join(o["symbol"] + (f" ({o['file']})" if o.get("file") else "")
                           for o in r["owner"]) or "?"), _td(r["tunable"] or "")]
            for r in summary["limits"]]
    return _table(["zone", "used", "limit", "fail", "sleep", "why", "held by", "tunable"], rows)


def _growth_table(growth):
    rows, attrs = [], {}
    for i, r in enumerate(growth["rows"]):
        note = r.get("owner") or ""
        if r["explained_by"]:
            note = "explained by " + ", ".join(f"{t} {human_bytes(b, signed=True)}"
                                               for t, b in r["explained_by"][:3])
        rows.append([_td("culprit" if r["culprit"] else "", "culprit"), _td(r["kind"]), _td(r["name"]),
                     _bytes_cell(r["growth"]), _bytes_cell(r["values"][-1]), _td(note)])
        attrs[i] = f' data-name="{_e(r["name"])}"' + (' class="culprit-row"' if r["culprit"] else "")
    return _table(["", "kind", "name", "growth", "now", "owner / explained by"], rows, attrs)


def _leaks(leaks):
    """kmem-findleaks' groups (its JSON object), with the scan's caveat where users read them."""
    if not leaks["groups"]:
        lead = (f"<p>No allocated item is unreached: the scan reached all "
                f"{leaks['stats'].get('candidates', 0):,} candidates.</p>")
    else:
        total = sum(g["bytes"] for g in leaks["groups"])
        lead = (f"<p>{sum(g['items'] for g in leaks['groups']):,} allocated items "
                f"({_e(human_bytes(total))}) are pointed at by nothing the scan reads:</p>")
    rows = [[_td(g["zone"] if g["zone"] is not None else "(malloc large)"), _td(g["size"]),
             _td(g["items"]), _bytes_cell(g["bytes"]), _td(", ".join(g["types"]) or "-"),
             _td(" ".join(g["samples"]))] for g in leaks["groups"]]
    attrs = {i: f' data-zone="{_e(g["zone"] or "")}"' for i, g in enumerate(leaks["groups"])}
    table = _table(["zone", "size", "items", "bytes", "malloc types of that size", "samples"],
                   rows, attrs) if rows else ""
    return lead + table + f'<p class="note">Note: {_e(CAVEATS)}.</p>'


def _holders(holders):
    """kmem-holders' groups (its JSON object): which structure holds the items, by path."""
    lead = (f"<p>{holders['selected']:,} allocated items; {holders['unreached']:,} reached by "
            "nothing. Grouped by the path from a root along which the scan first reached them:</p>")
    rows = [[_td(g["items"]), _bytes_cell(g["bytes"]), _td(g["type"] or "untyped"),
             _td(" → ".join([g["root"]] + list(g["path"])))] for g in holders["groups"]]
    more = f"<p>{holders['more']} more groups (kmem-holders --limit N).</p>" if holders["more"] else ""
    notes = "".join(f'<p class="note">Note: {_e(n)}.</p>' for n in holders["notes"])
    return lead + _table(["items", "bytes", "type", "path from the root"], rows) + more + notes


def _figure_div(pio, div_id, fig, with_js, config):
    """The figure in a ``<div id=div_id>``; ``with_js`` embeds plotly.js (once per page)."""
    return (f'<div id="{div_id}">' + pio.to_html(fig, full_html=False, include_plotlyjs=with_js,
                                                 config=config) + "</div>")


def render_html(summary, growth=None, snapshot_labels=(), source=(), warnings=(), leaks=None,
                holders=None):
    """The report page.

    :param summary: kmem-summary's dict (``build_summary``), of the latest state.
    :param growth: ``leak.growth.growth_series`` (rows may carry an ``owner`` string), or None.
    :param snapshot_labels: one label per snapshot of the series (hover text, x axis fallback).
    :param source: ``[(label, value)]`` naming what the report was made from.
    :param leaks: kmem-findleaks' JSON object (``report.leaks.leaks_doc``), or None.
    :param holders: ``(what, kmem-holders' JSON object)`` (``report.holders.holders_doc``), or None.
    :raises PlottingUnavailable: plotly is missing.
    """
    go, pio = plotly_modules()
    config = {"displaylogo": False, "responsive": True}
    figs = [_figure_div(pio, "kmem-treemap", treemap_figure(go, summary), True, config)]
    if growth and growth["rows"]:
        figs.append(_figure_div(pio, "kmem-growth", growth_figure(go, growth, list(snapshot_labels)),
                                False, config))
    k = summary["kernel"]
    lead, recon = _reconciliation(summary)
    parts = [f"<h1>Kernel memory: {_e(k['version'] or 'unknown kernel')}</h1>",
             _identity(summary, source),
             "<h2>Where kmem went</h2>", lead, figs[0], recon,
             "<h2>Limits and failures</h2>", _limits(summary),
             "<h2>Top zones</h2>",
             _table(["zone", "in use", "items", "item size"],
                    [[_td(z["name"]), _bytes_cell(z["bytes"]), _td(z["used"]), _td(z["size"])]
                     for z in summary["top_zones"] if z["bytes"]]),
             "<h2>Top malloc types</h2>",
             _table(["malloc type", "in use", "allocations"],
                    [[_td(t["type"]), _bytes_cell(t["bytes"]), _td(t["in-use"])]
                     for t in summary["top_malloc_types"] if t["bytes"]])]
    if growth is not None:
        parts.append("<h2>Growth over time</h2>")
        if growth["rows"]:
            parts += [f"<p>Top growers from the first to the last of {len(snapshot_labels)} snapshots; "
                      f"culprits (growth above {_e(human_bytes(growth['threshold']))}) are starred.</p>",
                      figs[1], _growth_table(growth)]
        else:
            parts.append("<p>Nothing grew between the snapshots.</p>")
    if leaks is not None:
        parts += ["<h2>Lost items (kmem-findleaks)</h2>", _leaks(leaks)]
    if holders is not None:
        parts += [f"<h2>Who holds {_e(holders[0])} (kmem-holders)</h2>", _holders(holders[1])]
    all_warnings = list(summary.get("warnings", [])) + list(warnings) + \
        list((growth or {}).get("warnings", []))
    if all_warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f'<li class="warn">{_e(w)}</li>'
                                                       for w in all_warnings) + "</ul>")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>kmemdbg report: {_e(k['version'] or 'kernel')}</title>"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(parts) +
            "\n<p><small>made by kmemdbg kmem-report</small></p></body></html>\n")


def snapshot_label(snap, name):
    uptime = snap["time"].get("uptime")
    return f"{name}" + (f" (uptime {uptime} s)" if uptime is not None else
                        f" ({snap['time'].get('taken_at')})")


def report_page(snaps, names, growth, warnings=(), leaks=None, holders=None):
    """The page of a series of loaded snapshots (oldest first) whose last carries a ``summary``.

    :param names: one name per snapshot (file name, "target now").
    :param growth: ``leak.growth.series_with_owners`` of the snapshots, or None.
    :param leaks: kmem-findleaks' JSON object, or None.
    :param holders: ``(what, kmem-holders' JSON object)``, or None.
    """
    if not snaps[-1].get("summary"):
        raise KmemdbgError(f"{names[-1]} has no kmem-summary (written by an older kmemdbg); "
                           "take a new snapshot with kmem-snapshot save")
    labels = [snapshot_label(s, n) for s, n in zip(snaps, names)]
    source = [("snapshot" if len(snaps) == 1 else "series", ", ".join(labels))]
    return render_html(snaps[-1]["summary"], growth, labels, source, warnings, leaks, holders)


def write_page(path, page):
    """Write the page; :return: the line saying so."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
    except OSError as e:
        raise KmemdbgError(f"cannot write {path}: {e.strerror}") from None
    return f"kmem-report: wrote {path} ({len(page) // 1024} KiB)\n"
