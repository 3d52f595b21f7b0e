"""The DPCPU areas as scan sources (leak/roots.py) on a fake kernel: one ``dpcpu N`` source per
present CPU, the set ``[__start_set_pcpu, __stop_set_pcpu)`` moved by ``dpcpu_off[N]`` (a copy
below the set has a wrapped offset); items held only from a CPU's copy are reached, not leaks;
kmem-holders names their root by the DPCPU variable at that place in the set, or ``dpcpu N+off``
where the set has no symbol; no set: no sources and no warning; an unreadable ``dpcpu_off``: a
warning naming it."""

from kmemdbg.alloc.items import ItemIndex
from kmemdbg.leak.findleaks import find_leaks
from kmemdbg.leak.holders import holders
from kmemdbg.leak.roots import scan_sources

from kbuild import FakeKernel
from kslabs import SlabBuilder

SIZE, CPUS, MODMIN = 64, (0, 1, 3), 2048


def kernel(with_set=True):
    """Zone "thing", one full slab of 8 items.  The DPCPU set: ``pcpu_entry_modspace`` (the
    modules' reserve) then ``pcpu_entry_ws`` (a ``struct ws``), then 64 bytes no symbol
    covers.  CPU 0's copy lies below the set, CPUs 1 and 3's above it.  CPU 1's ``ws.head``
    holds item 0, whose ``next`` holds item 1; CPU 3's copy holds item 2 in the unnamed tail;
    the set itself (the template) holds item 7, which no CPU's copy does.  Returns the fake
    kernel, the items, the set's start and each CPU's copy."""
    fk = FakeKernel("fbsd13", "amd64", cpus=CPUS)
    t, ct, ps = fk.t, fk.types, fk.t.pointer_size
    sb = SlabBuilder(fk)
    keg = fk.keg(SIZE, ipers=8)
    _, slab = sb.add(keg, 8, SIZE, [], "full")
    fk.zone(keg, "thing")
    item = [slab + i * SIZE for i in range(8)]
    fk.no_processes()
    data = t.alloc(64)
    t.add_data_section("kernel", ".data", data, data + 64, main=True)
    ct.struct("node", [("struct node *", "next"), ("long", "len")])
    ct.struct("ws", [("int", "cpu"), ("struct node *", "head"), ("struct node *", "tail")])
    if not with_set:
        return fk, item, None, {}
    copies = {0: t.alloc_pages(1)}                       # below the set: offset wraps
    start = t.alloc_pages(1)
    t.add_symbol("__start_set_pcpu", "char", addr=start)
    t.add_symbol("pcpu_entry_modspace", f"char[{MODMIN}]", addr=start)
    ws = t.add_symbol("pcpu_entry_ws", "struct ws", addr=start + MODMIN)
    stop = ws + t.type_size("struct ws") + 64
    t.add_symbol("__stop_set_pcpu", "char", addr=stop)
    copies.update({c: t.alloc_pages(1) for c in CPUS[1:]})
    off = t.add_symbol("dpcpu_off", f"unsigned long[{fk.maxcpu}]")
    for c, copy in copies.items():
        t.write_int(off + c * ps, ps, (copy - start) % (1 << 64))
    head = MODMIN + t.layout("struct ws").offset("head")
    t.write_int(copies[1] + head, ps, item[0])
    t.write_int(item[0], ps, item[1])
    t.write_int(copies[3] + stop - start - 16, ps, item[2])
    t.write_int(ws + t.layout("struct ws").offset("head"), ps, item[7])
    return fk, item, start, copies


def test_one_source_per_present_cpu():
    fk, _, start, copies = kernel()
    sources, warnings = scan_sources(fk.t)
    assert warnings == []
    size = fk.t.symbol_address("__stop_set_pcpu") - start
    assert copies[0] < start < copies[1]
    assert [(s.name, s.start, s.end) for s in sources if s.name.startswith("dpcpu")] == \
        [(f"dpcpu {c}", copies[c], copies[c] + size) for c in CPUS]


def test_items_held_from_a_dpcpu_copy_are_reached_and_named():
    fk, item, start, _ = kernel()
    report = find_leaks(fk.t, ItemIndex(fk.t), samples=10)
    [g] = report.groups
    assert list(g.samples) == item[3:] and report.warnings == ()  # item 7: only the template
    found = holders(fk.t, ItemIndex(fk.t), lambda a, z, s: z == "thing", samples=8)
    got = {(g.root, g.path, g.type): list(g.samples) for g in found.groups}
    tail = fk.t.symbol_address("__stop_set_pcpu") - start - 16
    assert got == {
        ("dpcpu pcpu_entry_ws.head", (), "struct node"): [item[0]],
        ("dpcpu pcpu_entry_ws.head", (f"struct node@{item[0]:#x}.next (list)",), "struct node"):
            [item[1]],
        (f"dpcpu 3+{tail:#x}", (), None): [item[2]]}


def test_no_set_no_sources_and_no_warning():
    fk, item, _, _ = kernel(with_set=False)
    sources, warnings = scan_sources(fk.t)
    assert warnings == [] and not [s for s in sources if s.name.startswith("dpcpu")]
    [g] = find_leaks(fk.t, ItemIndex(fk.t), samples=10).groups
    assert list(g.samples) == item


def test_unreadable_dpcpu_off_is_a_warning():
    fk, _, _, _ = kernel()
    t = fk.t
    addr, typ = t.symbols["dpcpu_off"]
    t.symbols["dpcpu_off"] = (0x7ff000000000, typ)          # no page mapped there
    sources, warnings = scan_sources(t)
    assert not [s for s in sources if s.name.startswith("dpcpu")]
    assert len(warnings) == 1 and warnings[0].startswith("DPCPU areas not scanned: ")
    assert "dpcpu_off[0..3]" in warnings[0]
    del t.symbols["dpcpu_off"]
    _, warnings = scan_sources(t)
    assert len(warnings) == 1 and "'dpcpu_off' not found" in warnings[0]
