"""Damaged slabs in a real core, through gdb and lldb-19: a slab list pointing at unmapped
memory, a slab list cycle, and a slab header whose free items do not add up (6.x free list
leaving the slab, 13+ bitset claiming every item).  kmem-whatis and uma-items must name each
problem in a warning, answer the rest, never print a traceback or hang, and agree."""

import json
import shutil

import pytest

from .damage import CoreFile, locate
from .debuggers import Debugger
from .images import image_params
from .items_truth import item_ledger


@pytest.fixture(scope="module", params=image_params(scenarios=("router",),
                                                    eras=("fbsd6", "fbsd13")))
def damaged(request, tmp_path_factory):
    image = request.param
    ledger = item_ledger(image)
    def kinds(zone):
        slabs = [s for s in ledger.slabs if s["zone"] == zone]
        return (slabs, [s for s in slabs if "k" not in s["items"]],
                [s for s in slabs if "k" in s["items"] and "a" in s["items"][1:]])

    # The zone with most slabs that has a full slab and a part slab with allocated items.
    big = max((z for z in {s["zone"] for s in ledger.slabs}
               if len(kinds(z)[1]) >= 1 and len(kinds(z)[2]) >= 1),
              key=lambda z: len(kinds(z)[0]))
    slabs, full, part = kinds(big)
    keg = slabs[0]["keg"]
    new = image.era == "fbsd13"
    lists = f"((struct uma_keg *){keg})->" + ("uk_domain[0].ud_" if new else "uk_")
    head_free, link, counted, psize = locate(image, [
        f"&{lists}free_slab", "&((struct uma_slab *)0)->" + ("us_link" if new else "us_head.us_type"),
        "&((struct uma_slab *)0)->" + ("us_free" if new else "us_head.us_firstfree"),
        "sizeof(void *)"]).values()
    core = str(tmp_path_factory.mktemp(image.id) / "vmcore.slabs")
    shutil.copy(image.core, core)
    patched = CoreFile(core)
    patched.write_int(full[0]["slab"] + link, full[0]["slab"], psize)       # full list: a cycle
    patched.write_int(head_free, 0xdead0000, psize)                         # free list: unmapped
    if new:
        patched.write_int(part[0]["slab"] + counted, (1 << 64) - 1, 8)      # every bit "free"
    else:
        patched.write_int(part[0]["slab"] + counted, 250, 1)                # chain leaves the slab
    sound = full[0]          # read before its link leads back to it
    index = sound["items"].index("a", 1)
    item = sound["data"] + index * sound["rsize"] + 3
    out = {}
    for kind in ("gdb", "lldb"):
        dbg = Debugger.open(kind, image.kernel, core=core)
        try:
            out[kind] = {"whatis": dbg.run(f"kmem-whatis {item:#x} --format json", 120),
                         "status": dbg.status,
                         "items": dbg.run(f"uma-items '{big}' --format json", 300),
                         "summary": dbg.run(f"uma-items '{big}' --summary", 300),
                         "alive": dbg.alive()}
        finally:
            dbg.close()
    return image, big, full, part, item, out


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_damaged_slabs_named_and_the_rest_answered(damaged, kind):
    image, zone, full, part, item, out = damaged
    o = out[kind]
    doc = json.loads(o["whatis"])
    text = "\n".join(doc["warnings"])
    assert o["status"] == 0 and o["alive"]      # warnings never fail a command
    assert "cycle" in text and f"{full[0]['slab']:#x}" in text
    assert "free slab list" in text and "0xdead0000" in text
    assert (("us_free bitset" in text) if image.era == "fbsd13" else ("free list reaches item 250"
                                                                      in text))
    r, = doc["kmem-whatis"]
    assert (r["kind"], r["item"], r["state"]) == ("uma-item", item - 3, "allocated")
    items = json.loads(o["items"])
    damaged_slab = [x for x in items["uma-items"] if x["slab"] == part[0]["slab"]]
    assert damaged_slab and all(x["state"] is None for x in damaged_slab)
    assert "Traceback" not in "".join(v for v in o.values() if isinstance(v, str))
    assert "kmemdbg: warning" in o["summary"]


def test_gdb_and_lldb_agree_on_damage(damaged):
    *_, out = damaged
    assert out["gdb"] == out["lldb"]
