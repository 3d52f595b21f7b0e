"""kmem-holders output: the groups of items by their path from a root."""

import json
import textwrap

WIDTH = 80                      # the text fits an 80-column terminal


def render_table(report, what):
    out = textwrap.wrap(f"{report.selected} allocated items of {what}; {report.unreached} reached "
                        "by nothing (kmem-findleaks lists them)", WIDTH)
    for g in report.groups:
        out.append("")
        out.append(f"{g.items} items, {g.bytes} bytes{', ' + g.type if g.type else ', untyped'}")
        out += textwrap.wrap("samples: " + " ".join(f"{a:#x}" for a in g.samples), WIDTH,
                             initial_indent="  ", subsequent_indent="    ")
        out.append(f"  {g.root}")
        out += [f"  -> {hop}" for hop in g.path]
    if report.more:
        out.append(f"\n({report.more} more groups; --limit N shows more)")
    out += [f"note: {n}" for n in report.notes]
    out += [f"kmemdbg: warning: {w}" for w in report.warnings]
    return "\n".join(out) + "\n"


def holders_doc(report):
    """The ``kmem-holders`` JSON object (groups, counts, notes), also what kmem-report draws."""
    groups = [{"root": g.root, "path": list(g.path), "type": g.type, "items": g.items,
               "bytes": g.bytes, "samples": [f"{a:#x}" for a in g.samples]}
              for g in report.groups]
    return {"groups": groups, "selected": report.selected, "unreached": report.unreached,
            "more": report.more, "notes": list(report.notes)}


def render_json(report):
    return json.dumps({"kmem-holders": holders_doc(report), "warnings": list(report.warnings)},
                      indent=2) + "\n"
