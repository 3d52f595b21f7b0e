"""kmem-findleaks on the fake kernel: the item index's allocated items, reached or not from a data
section through pointers into (the middle of) items; free items, in their slab or in a bucket,
are never sources; the groups, the filters and the JSON and table output."""

import io
import json

import pytest

from kmemdbg.alloc.items import ItemIndex
from kmemdbg.commands import run_command
from kmemdbg.commands.kmem_findleaks import KMEM_FINDLEAKS
from kmemdbg.leak.findleaks import find_leaks

from eras import IMAGES
from kbuild import FakeKernel
from kslabs import SlabBuilder

IPERS, SIZE = 8, 64


def kernel(era, arch):
    """Keg "thing": a part slab (items 0 and 3 free in the slab, 5 in CPU 1's alloc bucket, 6 in
    the zone's bucket cache) and a full slab; a data section holds a pointer to part item 1, which
    points into part item 2, which points at full item 0.  Free items point at full items 5 and 6.
    Returns the target and the 9 allocated items nothing reaches."""
    fk = FakeKernel(era, arch, cpus=(0, 1))
    t, ps = fk.t, fk.t.pointer_size
    sb = SlabBuilder(fk)
    keg = fk.keg(SIZE, ipers=IPERS)
    _, part = sb.add(keg, IPERS, SIZE, [0, 3], "part")
    _, full = sb.add(keg, IPERS, SIZE, [], "full")
    zone = fk.zone(keg, "thing", buckets=[sb.bucket([part + 6 * SIZE])] if fk.n <= 11 else
                   [[sb.bucket([part + 6 * SIZE])]])
    sb.cpu_bucket(zone, 1, "uc_allocbucket", [part + 5 * SIZE])
    ct = fk.types                                               # no processes on allproc
    ct.struct("proc", [(ct.list_entry("proc"), "p_list"), (ct.stailq_head("thread"), "p_threads")])
    ct.struct("thread", [(ct.stailq_entry("thread"), "td_plist"), ("int", "td_tid"),
                         ("unsigned long", "td_kstack"), ("int", "td_kstack_pages")])
    t.add_symbol("allproc", "struct proc *")
    data = t.alloc(64)
    t.add_data_section("kernel", ".data", data, data + 64, main=True)
    t.write_int(data + 8, ps, part + 1 * SIZE)
    t.write_int(part + 1 * SIZE + ps, ps, part + 2 * SIZE + 24)
    t.write_int(part + 2 * SIZE, ps, full)
    t.write_int(part + 3 * SIZE, ps, full + 5 * SIZE)          # free in its slab
    t.write_int(part + 5 * SIZE, ps, full + 6 * SIZE)          # free in a CPU bucket
    lost = [part + i * SIZE for i in (4, 7)] + [full + i * SIZE for i in range(1, IPERS)]
    return t, lost


@pytest.mark.parametrize("era,arch", [i for i in IMAGES if i[0] in ("fbsd6", "fbsd12", "fbsd14")])
def test_unreached_items_grouped(era, arch):
    t, lost = kernel(era, arch)
    report = find_leaks(t, ItemIndex(t), samples=100)
    [g] = report.groups
    assert (g.zone, g.size, g.items, g.bytes) == ("thing", SIZE, len(lost), len(lost) * SIZE)
    assert list(g.samples) == sorted(lost) and g.types == ()
    assert report.candidates == 12 and report.stats.reached == 3 and report.warnings == ()
    assert find_leaks(t, ItemIndex(t), zone="other").groups == ()
    assert find_leaks(t, ItemIndex(t), size=SIZE * 2).groups == ()


def test_command_json_and_table():
    t, lost = kernel("fbsd13", "amd64")
    out = io.StringIO()
    assert run_command(KMEM_FINDLEAKS, lambda: t, ["--format", "json", "--samples", "2"], out) == 0
    doc = json.loads(out.getvalue())
    [g] = doc["kmem-findleaks"]["groups"]
    assert (g["zone"], g["items"], g["samples"]) == ("thing", len(lost),
                                                     [f"{a:#x}" for a in sorted(lost)[:2]])
    assert doc["kmem-findleaks"]["stats"]["candidates"] == 12 and doc["warnings"] == []
    out = io.StringIO()
    assert run_command(KMEM_FINDLEAKS, lambda: t, ["-v"], out) == 0
    text = out.getvalue()
    assert text.splitlines()[2].split()[:4] == ["thing", "64", "9", "576"]
    assert "scan (" in text and "conservative scan" in text
    out = io.StringIO()
    assert run_command(KMEM_FINDLEAKS, lambda: t, ["--zone", "nope"], out) == 2
    assert "no zone named 'nope'" in out.getvalue()


def test_scan_kept_with_the_index_on_a_core_repeated_on_a_live_target(monkeypatch):
    from kmemdbg.leak import findleaks
    t, _ = kernel("fbsd13", "amd64")
    scans = []
    real = findleaks.scan
    monkeypatch.setattr(findleaks, "scan", lambda *a, **k: scans.append(1) or real(*a, **k))
    index = ItemIndex(t)
    find_leaks(t, index)
    find_leaks(t, index, zone="thing")
    assert len(scans) == 1
    find_leaks(t, ItemIndex(t))                 # a new index: a new scan
    assert len(scans) == 2
    t.is_live = True
    find_leaks(t, index)
    find_leaks(t, index)
    assert len(scans) == 4


@pytest.mark.parametrize("era,arch", [i for i in IMAGES if i[0] in ("fbsd12", "fbsd14")])
def test_unscanned_large_allocations_said(era, arch):
    """13+ finds no malloc(9) large allocation (only struct vm_page records them): the report
    carries kmem-summary's large share as the bytes the scan could not read, and says so when
    there are any; <= 12 reads them (0)."""
    from dataclasses import replace
    from kmemdbg.alloc.accounting import MALLOC_LARGE, kmem_account
    from kmemdbg.report.leaks import leaks_doc, render_table
    t, _ = kernel(era, arch)
    index = ItemIndex(t)
    report = find_leaks(t, index)
    assert index.large_indexed == (era == "fbsd12")
    assert report.unscanned_large == (0 if era == "fbsd12" else
                                      kmem_account(t).categories[MALLOC_LARGE])
    assert "vm_page" not in render_table(replace(report, unscanned_large=0), False)
    for size, said in ((245760, "240K of malloc(9) large allocations"),
                       (None, "the malloc(9) large allocations")):
        big = replace(report, unscanned_large=size)
        assert f"{said} are not scanned (13+" in render_table(big, False).replace("\n      ", " ")
        assert leaks_doc(big)["stats"]["unscanned_large_bytes"] == size
