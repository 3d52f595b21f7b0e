"""The item index on the fake kernel: every era's slab encoding, item states and places, and
damaged slabs (bad pointers, cycles, impossible free counts, unmapped items) as named warnings
with partial answers."""

import io
import json

import pytest

from kmemdbg.alloc.items import KINDS, WHERE, ItemIndex, item_index
from kmemdbg.commands import run_command
from kmemdbg.commands.kmem_whatis import KMEM_WHATIS
from kmemdbg.commands.uma_items import UMA_ITEMS

from eras import IMAGES
from kbuild import FakeKernel
from kslabs import SlabBuilder

SPECS = {s.name: s for s in (KMEM_WHATIS, UMA_ITEMS)}
IPERS, SIZE = 8, 64


def build(era, arch="amd64", offpage=False):
    """A keg "thing" with a partly free slab (items 0 and 3 free in the slab, 5 in CPU 1's
    alloc bucket, 6 in the zone's bucket cache) and a full slab."""
    fk = FakeKernel(era, arch, cpus=(0, 1))
    sb = SlabBuilder(fk)
    keg = fk.keg(SIZE, ipers=IPERS)
    part, data = sb.add(keg, IPERS, SIZE, [0, 3], "part", offpage=offpage)
    full, data2 = sb.add(keg, IPERS, SIZE, [], "full", offpage=offpage)
    zone_cache = sb.bucket([data + 6 * SIZE])
    zone = fk.zone(keg, "thing", buckets=[zone_cache] if fk.n <= 11 else [[zone_cache]])
    sb.cpu_bucket(zone, 1, "uc_allocbucket", [data + 5 * SIZE])
    return fk, sb, keg, zone, (part, data), (full, data2)


@pytest.mark.parametrize("era,arch", IMAGES)
def test_states_and_places(era, arch):
    fk, sb, keg, zone, (part, data), (full, data2) = build(era, arch)
    idx = ItemIndex(fk.t)
    assert idx.warnings == []
    r = idx.lookup(data + 3 * SIZE + 5)
    assert (r["kind"], r["item"], r["index"], r["offset"], r["state"], r["where"], r["slab"]) == \
        ("uma-item", data + 3 * SIZE, 3, 5, "free", "keg", part)
    assert (r["keg"], r["zone"], r["zones"], r["size"], r["rsize"]) == (keg, "thing", ["thing"],
                                                                        SIZE, SIZE)
    r = idx.lookup(data + 5 * SIZE)
    assert (r["state"], r["where"], r["cpu"]) == ("free", "cpu-alloc-bucket", 1)
    r = idx.lookup(data + 6 * SIZE + SIZE - 1)
    assert (r["state"], r["where"], r["cpu"], r["offset"]) == ("free", "zone-cache", None, SIZE - 1)
    assert idx.lookup(data + SIZE)["state"] == "allocated"
    assert idx.lookup(data2 + 7 * SIZE)["state"] == "allocated"
    r = idx.lookup(part + 2)
    assert (r["kind"], r["item"], r["offset"], r["size"]) == ("uma-slab-header", part, 2,
                                                              sb.header_size(IPERS))
    records = list(idx.zone_items([zone]))
    assert all(r["kind"] in KINDS and r["where"] in WHERE + (None,) for r in records)
    states = [(r["index"], r["state"], r["where"]) for r in records]
    assert len(states) == 2 * IPERS
    assert sum(s == "free" for _, s, _ in states) == 4
    assert idx.lookup(0)["kind"] == "unknown" and idx.lookup(0x10)["note"].startswith("unmapped")


@pytest.mark.parametrize("era", ["fbsd11", "fbsd13"])
def test_offpage_headers(era):
    fk, sb, keg, zone, (part, data), _ = build(era, offpage=True)
    idx = ItemIndex(fk.t)
    assert idx.warnings == []
    r = idx.lookup(data + 3 * SIZE)
    assert (r["state"], r["slab"]) == ("free", part)
    assert idx.lookup(data + IPERS * SIZE)["kind"] == "unknown"   # past the items, no header


def test_per_cpu_items_are_their_cpu0_copy():
    """UMA_ZONE_PCPU: a slab of one page per CPU; CPU 1's copy of item 2 is item 2."""
    fk = FakeKernel("fbsd13", cpus=(0, 1))
    sb = SlabBuilder(fk)
    keg = fk.keg(8, ipers=4, ppera=2)
    hdr, data = sb.add(keg, 4, 8, [3], "part", offpage=True, ppera=2)
    fk.zone(keg, "pcpu-8")
    r = ItemIndex(fk.t).lookup(data + 4096 + 2 * 8 + 1)
    assert (r["item"], r["index"], r["offset"], r["state"]) == (data + 16, 2, 4096 + 1, "allocated")


@pytest.mark.parametrize("era", ["fbsd9", "fbsd11", "fbsd12"])
def test_large_malloc_through_its_uma_slab_malloc_header(era):
    """<= 12: uma_large_malloc takes a header from "UMA Slabs" flagged UMA_SLAB_MALLOC."""
    fk = FakeKernel(era, cpus=(0, 1))
    sb = SlabBuilder(fk)
    hsize = sb.sl.size
    keg = fk.keg(hsize, ipers=4, flags=0x20000000)       # UMA_ZFLAG_INTERNAL
    _, data = sb.add(keg, 4, hsize, [2, 3], "part")
    fk.zone(keg, "UMA Slabs")
    mem = fk.t.alloc_pages(3)
    head = "us_head." if fk.n <= 9 else ""
    fk.t.put(data + hsize, "struct uma_slab", {head + "us_flags": 0x10, head + "us_data": mem,
                                                head + "us_type._us_size": 3 * 4096})
    idx = ItemIndex(fk.t)
    r = idx.lookup(mem + 5000)
    assert (r["kind"], r["item"], r["offset"], r["size"], r["slab"]) == (
        "malloc-large", mem, 5000, 3 * 4096, data + hsize)
    assert "malloc(9) large allocation" in idx.lookup(data + hsize)["note"]
    assert idx.lookup(data)["kind"] == "uma-item" and len(idx.large) == 1   # flags 0: not large


@pytest.mark.parametrize("kmem", [4 << 20, None])
def test_large_malloc_size_beyond_kmem_is_named_and_ignored(kmem):
    """A corrupt us_size (1 TiB with 4 MiB of kmem; past the end of the address space without a
    limit to read) claimed every address after it, and kmem-findleaks failed on it."""
    fk = FakeKernel("fbsd11", cpus=(0, 1))
    if kmem:
        fk.t.add_symbol("vm_kmem_size", "u_long", kmem)
    sb = SlabBuilder(fk)
    hsize = sb.sl.size
    keg = fk.keg(hsize, ipers=4, flags=0x20000000)       # UMA_ZFLAG_INTERNAL
    _, data = sb.add(keg, 4, hsize, [3], "part")
    fk.zone(keg, "UMA Slabs")
    good, bad = fk.t.alloc_pages(2), fk.t.alloc_pages(1)
    size = 1 << 40 if kmem else (1 << 64) - 4096
    for i, (mem, n) in enumerate(((good, 2 * 4096), (bad, size))):
        fk.t.put(data + i * hsize, "struct uma_slab", {"us_flags": 0x10, "us_data": mem,
                                                        "us_type._us_size": n})
    idx = ItemIndex(fk.t)
    limit = f"kmem holds (vm_kmem_size {kmem})" if kmem else "the address space"
    assert idx.warnings == [f"malloc(9) large allocation at {bad:#x} (slab header "
                            f"{data + hsize:#x}): us_size {size} is more than {limit}: ignored"]
    assert idx.lookup(bad + 8)["kind"] == "unknown"
    assert idx.lookup(good + 4097)["kind"] == "malloc-large"


@pytest.mark.parametrize("era", ["fbsd11", "fbsd13"])
def test_items_cached_by_a_cache_only_zone(era):
    """mbuf_packet-like cache zones keep other kegs' items in their buckets: free there."""
    fk, sb, keg, zone, (part, data), _ = build(era)
    cz = fk.zone(None, "packets", size=SIZE)
    sb.cpu_bucket(cz, 0, "uc_freebucket", [data + 2 * SIZE])
    r = ItemIndex(fk.t).lookup(data + 2 * SIZE)
    assert (r["state"], r["where"], r["cpu"], r["zone"], r["zones"]) == (
        "free", "cpu-free-bucket", 0, "packets", ["thing"])


def test_refcnt_slabs_free_list_stride():
    """6.x-9.x UMA_ZONE_REFCNT kegs (mbuf clusters): free list entries of 8 bytes."""
    fk = FakeKernel("fbsd9", cpus=(0, 1))
    sb = SlabBuilder(fk)
    keg = fk.keg(2048, ipers=2, flags=0x400)
    hdr, data = sb.add(keg, 2, 2048, [0, 1], "free", offpage=True, stride=8)
    fk.zone(keg, "mbuf_cluster")
    idx = ItemIndex(fk.t)
    assert idx.warnings == [] and idx.lookup(data + 2048)["state"] == "free"


def test_index_cached_on_a_core_rebuilt_on_a_live_target():
    fk, *_ = build("fbsd13")
    assert item_index(fk.t) is item_index(fk.t)
    fk.t.is_live = True
    assert item_index(fk.t) is not item_index(fk.t)


# --- damaged slabs -----------------------------------------------------------------------------

def test_unreadable_slab_pointer_warns_and_keeps_the_rest():
    fk, sb, keg, zone, (part, data), _ = build("fbsd13")
    fk.t.write_int(sb.list_head(keg, "full"), 8, 0xdead0000)
    idx = ItemIndex(fk.t)
    assert any("keg 'thing' full slab list" in w and "0xdead" in w for w in idx.warnings)
    assert idx.lookup(data + 3 * SIZE)["state"] == "free"


@pytest.mark.parametrize("era", ["fbsd6", "fbsd13"])
def test_slab_list_cycle(era):
    fk, sb, keg, zone, (part, data), _ = build(era, "i386" if era == "fbsd6" else "amd64")
    link = sb.sl.offset("us_link") if fk.n >= 13 else \
        fk.types.layout("struct uma_slab_head").offset("us_type")
    fk.t.write_int(part + link, fk.t.pointer_size, part)
    idx = ItemIndex(fk.t)
    assert any("cycle" in w and "part slab list" in w for w in idx.warnings)
    assert idx.lookup(data + 3 * SIZE)["state"] == "free"


@pytest.mark.parametrize("era", ["fbsd6", "fbsd13"])
def test_keg_geometry_that_cannot_be_is_named_and_not_read(era):
    """A uk_size and uk_rsize of 0xffffffff (a 4 GiB item in a one-page slab): the keg is named
    and its slabs left unread, where they were read and scanned as 4 GiB items."""
    fk, sb, keg, zone, (part, data), _ = build(era, "i386" if era == "fbsd6" else "amd64")
    fk.t.put(keg, "struct uma_keg", {"uk_size": 0xFFFFFFFF, "uk_rsize": 0xFFFFFFFF})
    idx = ItemIndex(fk.t)
    assert any(f"keg 'thing' at {keg:#x}" in w and "4294967295 bytes" in w and
               "exceed the 4096-byte slab" in w for w in idx.warnings), idx.warnings
    assert idx.lookup(data + SIZE)["kind"] == "unknown"
    rc, out = run(fk.t, "uma-items", "thing", "--summary")
    assert rc == 0 and "exceed the 4096-byte slab" in out


def test_one_slab_on_two_kegs_lists():
    """A keg's list head pointing into another keg's list: the slab the other keg's header
    names is kept, the claim of the wrong keg named (the index had failed to sort them)."""
    fk, sb, keg, zone, (part, data), _ = build("fbsd11")
    other = fk.keg(SIZE, ipers=IPERS)
    fk.zone(other, "other")
    fk.t.write_int(sb.list_head(other, "part"), fk.t.pointer_size, part)
    idx = ItemIndex(fk.t)
    assert any(f"slab {part:#x} of keg {other:#x} claims the items at {data:#x}" in w and
               f"of keg {keg:#x}: ignored" in w for w in idx.warnings), idx.warnings
    r = idx.lookup(data + 3 * SIZE)
    assert (r["keg"], r["zone"], r["state"]) == (keg, "thing", "free")


@pytest.mark.parametrize("era", ["fbsd6", "fbsd11"])
def test_in_page_header_with_a_damaged_us_data(era):
    """<= 12 an in-page header also records its items' address: damaged, the header's own place
    says where they are (the items had been put at 0xfffffffffffff000, or at 0)."""
    fk, sb, keg, zone, (part, data), _ = build(era, "i386" if era == "fbsd6" else "amd64")
    member = "us_head.us_data" if fk.n <= 9 else "us_data"
    bad = (1 << 8 * fk.t.pointer_size) - 4096
    fk.t.put(part, "struct uma_slab", {member: bad})
    idx = ItemIndex(fk.t)
    assert any(f"slab {part:#x}: us_data = {bad:#x}, not the slab holding the header "
               f"({data:#x}" in w for w in idx.warnings), idx.warnings
    r = idx.lookup(data + 3 * SIZE + 1)
    assert (r["kind"], r["item"], r["slab"], r["state"]) == ("uma-item", data + 3 * SIZE, part,
                                                             None)
    assert idx.lookup(bad + 1)["kind"] == "unknown"


def test_bitset_claiming_too_many_free_items():
    fk, sb, keg, zone, (part, data), _ = build("fbsd13")
    fk.t.write(part + sb.sl.offset("us_free"), (0xffff).to_bytes(8, "little"))
    idx = ItemIndex(fk.t)
    assert any("us_free bitset has 16 bits set" in w and f"{part:#x}" in w for w in idx.warnings)
    r = idx.lookup(data + SIZE)
    assert (r["kind"], r["index"], r["state"]) == ("uma-item", 1, None)   # partial answer


def test_free_list_leaving_the_slab():
    fk, sb, keg, zone, (part, data), _ = build("fbsd6", "i386")
    fk.t.write_int(part + sb.sl.offset("us_freelist") + 0, 1, 200)
    idx = ItemIndex(fk.t)
    assert any("free list reaches item 200" in w for w in idx.warnings)


def test_item_in_two_buckets():
    fk, sb, keg, zone, (part, data), _ = build("fbsd13")
    sb.cpu_bucket(zone, 0, "uc_freebucket", [data + 6 * SIZE])     # also in the zone cache
    idx = ItemIndex(fk.t)
    assert any(f"item {data + 6 * SIZE:#x} is also in" in w for w in idx.warnings)
    assert idx.lookup(data + 6 * SIZE)["state"] == "free"


def test_a_damaged_bucket_is_one_warning_per_kind_of_damage():
    """A bucket full of garbage (or pointed at another bucket) names its count and the first
    entries once, not one line per entry."""
    fk, sb, keg, zone, (part, data), (full, data2) = build("fbsd13")
    garbage = [0xbad000 + 8 * i for i in range(5)]
    sb.cpu_bucket(zone, 0, "uc_freebucket", garbage + [data, data + 3 * SIZE])
    sb.cpu_bucket(zone, 1, "uc_freebucket", [data2 + i * SIZE for i in range(4)])
    sb.cpu_bucket(zone, 0, "uc_crossbucket", [data2 + i * SIZE for i in range(4)])
    warnings = ItemIndex(fk.t).warnings
    mine = [w for w in warnings if "uc_freebucket" in w or "uc_crossbucket" in w]
    assert mine.count("zone 'thing' CPU 0 uc_freebucket: 5 entries are no item of keg 'thing' "
                      "(0xbad000, 0xbad008, 0xbad010 and 2 more)") == 1
    assert f"zone 'thing' CPU 0 uc_freebucket: 2 items are also free in their slabs " \
           f"({data:#x}, {data + 3 * SIZE:#x})" in mine
    repeated = [w for w in mine if "are also in" in w]
    assert len(repeated) == 1 and repeated[0].startswith("zone 'thing' CPU ") and \
        "4 items are also in" in repeated[0] and f"({data2:#x}, " in repeated[0], mine
    assert len(mine) == 3, mine


def test_bucket_item_outside_the_keg_and_unmapped_items():
    fk, sb, keg, zone, (part, data), (full, data2) = build("fbsd12", offpage=True)
    sb.cpu_bucket(zone, 0, "uc_freebucket", [0xbad000])
    fk.t.unmap(data2, 4096)
    idx = ItemIndex(fk.t)
    assert any("zone 'thing' CPU 0 uc_freebucket: 0xbad000 is no item" in w for w in idx.warnings)
    assert idx.lookup(data2 + SIZE)["state"] == "allocated"   # the index needs no item reads
    fk.t.unmap(part, 1)                                       # an off-page header lost too
    assert any(f"{part:#x}" in w for w in ItemIndex(fk.t).warnings)
    rc, out = run(fk.t, "uma-items", "thing", "--summary")
    assert rc == 0 and "cannot read" in out and "allocated items of zone 'thing'" in out


# --- the commands --------------------------------------------------------------------------------

def run(target, name, *argv):
    out = io.StringIO()
    rc = run_command(SPECS[name], lambda: target, list(argv), out)
    return rc, out.getvalue()


def test_commands_json_csv_and_text(tmp_path):
    fk, sb, keg, zone, (part, data), _ = build("fbsd13")
    f = tmp_path / "addrs"
    f.write_text(f"{data + 5 * SIZE:#x}  # a comment\n{part:#x}\n")
    rc, out = run(fk.t, "kmem-whatis", "--file", str(f), "0", "--format", "json")
    doc = json.loads(out)
    assert rc == 0 and doc["warnings"] == []
    assert [r["kind"] for r in doc["kmem-whatis"]] == ["unknown", "uma-item", "uma-slab-header"]
    rc, out = run(fk.t, "kmem-whatis", hex(data + 5 * SIZE))
    assert "free in CPU 1's alloc bucket" in out
    rc, out = run(fk.t, "uma-items", "thing", "--free", "--format", "json")
    assert [r["index"] for r in json.loads(out)["uma-items"]] == [0, 3, 5, 6]
    rc, out = run(fk.t, "uma-items", "thing", "--allocated", "--limit", "2", "--format", "csv")
    assert len(out.splitlines()) == 3 and out.startswith("address,kind,keg,zone,")
    rc, out = run(fk.t, "uma-items", "thing", "--where")
    assert "cpu-alloc-bucket" in out and "zone-cache" in out
    rc, out = run(fk.t, "uma-items", "thing", "--summary", "--format", "json")
    summary = json.loads(out)["uma-items --summary"]
    assert summary["allocated"] == 2 * IPERS - 4 and summary["groups"][0]["word0"] == "NULL"


@pytest.mark.parametrize("argv", [["kmem-whatis"], ["kmem-whatis", "nothex"],
                                  ["kmem-whatis", "--file", "/nonexistent/x"],
                                  ["uma-items", "nosuchzone"], ["uma-items", "thing", "--limit", "-1"],
                                  ["uma-items", "thing", "--free", "--allocated"]])
def test_usage_errors(argv):
    fk, *_ = build("fbsd13")
    rc, out = run(fk.t, *argv)
    assert rc == 2 and out.startswith("kmemdbg: error:") and "Traceback" not in out


def test_file_with_a_bad_line_and_an_unknown_symbol(tmp_path):
    fk, *_ = build("fbsd13")
    f = tmp_path / "addrs"
    f.write_text("0x1000\n# fine\nmp_maxid+8\n0xzz\n")
    rc, out = run(fk.t, "kmem-whatis", "--file", str(f))
    assert rc == 2 and f"--file {f} line 4: not an address or symbol: '0xzz'" in out
    rc, out = run(fk.t, "kmem-whatis", "no_such_variable")
    assert rc == 2 and "no kernel variable named 'no_such_variable'" in out
    rc, out = run(fk.t, "kmem-whatis", "mp_maxid+2", "--format", "json")
    r, = json.loads(out)["kmem-whatis"]
    assert r["address"] == fk.t.symbol_address("mp_maxid") + 2


def test_stable_order_without_numpy_is_the_same(monkeypatch):
    import builtins
    from array import array
    from kmemdbg.alloc import items
    values = array("Q", [5, 1, 5, 0, 1 << 63, 3, 1])
    with_numpy = items._stable_order(values)
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: (
        (_ for _ in ()).throw(ImportError(name)) if name == "numpy" else real_import(name, *a, **k)))
    assert items._stable_order(values) == with_numpy == [3, 1, 6, 5, 0, 2, 4]


def test_a_name_several_zones_carry_lists_every_keg():
    """MALLOC_DEBUG_MAXZONES kernels: several "malloc-16" zones, each on its own keg."""
    fk = FakeKernel("fbsd14", cpus=(0, 1))
    sb = SlabBuilder(fk)
    datas = []
    for _ in range(2):
        keg = fk.keg(16, ipers=4)
        datas.append(sb.add(keg, 4, 16, [1], "part")[1])
        fk.zone(keg, "malloc-16")
    rc, out = run(fk.t, "uma-items", "malloc-16", "--format", "json")
    items = [r["item"] for r in json.loads(out)["uma-items"]]
    assert items == sorted(d + i * 16 for d in datas for i in range(4))
