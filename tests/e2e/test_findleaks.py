"""kmem-findleaks and kmem-holders as a user runs them, in gdb and lldb-19, against the
simulator's reachability ledger (reach.json): on every router core exactly the links libalias's
ReLink leaked (zone, count, bytes, every address) and nothing else, the libalias instance named
as the holder of every link the ledger says it holds, and the netisr workstreams (a DPCPU
variable, 8.0+) as the holder of the mbufs queued on them; on fileserver and idle, nothing; the
same JSON in both debuggers (one session per image and debugger serves every command)."""

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


def kind_of(r, ctype):
    [k] = [k for k, kind in enumerate(r["kinds"]) if kind["ctype"] == ctype]
    return k


def holders_command(image):
    """kmem-holders on the zone of the alias links, every group (router cores only)."""
    if "router" not in image.id:
        return None
    r = ledger(image)
    zone = r["kinds"][kind_of(r, "struct alias_link")]["zone"]
    return f"kmem-holders {zone} --format json --limit 100000 --samples 50"


def whatis_command(image):
    """kmem-whatis --holder on the first held and the first lost alias link."""
    r = ledger(image)
    links = [row for row in r["items"] if row[1] == kind_of(r, "struct alias_link")]
    held = next(row[0] for row in links if row[2])
    lost = next(row[0] for row in links if not row[2])
    return f"kmem-whatis --holder --format json {held + 8:#x} {lost:#x}"


def mbuf_holders_command(image):
    [zone] = {kind["zone"] for kind in ledger(image)["kinds"] if kind["ctype"] == "struct mbuf"}
    return f"kmem-holders {zone} --format json --limit 100000 --samples 100"


def types_command(image):
    r = ledger(image)
    zone = r["kinds"][kind_of(r, "struct alias_link")]["zone"]
    return f"uma-items {zone} --summary --types --format json"


SESSIONS = {}


def session(image):
    """Both debuggers' outputs of every command of this file on ``image``, run once."""
    for kind in ("gdb", "lldb"):
        if available(kind):
            pytest.skip(available(kind))
    if image.id not in SESSIONS:
        cmds = [ALL, "kmem-findleaks -v"] + ([holders_command(image), whatis_command(image),
                                              types_command(image), mbuf_holders_command(image)]
                                             if holders_command(image) else [])
        SESSIONS[image.id] = run_in_both(image, cmds, timeout=300)
    out = SESSIONS[image.id]
    for kind in ("gdb", "lldb"):
        assert out[kind]["alive"], kind
    return out


def findleaks(image):
    out = session(image)
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


@pytest.mark.parametrize("image", image_params(scenarios=["router"]))
def test_holders_name_the_libalias_instance(image):
    """Every reachable link is held through the libalias instance (its address in the hop that
    names ``struct libalias``), as many as the ledger's chains through it; the zone's reachable
    and unreached items as the ledger counts them."""
    cmd = holders_command(image)
    out = session(image)
    assert out["gdb"][cmd] == out["lldb"][cmd]
    result = json.loads(out["gdb"][cmd])
    r = ledger(image)
    zone = r["kinds"][kind_of(r, "struct alias_link")]["zone"]
    [lib] = [row[0] for row in r["items"] if row[1] == kind_of(r, "struct libalias")]
    holder = {row[0]: row[4] for row in r["items"]}
    in_zone = [row for row in r["items"] if r["kinds"][row[1]]["zone"] == zone]

    def through_lib(addr):
        seen = 0
        while isinstance(addr, int) and seen < len(holder):
            if addr == lib:
                return True
            addr, seen = holder.get(addr), seen + 1
        return False

    held = {row[0] for row in in_zone if row[2] and through_lib(row[4])}
    groups = result["kmem-holders"]["groups"]
    named = [g for g in groups if any(h.startswith(f"struct libalias@{lib:#x}.")
                                      for h in g["path"])]
    assert result["warnings"] == [] and result["kmem-holders"]["more"] == 0
    assert all(int(a, 16) in held for g in named for a in g["samples"])
    assert all(g["type"] in ("struct alias_link", None) for g in named)
    # The scan keeps the first word that reached an item: a stale word met earlier (in an
    # mbuf on a driver ring, say) can reach a few links before their hash chains do.
    found = sum(g["items"] for g in named)
    assert len(held) > 1000 and len(held) - len(held) // 1000 <= found <= len(held)
    assert sum(g["items"] for g in groups) == sum(1 for row in in_zone if row[2])
    assert result["kmem-holders"]["unreached"] == sum(1 for row in in_zone if not row[2])
    cmd = whatis_command(image)
    assert out["gdb"][cmd] == out["lldb"][cmd]
    held_link, lost_link = json.loads(out["gdb"][cmd])["kmem-whatis"]
    assert lost_link["holder"] is None and held_link["holder"] is not None
    assert held_link["item"] in held and held_link["type"] == "struct alias_link"
    assert any(h.startswith(f"struct libalias@{lib:#x}.") for h in held_link["holder"]["path"])


@pytest.mark.parametrize("image", image_params(scenarios=["router"]))
def test_holders_name_the_netisr_queues(image):
    """The mbufs the ledger says only a CPU's copy of netisr's DPCPU workstream holds (none
    before 8.0) are exactly those kmem-holders roots in that DPCPU variable's queues, typed
    struct mbuf."""
    cmd = mbuf_holders_command(image)
    out = session(image)
    assert out["gdb"][cmd] == out["lldb"][cmd]
    result = json.loads(out["gdb"][cmd])
    queued = {row[0] for row in ledger(image)["items"] if row[4] == "dpcpu"}
    groups = [g for g in result["kmem-holders"]["groups"] if g["root"].startswith("dpcpu ")]
    assert result["warnings"] == []
    assert all(g["root"].startswith("dpcpu pcpu_entry_nws.nws_work[].nw_") and
               g["type"] == "struct mbuf" for g in groups)
    assert {int(a, 16) for g in groups for a in g["samples"]} == queued
    assert sum(g["items"] for g in groups) == len(queued)
    assert (len(queued) == 0) == image.id.startswith("fbsd6")


@pytest.mark.parametrize("image", image_params(scenarios=["router"]))
def test_summary_types_count_the_links(image):
    """uma-items --summary --types on the links' zone: the links the ledger says libalias holds
    typed struct alias_link (but those first reached through an untyped pointer, such as a
    list's le_prev), the unreached as the ledger counts them, every allocated item counted."""
    cmd = types_command(image)
    out = session(image)
    assert out["gdb"][cmd] == out["lldb"][cmd]
    doc = json.loads(out["gdb"][cmd])["uma-items --summary"]
    r = ledger(image)
    k = kind_of(r, "struct alias_link")
    zone = r["kinds"][k]["zone"]
    types = {t["type"]: t["items"] for t in doc["types"]}
    in_zone = [row for row in r["items"] if r["kinds"][row[1]]["zone"] == zone]
    assert sum(types.values()) == doc["allocated"] == len(in_zone)
    assert types["unreached"] == sum(1 for row in in_zone if not row[2])
    links = sum(1 for row in in_zone if row[1] == k and row[2])
    assert links // 2 < types["struct alias_link"] <= links
