"""kmem-holders on the fake kernel: items grouped by their path from a typed global, hops named
by the DWARF types that pointer members propagate (through an anonymous LIST_HEAD and
LIST_ENTRY), list hops folded, the holder instance named, and the fallbacks to zone+offset (a
``void *``, a pointee bigger than the item) noted; the command's selections and output."""

import io
import json

import pytest

from kmemdbg.alloc.items import ItemIndex
from kmemdbg.commands import run_command
from kmemdbg.commands.kmem_holders import KMEM_HOLDERS
from kmemdbg.leak.holders import holders

from eras import IMAGES
from kbuild import FakeKernel
from kslabs import SlabBuilder

SIZE = 64


def kernel(era, arch):
    """Zone "thing", one full slab of 8 items: the global ``hold`` points at item 0 (a struct
    holder), whose list holds nodes 1 -> 2 -> 3; node 3's ``void *data`` points at item 4, node
    2's ``struct big *bigp`` at item 5 (a struct big does not fit); 6 and 7 are reached by
    nothing.  Returns the target and the items' addresses."""
    fk = FakeKernel(era, arch, cpus=(0, 1))
    t = fk.t
    sb = SlabBuilder(fk)
    keg = fk.keg(SIZE, ipers=8)
    _, slab = sb.add(keg, 8, SIZE, [], "full")
    fk.zone(keg, "thing")
    ct = fk.types
    ct.struct("proc", [(ct.list_entry("proc"), "p_list"), (ct.stailq_head("thread"), "p_threads")])
    ct.struct("thread", [(ct.stailq_entry("thread"), "td_plist"), ("int", "td_tid"),
                         ("unsigned long", "td_kstack"), ("int", "td_kstack_pages")])
    t.add_symbol("allproc", "struct proc *")
    ct.struct("big", [("char[200]", "pad")])
    ct.struct("node", [(ct.list_entry("node"), "link"), ("void *", "data"),
                       ("struct big *", "bigp")])
    ct.struct("holder", [("int", "n"), (ct.list_head("node"), "nodes")])
    item = [slab + i * SIZE for i in range(8)]
    hold = t.add_symbol("hold", "struct holder *", item[0])
    t.add_data_section("kernel", ".data", hold, hold + 64, main=True)
    ps, node = t.pointer_size, t.layout("struct node")
    t.write_int(item[0] + t.layout("struct holder").offset("nodes"), ps, item[1])
    t.write_int(item[1] + node.offset("link"), ps, item[2])
    t.write_int(item[2] + node.offset("link"), ps, item[3])
    t.write_int(item[3] + node.offset("data"), ps, item[4])
    t.write_int(item[2] + node.offset("bigp"), ps, item[5])
    return t, item


@pytest.mark.parametrize("era,arch", [i for i in IMAGES if i[0] in ("fbsd6", "fbsd12", "fbsd14")])
def test_paths_typed_from_the_root(era, arch):
    t, item = kernel(era, arch)
    report = holders(t, ItemIndex(t), lambda a, z, s: z == "thing", samples=8)
    got = {(g.root, g.path, g.type): list(g.samples) for g in report.groups}
    head = f"struct holder@{item[0]:#x}.nodes.lh_first"
    assert got == {
        ("hold", (), "struct holder"): [item[0]],
        ("hold", (head,), "struct node"): [item[1]],
        ("hold", (head, "struct node.link.le_next (list)"), "struct node"): item[2:4],
        ("hold", (head, "struct node.link.le_next (list)", f"struct node@{item[3]:#x}.data"),
         None): [item[4]],
        ("hold", (head, f"struct node@{item[1]:#x}.link.le_next (list)",
                  f"struct node@{item[2]:#x}.bigp"), None): [item[5]]}
    assert (report.selected, report.unreached, report.more) == (8, 2, 0)
    assert report.notes == ("1 hops named zone+offset: conflict: struct big is bigger than the "
                            "item", "1 hops named zone+offset: untyped pointer")
    assert report.groups[0].items == 2 and report.groups[0].bytes == 2 * SIZE


def test_depth_limit_and_one_item():
    t, item = kernel("fbsd13", "amd64")
    report = holders(t, ItemIndex(t), lambda a, z, s: z == "thing", depth=1, limit=2)
    assert [len(g.path) for g in report.groups] == [2, 0] and report.more == 3
    assert report.groups[0].path[0] == "..."
    one = holders(t, ItemIndex(t), lambda a, z, s: a == item[4])
    [g] = one.groups
    assert g.samples == (item[4],) and g.path[-1] == f"struct node@{item[3]:#x}.data"


def test_command():
    t, item = kernel("fbsd13", "amd64")
    out = io.StringIO()
    assert run_command(KMEM_HOLDERS, lambda: t, ["thing", "--format", "json"], out) == 0
    doc = json.loads(out.getvalue())
    assert len(doc["kmem-holders"]["groups"]) == 5 and doc["warnings"] == []
    assert set(doc["kmem-holders"]["groups"][0]) >= {"root", "path", "items", "bytes", "samples"}
    out = io.StringIO()
    assert run_command(KMEM_HOLDERS, lambda: t, [f"{item[2] + 8:#x}"], out) == 0
    text = out.getvalue()
    assert "1 items, 64 bytes, struct node" in text and "-> struct node.link.le_next (list)" \
        not in text and f"struct node@{item[1]:#x}.link.le_next (list)" in text
    for args, error in ((["nope"], "no zone named 'nope'"), ([], "give one of"),
                        ([f"{item[7] + SIZE * 8:#x}"], "not inside an allocated item")):
        out = io.StringIO()
        assert run_command(KMEM_HOLDERS, lambda: t, args, out) == 2, args
        assert error in out.getvalue()


def test_whatis_holder():
    from kmemdbg.commands.kmem_whatis import KMEM_WHATIS
    t, item = kernel("fbsd13", "amd64")
    out = io.StringIO()
    args = ["--holder", "--format", "json", f"{item[3] + 4:#x}", f"{item[6]:#x}", "hold"]
    assert run_command(KMEM_WHATIS, lambda: t, args, out) == 0
    node, lost, sym = json.loads(out.getvalue())["kmem-whatis"]
    assert node["type"] == "struct node" and node["holder"] == {
        "root": "hold", "path": [f"struct holder@{item[0]:#x}.nodes.lh_first",
                                 "struct node.link.le_next (list)"]}
    assert lost["holder"] is None and lost["type"] is None and "holder" not in sym
    out = io.StringIO()
    assert run_command(KMEM_WHATIS, lambda: t, ["--holder", f"{item[4]:#x}"], out) == 0
    assert (f"type unknown (untyped path), held by hold -> struct holder@{item[0]:#x}.nodes."
            f"lh_first -> struct node.link.le_next (list) -> struct node@{item[3]:#x}.data"
            ) in out.getvalue()


def test_uma_items_summary_types():
    from kmemdbg.commands.uma_items import UMA_ITEMS
    t, item = kernel("fbsd13", "amd64")
    out = io.StringIO()
    assert run_command(UMA_ITEMS, lambda: t, ["thing", "--summary", "--types", "--format",
                                              "json"], out) == 0
    doc = json.loads(out.getvalue())["uma-items --summary"]
    assert doc["types"] == [{"type": "struct node", "items": 3}, {"type": None, "items": 2},
                            {"type": "unreached", "items": 2},
                            {"type": "struct holder", "items": 1}]
    out = io.StringIO()
    assert run_command(UMA_ITEMS, lambda: t, ["thing", "--summary", "--types"], out) == 0
    assert ("inferred types (kmem-holders): struct node 3, untyped 2, reached by nothing 2, "
            "struct holder 1\n") in out.getvalue()
    out = io.StringIO()
    assert run_command(UMA_ITEMS, lambda: t, ["thing", "--types"], out) == 2
