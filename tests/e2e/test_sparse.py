"""Cores written as a minidump would hold them (``vmcore.sparse``: free pages, NODUMP zones'
pages and a page a stale bucket pointer still reaches are absent), in gdb and lldb: every
readable row equals the ledger, every unreadable one is marked and named once, nothing breaks."""

import json

import pytest

from .debuggers import run_in_both
from .images import SPARSE_ERAS, image_params

VIEWS = ["uma-zones", "uma-zones --compat kvm", "uma-zones --where", "malloc-types",
         "malloc-types --compat kvm"]


IMAGES = image_params(eras=SPARSE_ERAS, core="vmcore.sparse", expected="expected.sparse.json")


@pytest.fixture(scope="module", params=IMAGES)
def image(request):
    return request.param


@pytest.fixture(scope="module")
def outputs(image):
    ran = run_in_both(image, [f"{v} --format json" for v in VIEWS]
                      + ["kmem-summary --format json", "uma-zones", "kmem-summary"])
    return {kind: {**{v: out[f"{v} --format json"] for v in VIEWS},
                   "summary": out["kmem-summary --format json"],
                   "text": out["uma-zones"] + out["kmem-summary"], "alive": out["alive"]}
            for kind, out in ran.items()}


def _occurrences(rows, key):
    seen, out = {}, []
    for r in rows:
        out.append((r[key], seen.get(r[key], 0)))
        seen[r[key]] = seen.get(r[key], 0) + 1
    return out


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("view", VIEWS)
def test_readable_rows_equal_ledger_and_the_others_are_named(outputs, image, view, kind):
    exp = image.expected()
    zones = view.startswith("uma")
    walk = "kvm" if "--compat kvm" in view else "true"
    bad = {(u["zone"], u["occurrence"]): u for u in exp["sparse"]["unreadable"]
           if zones and walk in u["views"]}
    doc = json.loads(outputs[kind][view])
    (container, rows_key), = [(c, list(v)[0]) for c, v in exp[view].items()]
    got, want = doc[container][rows_key], exp[view][container][rows_key]
    key = "name" if zones else "type"
    assert len(got) == len(want)
    for k, g, w in zip(_occurrences(want, key), got, want):
        if k in bad:
            assert g[key] == w[key] and None in g.values(), (kind, view, k)
        else:
            assert g == w, (kind, view, k)
    warnings = doc.get("warnings", [])
    for (zone, _), u in bad.items():
        named = [w for w in warnings if zone in w and u["address"] in w]
        assert len(named) == 1, (kind, view, zone, warnings)
    if not zones:
        assert not warnings
    assert "Traceback" not in outputs[kind]["text"] and outputs[kind]["alive"]


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_summary_states_the_unreadable_part(outputs, image, kind):
    s = json.loads(outputs[kind]["summary"])["kmem-summary"]
    want = [(u["zone"], int(u["address"], 16)) for u in image.expected()["sparse"]["unreadable"]]
    got = [(u["zone"], u["address"]) for u in s["unreadable"]]
    assert len(got) == len(want) and {z for z, _ in got} == {z for z, _ in want}
    for zone, _ in want:
        assert f"unreadable: zone {zone!r}" in outputs[kind]["text"]
    # what cannot be read is counted, not lost: the parts still add up to kmem in use
    assert s["remainder"] in (0, None)


def test_gdb_and_lldb_agree(outputs):
    assert outputs["gdb"]["text"] == outputs["lldb"]["text"]
