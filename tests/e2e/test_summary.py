"""kmem-summary on every era's router image, in gdb and lldb, against the simulator's ledger."""

import json
import re

import pytest

from .debuggers import Debugger
from .images import image_params
PAGE = 4096
BUCKET = re.compile(r"^\d+ Bucket$")


@pytest.fixture(scope="module", params=image_params(("router",)))
def image(request):
    return request.param


@pytest.fixture(scope="module")
def summaries(image):
    """{kind: (json summary, text summary)} for gdb and lldb."""
    result = {}
    for kind in ("gdb", "lldb"):
        dbg = Debugger.open(kind, image.kernel, core=image.core)
        try:
            doc = dbg.run("kmem-summary --format json", timeout=120)
            text = dbg.run("kmem-summary", timeout=120)
        finally:
            dbg.close()
        try:
            result[kind] = (json.loads(doc)["kmem-summary"], text)
        except ValueError:
            pytest.fail(f"{kind}: kmem-summary --format json printed:\n{doc[:2000]}")
    return result


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_summary_categories_match_ledger(summaries, image, kind):
    s, _ = summaries[kind]
    want = image.expected()["kmem-summary"]
    got = {c["key"]: c["bytes"] for c in s["categories"]}
    assert got == want["categories"], f"{kind}: summary categories differ from the ledger's"
    assert s["accounted"] == want["accounted"]
    # malloc(9) counted once: the malloc zones' items are the small part, the rest is large.
    malloc_total = sum(m["memory-use"] for m in
                       image.expected()["malloc-types"]["malloc-statistics"]["memory"])
    assert s["malloc"]["total"] == malloc_total
    assert s["malloc"]["small"] + s["malloc"]["large"] == malloc_total


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_malloc_zones_grouped_by_size(summaries, image, kind):
    """Each malloc size is one row over every zone of that name (8 on a MALLOC_DEBUG_MAXZONES=8
    kernel), and the rows add up to the small malloc(9) part exactly."""
    s, _ = summaries[kind]
    zones = image.expected()["uma-zones"]["memory-zone-statistics"]["zone"]
    by_zone = s["malloc"]["by_zone"]
    for row in by_zone:
        same = [z for z in zones if z["name"] == row["zone"]]
        assert row["zones"] == len(same)
        assert row["bytes"] == sum(z["used"] for z in same) * row["size"], row["zone"]
    assert sum(r["bytes"] for r in by_zone) == image.expected()["kmem-summary"]["categories"]["malloc_small"]
    assert len({r["zone"] for r in by_zone}) == len(by_zone)


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_summary_reconciles_with_kmem_total(summaries, image, kind):
    s, text = summaries[kind]
    kmem = image.expected()["ledger"]["kmem"]
    in_use = next((kmem[k] for k in ("uma_kmem_total", "kmem_arena_inuse", "kmem_map_size") if k in kmem), None)
    if in_use is not None:
        assert s["kmem"]["in_use"] == in_use
        assert abs(s["remainder"]) <= PAGE, f"unexplained remainder {s['remainder']}"
    assert "Traceback" not in text


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_limits_report_netgraph_and_bucket_failures(summaries, image, kind):
    s, text = summaries[kind]
    zones = image.expected()["uma-zones"]["memory-zone-statistics"]["zone"]
    limits = {r["zone"]: r for r in s["limits"]}
    ng = next(z for z in zones if z["name"] == "NetGraph items")
    assert ng["limit"] and ng["fail"] > 0, "the router scenario must drive NetGraph items to its limit"
    row = limits["NetGraph items"]
    assert row["fail"] == ng["fail"] and row["tunable"] == "net.graph.maxalloc"
    assert [o["symbol"] for o in row["owner"]] == ["ng_qzone"]
    bucket_fails = [z["name"] for z in zones if BUCKET.match(z["name"]) and z["fail"]]
    assert bucket_fails, "the router scenario must make bucket allocations fail"
    for name in bucket_fails:
        assert "bucket allocations fail" in limits[name]["reasons"]
    assert "NetGraph items" in text and "net.graph.maxalloc" in text


def test_gdb_and_lldb_print_the_same_summary(summaries):
    assert summaries["gdb"][1] == summaries["lldb"][1]
