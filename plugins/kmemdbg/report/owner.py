"""``kmem-owner`` output: an ``Owner`` as text and as JSON."""

from .text import source_path


def where(sym):
    """``M_ALIAS at sys/netinet/libalias/alias_db.c:123 [libalias.ko]``."""
    if sym is None:
        return "?"
    loc = source_path(sym.file) or "?"
    if sym.line:
        loc += f":{sym.line}"
    return f"{sym.name} at {loc}" + (f" [{sym.module}]" if sym.module else "")


def owner_dict(o):
    d = {"kind": o.kind, "name": o.name, "address": o.address, "file": o.file and source_path(o.file),
         "subsystem": o.subsystem, "module": o.module}
    if o.kind == "malloc":
        d["symbol"] = o.symbol.name if o.symbol else None
        d["line"] = o.symbol.line if o.symbol else None
    else:
        d["holders"] = [{"symbol": h.name, "file": source_path(h.file), "line": h.line,
                         "module": h.module} for h in o.holders]
        d["functions"] = {m: {"symbol": s.name, "file": source_path(s.file), "line": s.line,
                              "module": s.module} for m, s in o.functions.items()}
        d["keg"] = o.keg
        d["keg_zones"] = o.keg_zones
    return d


def owner_text(o):
    lines = [f"{'malloc type' if o.kind == 'malloc' else 'zone'} {o.name!r} at {o.address:#x}"]
    if o.kind == "malloc":
        lines.append(f"  defined by   {where(o.symbol)}")
    else:
        for h in o.holders or [None]:
            lines.append(f"  held by      {where(h) if h else '(no global holds this zone pointer)'}")
        for member, sym in o.functions.items():
            lines.append(f"  {member:<12} {where(sym)}")
        if o.keg:
            lines.append(f"  keg          {o.keg:#x}, zones: {', '.join(o.keg_zones)}")
    lines.append(f"  subsystem    {o.subsystem or '?'}")
    lines.append(f"  module       {o.module or '?'}")
    return "\n".join(lines) + "\n"
