"""Who holds a zone's items: their paths from a root, named by type (the model of kmem-holders).

The reachability scan (``reach.py``) keeps, for every reached item, the first word that reached
it.  Followed back, those words give the item's path from a source: a global (with the DWARF
member path of the word inside it), a CPU's ``struct pcpu`` or a kernel stack, then one hop per
holding item.  Items are grouped by that path.  A word in a CPU's copy of the DPCPU set is named
by the DPCPU variable at the same place in the set (``dpcpu pcpu_entry_nws.nws_work[].nw_head``;
``dpcpu 3+0x888`` without a symbol there).

Hops are named by type, as mdb's ``::typegraph`` does: the root's declared type tells which
member holds the word; a pointer-typed member (``struct libalias *lib``) tells the type of the
item it reaches, whose members then name the next hop, and so on.  Where that fails (a ``void *``
or integer member, a stack word, a pointee bigger than the item it reached: a conflict) the item
is untyped and its hops are named ``zone+offset``; a note says how many.  Array indexes are
dropped (``linkTableOut[]``) and the hops from an item to one of its own type (``le_next`` down
a list, whichever of its lists; untyped: of its own zone) are one list hop, so the elements of
every chain of one instance fall into a few groups.
A hop whose holder is the same item for the whole group shows that item's address: the
instance (one ``struct libalias``) that holds them.
"""

import bisect
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from ..access.errors import KmemdbgError
from ..access.layout import ARRAY, PTR, STRUCT, UNION, TypeInfo
from .reach import FROM_SOURCE

REPEATED = " (repeated)"         # a hop followed element to element down a list
MAX_GROUPS = 10


@dataclass(frozen=True)
class HolderGroup:
    root: str                    # "ng_ID_hash[].lh_first", "pcpu.pc_deadthread", "kstack",
                                 # "dpcpu pcpu_entry_nws.nws_work[].nw_head"
    path: Tuple[str, ...]        # hops from the root to the items
    type: Optional[str]          # the items' inferred type, None: untyped
    items: int
    bytes: int
    samples: Tuple[int, ...]


@dataclass(frozen=True)
class HolderReport:
    groups: Tuple[HolderGroup, ...]   # the top ``limit`` groups, most bytes first
    selected: int                # items asked about
    unreached: int               # of those, reached by nothing (kmem-findleaks lists them)
    more: int                    # groups beyond ``limit``
    notes: Tuple[str, ...]       # where typing fell back to zone+offset
    warnings: Tuple[str, ...]


class _Typer:
    """Names hops and infers item types; layouts are looked up once per type, member
    positions once per (type, offset)."""

    def __init__(self, target, items, rows, result):
        self.t, self.items, self.rows, self.r = target, items, rows, result
        self.members: Dict = {}
        self.sizes: Dict[str, Optional[int]] = {}
        self.symbols = []            # sorted (start, end, name) of the globals seen
        self._dpcpu_set = None
        self.untyped = Counter()     # why a hop fell back to zone+offset

    def fields(self, t):
        if t.members:
            return t.members
        try:
            return tuple(self.t.layout(t.name).fields.values())
        except KmemdbgError:
            return ()

    def member_at(self, t, off):
        """``(".member[].inner", leaf TypeInfo or None)`` of the word ``off`` bytes into a
        ``t``: through struct members and array elements down to a scalar."""
        key = (t, off)
        if key not in self.members:
            path = ""
            while True:
                if t.kind == ARRAY and t.element is not None and t.element.size:
                    path, off, t = path + "[]", off % t.element.size, t.element
                    continue
                if t.kind in (STRUCT, UNION):
                    inside = [f for f in self.fields(t) if f.bit_size is None and
                              f.offset <= off < f.offset + max(f.type.size, 1)]
                    if inside:
                        f = max(inside, key=lambda f: (f.type.kind == PTR, f.offset))
                        path, off, t = f"{path}.{f.name}", off - f.offset, f.type
                        continue
                    t = None
                break
            if off:
                path += f"+{off:#x}"
            self.members[key] = (path, t)
        return self.members[key]

    def pointee(self, leaf, item):
        """The type a word of type ``leaf`` gives the item it reached, or None (noted)."""
        if leaf is None or leaf.kind != PTR or leaf.element is None or \
                leaf.element.kind not in (STRUCT, UNION) or not self.fields(leaf.element):
            self.untyped["untyped pointer"] += 1
            return None
        name = leaf.element.name
        if name not in self.sizes:
            try:
                self.sizes[name] = self.t.type_size(name)
            except KmemdbgError:
                self.sizes[name] = None
        if self.sizes[name] is None or self.sizes[name] > self.rows[item][1]:
            self.untyped[f"conflict: {name} is bigger than the item"] += 1
            return None
        return leaf.element

    def symbol(self, addr):
        """``(name, start)`` of the global holding ``addr``, or None."""
        k = bisect.bisect_right(self.symbols, (addr, float("inf"))) - 1
        if k >= 0 and self.symbols[k][0] <= addr < self.symbols[k][1]:
            return self.symbols[k][2], self.symbols[k][0]
        info = self.t.symbolize(addr)
        if info is None:
            return None
        if info.size:
            bisect.insort(self.symbols, (info.address, info.address + info.size, info.name))
        return info.name, info.address

    def root(self, src, word, item):
        """``(root string, type of the item it reached)``."""
        if src.name.startswith("kstack"):
            self.untyped["held by a kernel stack"] += 1
            return "kstack", None
        if src.name.startswith("pcpu"):
            try:
                base = self._struct("struct pcpu")
            except KmemdbgError:
                return "pcpu", None
            path, leaf = self.member_at(base, word - src.start)
            return "pcpu" + path, self.pointee(leaf, item)
        addr, prefix = word, ""
        if src.name.startswith("dpcpu "):
            # a CPU's copy of the DPCPU set: its variables are named where the set has them
            addr, prefix = self.dpcpu_set() + word - src.start, "dpcpu "
        sym = self.symbol(addr)
        if sym is None:
            self.untyped["no symbol"] += 1
            return f"{src.name}+{word - src.start:#x}", None
        name, start = sym
        try:
            base = self.t.symbol_type(name)
        except KmemdbgError:
            self.untyped["no symbol type"] += 1
            return f"{prefix}{name}+{addr - start:#x}", None
        path, leaf = self.member_at(base, addr - start)
        return prefix + name + path, self.pointee(leaf, item)

    def dpcpu_set(self):
        """``__start_set_pcpu`` (a ``dpcpu`` source exists only where the kernel has it)."""
        if self._dpcpu_set is None:
            self._dpcpu_set = self.t.symbol_address("__start_set_pcpu")
        return self._dpcpu_set

    def _struct(self, name):
        return TypeInfo(STRUCT, self.t.type_size(name), name)

    def hop(self, holder, holder_type, word, item):
        """``(holder's type or zone, member, type of the item reached)`` of the word ``word`` in item ``holder``."""
        off = word - int(self.items.starts[holder])
        if holder_type is None:
            zone = self.rows[holder][0] or "malloc large"
            return zone, f"+{off:#x}", None
        path, leaf = self.member_at(holder_type, off)
        return holder_type.name, path, self.pointee(leaf, item)


def _append(path, name, member, addr, link):
    """``path`` (hops ``(name, members, holder address or None, link)``) with one more hop.
    ``link``: the holder and the item are of one type (``le_next`` from element to element):
    a run of such hops becomes one list hop naming the members it went through; a hop equal to
    the last one (an untyped list) is folded into it."""
    last = path[-1] if path else None
    if last is not None and last[0] == name and last[3] == link and \
            (link or last[1] in ((member,), (member + REPEATED,))):
        members = tuple(sorted(set(last[1]) | {member})) if link else (member + REPEATED,)
        return path[:-1] + ((name, members, None, link),)
    return path + ((name, (member,), addr, link),)


def hop_text(hop):
    name, members, _, link = hop
    if not link:
        return name + members[0]
    inner = members[0] if len(members) == 1 else "{" + ", ".join(m.lstrip(".")
                                                                for m in members) + "}"
    return f"{name}{'.' if len(members) > 1 else ''}{inner} (list)"


def paths(target, items, rows, result, wanted):
    """``{item id: (root, hops, type or None)}`` for the reached items of ``wanted``, and the
    typer (its notes).  Each item's path is built from its holder's, once."""
    typer = _Typer(target, items, rows, result)
    memo = {}
    holder, word, hsrc = result.holder, result.holder_word, result.holder_source
    for i in wanted:
        if not result.reached(i):
            continue
        stack = []
        j = i
        while j not in memo and len(stack) <= len(holder):
            stack.append(j)
            h = int(holder[j])
            if h == FROM_SOURCE:
                break
            j = h
        for j in reversed(stack):
            h, w = int(holder[j]), int(word[j])
            if h == FROM_SOURCE:
                root, t = typer.root(result.sources[hsrc[j]], w, j)
                memo[j] = (root, (), t)
            else:
                root, hops, ht = memo[h]
                name, member, t = typer.hop(h, ht, w, j)
                link = t.name == ht.name if t is not None and ht is not None else \
                    t is None and ht is None and rows[h][0] == rows[j][0]
                memo[j] = (root, _append(hops, name, member, int(items.starts[h]), link), t)
    return {i: memo[i] for i in wanted if i in memo}, typer


def hop_name(text, addrs):
    """The hop's text, with the holder's address when one item holds the whole group."""
    if len(addrs) == 1 and None not in addrs:
        kind, dot, member = text.partition(".")
        return f"{kind}@{next(iter(addrs)):#x}{dot}{member}"
    return text


def item_holders(target, index, starts):
    """``{item start: (root, hops, type name or None)}`` of the reached allocated items that
    start at ``starts`` (kmem-whatis --holder): every holder on the path named by address."""
    from .findleaks import reachability
    items, rows, result, _ = reachability(target, index)
    wanted = set(starts)
    ids = sorted({k for k in (bisect.bisect_left(items.starts, a) for a in wanted)
                  if k < len(items.starts) and items.starts[k] in wanted})
    found, _ = paths(target, items, rows, result, ids)
    return {int(items.starts[i]): (root, tuple(hop_name(hop_text(h), {h[2]}) for h in hops),
                                   t.name if t is not None else None)
            for i, (root, hops, t) in found.items()}


def type_counts(target, index, wanted):
    """``[(type name, or None: untyped, or "unreached"; items)]`` of the allocated items
    ``wanted`` (a predicate as ``holders``'), most items first (uma-items --summary --types)."""
    from .findleaks import reachability
    items, rows, result, _ = reachability(target, index)
    ids = [i for i, (z, sz, _) in enumerate(rows) if wanted(int(items.starts[i]), z, sz)]
    found, _ = paths(target, items, rows, result, ids)
    counts = Counter(("unreached" if i not in found else
                      found[i][2].name if found[i][2] is not None else None) for i in ids)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))


def holders(target, index, wanted, depth=None, limit=MAX_GROUPS, samples=4) -> HolderReport:
    """Group the allocated items ``wanted`` (a predicate on ``(item start, zone, size)``) by
    their path from a root; ``depth``: keep only that many hops nearest the items."""
    from .findleaks import reachability
    items, rows, result, warnings = reachability(target, index)
    ids = [i for i, (z, sz, _) in enumerate(rows) if wanted(int(items.starts[i]), z, sz)]
    found, typer = paths(target, items, rows, result, ids)
    groups: Dict = {}
    for i in ids:
        if i not in found:
            continue
        root, hops, t = found[i]
        if depth is not None and len(hops) > depth:
            hops = (("...", ("",), None, False),) + (hops[len(hops) - depth:] if depth else ())
        key = (root, tuple(hop_text(h) for h in hops), t.name if t is not None else None)
        g = groups.setdefault(key, [[], [set() for _ in hops]])
        g[0].append(i)
        for k, h in enumerate(hops):
            if len(g[1][k]) < 2:
                g[1][k].add(h[2])
    out = []
    for (root, hop_strings, tname), (members, addrs) in groups.items():
        path = tuple(hop_name(s, a) for s, a in zip(hop_strings, addrs))
        size = sum(rows[i][1] for i in members)
        out.append(HolderGroup(root, path, tname, len(members), size,
                               tuple(int(items.starts[i]) for i in members[:samples])))
    out.sort(key=lambda g: (-g.bytes, -g.items, g.root, g.path))
    notes = tuple(f"{n} hops named zone+offset: {why}" for why, n in sorted(typer.untyped.items()))
    return HolderReport(tuple(out[:limit]), len(ids), len(ids) - len(found),
                        max(0, len(out) - limit), notes,
                        tuple(list(index.warnings) + warnings + result.warnings))
