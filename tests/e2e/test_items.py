"""kmem-whatis and uma-items through real gdb and lldb-19 on every era's router crash, compared
with the simulator's item ledger (items.json): a sample of addresses of every kind, and the
items of every zone (all items of the smaller zones, every free item and the first items of the
big ones).  gdb and lldb must print the same text."""

import json

import pytest

from .debuggers import Debugger
from .images import image_params
from .items_truth import compare, item_ledger
from .damage import locate

FULL_LIMIT = 1500           # zones with more items are checked on their free items and a prefix
SYMBOL = "kmemstatistics"   # a kernel variable, no UMA memory


def _samples(image, ledger):
    samples = ledger.samples(seed=14)
    sym, = locate(image, [f"&{SYMBOL}"]).values()    # as loaded (the kernel is a PIE)
    samples.append({"address": sym + 1, "kind": "kernel-symbol", "symbol": SYMBOL, "item": sym,
                    "offset": 1})
    starts = {s["data"] + i * s["rsize"] for s in ledger.slabs for i in range(s["ipers"])}
    for z in ledger.doc["zones"][:8]:     # UMA's boot zones first: statically allocated <= 11
        kind = "uma-item" if z["zone"] in starts else "uma-structure"
        samples.append({"address": z["zone"] + 8, "kind": kind, "item": z["zone"], "offset": 8})
    return samples


@pytest.fixture(scope="module", params=image_params(scenarios=("router",)))
def session_outputs(request, tmp_path_factory):
    """Per debugger: the kmem-whatis answers, every zone's uma-items and some text outputs."""
    image = request.param
    ledger = item_ledger(image)
    samples = _samples(image, ledger)
    addr_file = tmp_path_factory.mktemp("whatis") / "addresses.txt"
    addr_file.write_text("".join(f"{s['address']:#x}\n" for s in samples))
    zones = {name: len(ledger.zone_items(name)) for name in ledger.zone_names()}
    result = {}
    for kind in ("gdb", "lldb"):
        dbg = Debugger.open(kind, image.kernel, core=image.core)
        try:
            out = {"whatis": dbg.run(f"kmem-whatis --file {addr_file} --format json", 300)}
            out["whatis status"] = dbg.status
            for name, n in zones.items():
                quoted = f"'{name}'"
                if n <= FULL_LIMIT:
                    out[name] = dbg.run(f"uma-items {quoted} --format json", 120)
                else:
                    out[name, "free"] = dbg.run(f"uma-items {quoted} --free --format json", 120)
                    out[name, "prefix"] = dbg.run(f"uma-items {quoted} --format json "
                                                  f"--limit {FULL_LIMIT}", 120)
            for cmd in ("kmem-whatis " + " ".join(f"{s['address']:#x}" for s in samples[:12]),
                        "uma-items mbuf --where --limit 40", "uma-items mbuf --summary",
                        "uma-items mbuf --format csv --free"):
                out["text", cmd] = dbg.run(cmd, 120)
            out["alive"] = dbg.alive()
        finally:
            dbg.close()
        result[kind] = out
    return image, ledger, samples, zones, result


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_whatis_equals_ledger(session_outputs, kind):
    image, ledger, samples, _, result = session_outputs
    doc = json.loads(result[kind]["whatis"])
    assert doc["warnings"] == [] and result[kind]["whatis status"] == 0
    got = doc["kmem-whatis"]
    assert len(got) == len(samples)
    kinds = {s["kind"] for s in samples}
    assert {"uma-item", "uma-slab-header", "kernel-symbol", "unknown"} <= kinds
    bad = [(hex(w["address"]), compare(g, w)) for g, w in zip(got, samples) if compare(g, w)]
    assert not bad, bad[:5]


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_uma_items_equal_ledger(session_outputs, kind):
    image, ledger, _, zones, result = session_outputs
    out = result[kind]
    for name, n in zones.items():
        want = ledger.zone_items(name)
        if n <= FULL_LIMIT:
            checks = [(name, want)]
        else:
            checks = [((name, "free"), [w for w in want if w["state"] == "free"]),
                      ((name, "prefix"), want[:FULL_LIMIT])]
        for key, expected in checks:
            doc = json.loads(out[key])
            assert doc["warnings"] == [], (key, doc["warnings"])
            got = doc["uma-items"]
            assert len(got) == len(expected), key
            bad = [(hex(w["item"]), compare(g, w)) for g, w in zip(got, expected)
                   if compare(g, w)]
            assert not bad, (key, bad[:5])


def test_gdb_and_lldb_agree(session_outputs):
    _, _, _, _, result = session_outputs
    gdb, lldb = result["gdb"], result["lldb"]
    assert gdb["alive"] and lldb["alive"]
    for key in gdb:
        if key != "alive" and gdb[key] != lldb[key]:
            first = next(i for i, (a, b) in enumerate(zip(gdb[key].splitlines() + [""],
                                                           lldb[key].splitlines() + [""]))
                         if a != b)
            pytest.fail(f"{key}: line {first}: gdb {gdb[key].splitlines()[first:first + 3]} "
                        f"lldb {lldb[key].splitlines()[first:first + 3]}")
