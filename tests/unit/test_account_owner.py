"""kmem_account, owner lookups and the kmem-summary / kmem-owner output on the fake kernel, with
every expected number worked out by hand from what the kernel was given."""

import io
import json

import pytest

from kmemdbg.alloc.accounting import (CACHE_ONLY, FREE_CPU, FREE_KEG, FREE_ZONE, MALLOC_LARGE,
                                      MALLOC_SMALL, OVERHEAD, UMA_OWN, ZONE_ITEMS, kmem_account)
from kmemdbg.commands import REGISTRY, load_commands, run_command
from kmemdbg.leak.owner import find_owners
from kmemdbg.leak import snapshot

from kbuild import FakeKernel

assert load_commands() == []
SPECS = {s.name: s for s in REGISTRY}


def build(era):
    """Keg A (256 B items, 2 pages): "mbuf" 8 used, 3 free in CPU 1's bucket, 2 free in the keg;
    "mbuf_packet" shares it.  Keg B: the 128-byte malloc zone with 5 items used (1 page).
    devbuf holds 4736 bytes of malloc(9): 640 small (5 x 128), so 4096 large."""
    k = FakeKernel(era, cpus=(0, 1))
    malloc128 = "malloc-128" if k.n >= 13 else "128"
    a = k.keg(256, ipers=15, free=2, domain_free=[2])
    b = k.keg(128, ipers=30)
    pages = "uk_domain[0].ud_pages" if k.n >= 13 else "uk_pages"
    k.t.put(a, "struct uma_keg", {pages: 2})
    k.t.put(b, "struct uma_keg", {pages: 1})
    k.mbuf = k.zone(a, "mbuf", allocs=10, frees=4, caches={1: dict(alloc=3, allocs=2)})
    k.zone(a, "mbuf_packet")
    k.zone(b, malloc128, allocs=5)
    k.devbuf = k.malloc_type("devbuf", {0: (4736, 0, 6, 0, 1 << 3)})
    k.t.add_symbol("zone_mbuf", "struct uma_zone *", k.mbuf)
    k.t.add_symbol("M_DEVBUF", "struct malloc_type", addr=k.devbuf)
    k.t.add_symbol("uma_kmem_total", "u_long", 16384 + 100)
    k.t.add_symbol("uma_kmem_limit", "u_long", 1 << 30)
    return k


EXPECTED = {MALLOC_SMALL: 640, MALLOC_LARGE: 4096, ZONE_ITEMS: 8 * 256, UMA_OWN: 0,
            FREE_CPU: 3 * 256, FREE_ZONE: 0, FREE_KEG: 2 * 256,
            OVERHEAD: (2 * 4096 - (8 + 3 + 2) * 256) + (4096 - 5 * 128), CACHE_ONLY: 0}


@pytest.mark.parametrize("era", ["fbsd13", "fbsd14"])
def test_kmem_account_categories(era):
    acct = kmem_account(build(era).t)
    assert acct.categories == EXPECTED
    assert (acct.accounted, acct.kmem_in_use, acct.remainder) == (16384, 16484, 100)
    assert (acct.kmem_limit, acct.kmem_limit_source, acct.kmem_in_use_source) == \
        (1 << 30, "uma_kmem_limit", "uma_kmem_total")
    assert acct.warnings == []


def test_owners_of_a_zone_and_a_malloc_type():
    k = build("fbsd13")
    owners, warnings = find_owners(k.t, lambda n: n in ("mbuf", "devbuf"))
    assert warnings == []
    mtype, zone = owners
    assert (mtype.kind, mtype.name, mtype.address, mtype.symbol.name) == \
        ("malloc", "devbuf", k.devbuf, "M_DEVBUF")
    assert (zone.kind, zone.name, zone.address) == ("zone", "mbuf", k.mbuf)
    assert [h.name for h in zone.holders] == ["zone_mbuf"]
    assert zone.keg_zones == ["mbuf", "mbuf_packet"] and zone.functions == {}


def run(k, name, *argv):
    out = io.StringIO()
    rc = run_command(SPECS[name], lambda: k.t, list(argv), out)
    return rc, out.getvalue()


def test_kmem_owner_table_and_json():
    k = build("fbsd13")
    rc, text = run(k, "kmem-owner", "mbuf")
    keg = [z for z in find_owners(k.t, lambda n: n == "mbuf")[0]][0].keg
    assert (rc, text) == (0, f"zone 'mbuf' at {k.mbuf:#x}\n"
                             f"  held by      zone_mbuf at ?\n"
                             f"  keg          {keg:#x}, zones: mbuf, mbuf_packet\n"
                             f"  subsystem    ?\n"
                             f"  module       ?\n")
    rc, text = run(k, "kmem-owner", "devbuf", "--format", "json")
    assert rc == 0 and json.loads(text) == {"kmem-owner": [{
        "kind": "malloc", "name": "devbuf", "address": k.devbuf, "file": None,
        "subsystem": None, "module": None, "symbol": "M_DEVBUF", "line": None}], "warnings": []}
    rc, text = run(k, "kmem-owner", "nothing")
    assert (rc, text) == (1, "kmem-owner: no malloc type or zone named 'nothing'\n")


def test_kmem_summary_json_and_table():
    k = build("fbsd13")
    rc, text = run(k, "kmem-summary", "--format", "json", "--top", "1")
    s = json.loads(text)["kmem-summary"]
    assert rc == 0
    assert {c["name"]: c["bytes"] for c in s["categories"]} == EXPECTED
    assert (s["accounted"], s["remainder"]) == (16384, 100)
    assert s["malloc"]["total"] == 4736 and s["malloc"]["by_zone"] == [
        {"zone": "malloc-128", "size": 128, "zones": 1, "bytes": 640, "types": ["devbuf"],
         "attributed": [{"type": "devbuf", "bytes": 640}]}]    # devbuf alone uses size 128
    for c in s["categories"]:                   # each category is made of its parts, to the byte
        assert sum(p["bytes"] for p in s["parts"][c["key"]]) == \
            (c["bytes"] if c["key"] != "malloc_large" else 0), c["key"]
    assert s["top_zones"] == [{"name": "mbuf", "bytes": 2048, "total": (8 + 5) * 256, "used": 8,
                              "size": 256}]             # footprint: 8 used + 5 free items
    assert s["top_malloc_types"] == [{"type": "devbuf", "bytes": 4736, "in-use": 6}]
    assert s["limits"] == [] and s["warnings"] == [] and s["unreadable"] == []
    rc, text = run(k, "kmem-summary")
    lines = text.splitlines()
    assert rc == 0 and lines[0] == "FreeBSD 13.0-RELEASE #0: fake (osreldate 1302001)"
    assert "kmem in use       16K  (uma_kmem_total)" in lines
    assert ("unexplained remainder: 100 (100 bytes) of uma_kmem_total not accounted for by "
            "the parts above") in lines
    assert any(line.split() == ["accounted", "16K", "16384"] for line in lines)


def test_snapshot_then_diff_names_the_growth_and_its_owner(tmp_path):
    k = build("fbsd13")
    before, after = str(tmp_path / "before.json"), str(tmp_path / "after.json")
    assert run(k, "kmem-snapshot", "save", before) == (
        0, f"kmem-snapshot: 3 zones, 1 malloc types saved to {before}\n")
    with open(before) as f:
        saved = json.load(f)
    assert [list(r) for r in saved["zones"]] == [sorted(snapshot.ZONE_KEYS)] * 3
    assert [list(r) for r in saved["malloc_types"]] == [sorted(snapshot.MTYPE_KEYS)]
    leak = k.malloc_type("leaky", {1: (1 << 20, 0, 1024, 0, 0)})
    k.t.add_symbol("M_LEAKY", "struct malloc_type", addr=leak)
    rc, text = run(k, "kmem-diff", before, "--format", "json", "--threshold", "64K")
    d = json.loads(text)["kmem-diff"]
    assert rc == 0 and (d["seconds"], d["threshold"]) == (None, 65536)   # a finding, not a failure
    assert d["warnings"] == ["no kernel clock in one snapshot (or it did not advance): rates not shown"]
    assert d["rows"] == [{"kind": "malloc", "name": "leaky", "bytes": 1 << 20, "items": 1024,
                          "old-bytes": 0, "new-bytes": 1 << 20, "ranked-bytes": 1 << 20,
                          "rate": None, "culprit": True, "explained-by": [],
                          "owner": {"symbol": "M_LEAKY", "file": None, "line": None,
                                    "subsystem": None, "module": None}}]
    assert run(k, "kmem-snapshot", "save", after)[0] == 0
    out = io.StringIO()         # two files and no owners: the target is never built
    rc = run_command(SPECS["kmem-diff"], lambda: pytest.fail("target built"),
                     [before, after, "--no-owner", "--exit-status"], out)
    text = out.getvalue()
    assert rc == 1 and text.splitlines()[0] == "growth (time unknown); culprit threshold 64K"
    assert text.splitlines()[3].split() == ["*malloc", "leaky", "+1.0M", "+1024", "1.0M"]


def test_kmem_summary_bars_and_kmem_report_page(tmp_path):
    k = build("fbsd13")
    rc, text = run(k, "kmem-summary", "--bars")
    assert rc == 0 and text.startswith("kmem in use 16K (uma_kmem_total)")
    assert "█" in text and "unexplained remainder" in text
    pytest.importorskip("plotly", reason="python3-plotly not installed")
    page = tmp_path / "k.html"
    rc, text = run(k, "kmem-report", "--html", str(page))
    assert (rc, text) == (0, f"kmem-report: wrote {page} ({page.stat().st_size // 1024} KiB)\n")
    html = page.read_text()
    assert '<tr data-key="accounted"><td>accounted</td><td class="num" data-bytes="16384">' in html
    assert "FreeBSD 13.0-RELEASE #0: fake" in html and "Growth over time" not in html
