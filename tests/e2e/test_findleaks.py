"""kmem-findleaks as a user runs it, in gdb and lldb-19, against the simulator's reachability
ledger (reach.json): on every router core exactly the links libalias's ReLink leaked (zone,
count, bytes, every address) and nothing else; on fileserver and idle, nothing; the same JSON
in both debuggers."""

import json
import os
import re

import pytest

from .debuggers import available, run_in_both
from .images import image_params

ALL = "kmem-findleaks --format json --samples 1000000"


def ledger(image):
    with open(os.path.join(image.dir, "reach.json")) as f:
        return json.load(f)


def findleaks(image):
    for kind in ("gdb", "lldb"):
        if available(kind):
            pytest.skip(available(kind))
    out = run_in_both(image, [ALL, "kmem-findleaks -v"], timeout=300)
    for kind in ("gdb", "lldb"):
        assert out[kind]["alive"], kind
    assert out["gdb"][ALL] == out["lldb"][ALL]
    text = {k: re.sub(r"\d+\.\d+ s\b", "? s", out[k]["kmem-findleaks -v"]) for k in out}
    assert text["gdb"] == text["lldb"]           # but the scan's time
    return json.loads(out["gdb"][ALL]), out["gdb"]["kmem-findleaks -v"]


@pytest.mark.parametrize("image", image_params(scenarios=["router"]))
def test_router_reports_exactly_the_planted_leak(image):
    result, text = findleaks(image)
    r = ledger(image)
    lost = [row for row in r["items"] if row[2] is False]
    kinds = {r["kinds"][row[1]]["zone"] for row in lost}
    assert result["warnings"] == []
    [group] = result["kmem-findleaks"]["groups"]
    assert [group["zone"]] == sorted(kinds)
    assert (group["items"], group["bytes"]) == (r["summary"]["unreachable"],
                                                r["summary"]["unreachable_bytes"])
    assert sorted(int(a, 16) for a in group["samples"]) == sorted(row[0] for row in lost)
    assert group["types"] and "libalias" in group["types"]
    assert group["zone"] in text and "conservative scan" in text and "scan (" in text


@pytest.mark.parametrize("image", image_params(scenarios=["fileserver", "idle"],
                                               eras=["fbsd6", "fbsd13"]))
def test_quiet_images_report_nothing(image):
    result, text = findleaks(image)
    assert result["kmem-findleaks"]["groups"] == [] and result["warnings"] == []
    assert "no unreached items" in text
