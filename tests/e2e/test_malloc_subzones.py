"""A -CURRENT kernel with MALLOC_DEBUG_MAXZONES=8 (image fbsd15-debug): every malloc size is 8
zones of one name.  Each command keeps them apart, in gdb and lldb, against the ledger."""

import json

import pytest

from .debuggers import Debugger
from .images import Image, image_params

NAME = "malloc-128"


@pytest.fixture(scope="module", params=image_params(("router",), ("fbsd15-debug",)))
def image(request):
    return request.param


def _zones(expected, name=NAME):
    return [z for z in expected["uma-zones"]["memory-zone-statistics"]["zone"] if z["name"] == name]


def _run(kind, image, *cmds):
    dbg = Debugger.open(kind, image.kernel, core=image.core)
    try:
        return [dbg.run(c, timeout=180) for c in cmds]
    finally:
        dbg.close()


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_owner_lists_every_zone_of_the_name(kind, image):
    doc, = _run(kind, image, f"kmem-owner {NAME} --format json")
    owners = [o for o in json.loads(doc)["kmem-owner"] if o["kind"] == "zone"]
    assert len(_zones(image.expected())) == 8
    assert len(owners) == 8 and {o["name"] for o in owners} == {NAME}
    assert len({o["address"] for o in owners}) == 8 and len({o["keg"] for o in owners}) == 8


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_snapshot_and_diff_keep_the_zones_apart(kind, image, tmp_path):
    early = Image(image.dir, "vmcore.30", "expected.30.json")
    snap = tmp_path / "early.json"
    _run(kind, early, f"kmem-snapshot save {snap}")
    saved = [z for z in json.loads(snap.read_text())["zones"] if z["name"] == NAME]
    assert [z["used"] for z in saved] == [z["used"] for z in _zones(early.expected())]
    doc, = _run(kind, image, f"kmem-diff {snap} --format json --no-owner")
    rows = [r for r in json.loads(doc)["kmem-diff"]["rows"] if r["name"] == NAME]
    # each zone against the zone at the same position: the ledger's per-zone growth
    want = sorted((b["used"] - a["used"]) * 128
                  for a, b in zip(_zones(early.expected()), _zones(image.expected()))
                  if b["used"] != a["used"])
    assert want and sorted(r["bytes"] for r in rows) == want
