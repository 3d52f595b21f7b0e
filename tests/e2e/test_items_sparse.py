"""kmem-whatis and uma-items on the minidump-like cores (``vmcore.sparse``: free pages, the slabs
of UMA_ZONE_NODUMP kegs and the page of one bucket are left out), in gdb and lldb: every sampled
address whose slab and bucket are in the core equals the item ledger, every left-out bucket is
named in a warning, and both debuggers print the same."""

import json

import pytest

from .debuggers import run_in_both
from .images import SPARSE_ERAS, image_params
from .items_truth import compare, item_ledger

UMA_ZONE_NODUMP = 0x4000      # uk_flags (uma.h 9.x and later): the keg's pages are not dumped


@pytest.fixture(scope="module", params=image_params(
    scenarios=("router",), eras=SPARSE_ERAS, core="vmcore.sparse", expected="expected.sparse.json"))
def sparse(request, tmp_path_factory):
    image = request.param
    ledger = item_ledger(image)
    samples = ledger.samples(seed=15)
    path = tmp_path_factory.mktemp("sparse") / "addresses.txt"
    path.write_text("".join(f"{s['address']:#x}\n" for s in samples))
    return image, ledger, samples, run_in_both(image, [f"kmem-whatis --file {path} --format json"])


def _left_out(image, ledger):
    """Addresses whose answer the core cannot give: items of NODUMP kegs (their slab headers
    are not in the core), items of a slab whose header or pages share the left-out page of a
    bucket (a bucket zone's slab), and items in a bucket on a left-out page."""
    exp = image.expected()
    nodump = {k["name"] for k in exp["ledger"]["kegs"] if k["flags"] & UMA_ZONE_NODUMP}
    buckets = {int(u["address"], 16) for u in exp["sparse"]["unreadable"] if u["what"] == "bucket"}
    pages = {b // 4096 for b in buckets}         # the whole page is left out, other buckets too
    lost = set()
    for s in ledger.slabs:
        span = range(s["data"] // 4096, s["data"] // 4096 + s["ppera"])
        if s["zone"] in nodump or s["slab"] // 4096 in pages or pages.intersection(span):
            lost.update(range(s["data"], s["data"] + s["ppera"] * 4096))
    lost_items = {b["item"] for b in ledger.doc["buckets"] if b["bucket"] // 4096 in pages}
    return lost, lost_items, buckets


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_sparse_answers(sparse, kind):
    image, ledger, samples, ran = sparse
    out = ran[kind]
    doc = json.loads(next(v for k, v in out.items() if k != "alive"))
    lost, lost_items, buckets = _left_out(image, ledger)
    for got, want in zip(doc["kmem-whatis"], samples):
        if want["address"] in lost or want.get("item") in lost_items:
            continue
        assert not compare(got, want), (hex(want["address"]), compare(got, want))
    for b in buckets:
        assert any(f"{b:#x}" in w for w in doc["warnings"]), (b, doc["warnings"])
    assert out["alive"]


def test_sparse_gdb_and_lldb_agree(sparse):
    *_, ran = sparse
    assert ran["gdb"] == ran["lldb"]
