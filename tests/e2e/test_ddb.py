"""`uma-zones --format ddb` / `malloc-types --format ddb`: the text the era's in-kernel debugger
prints for `show uma` / `show malloc`, through real gdb and lldb-19, on the router crash of every
era, against the simulator's ledger ("show uma" in expected.json, the malloc views)."""

import pytest

from .debuggers import Debugger
from .images import SKIP_REASON, crash_images

IMAGES = crash_images(("router",))
pytestmark = pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)

# Each era's db_show_uma header line (sys/vm/uma_core.c of that era).
UMA_HEADERS = {
    "6": "%18s %12s %12s %12s %8s" % ("Zone", "Allocs", "Frees", "Used", "Cache"),
    "9": "%18s %8s %8s %8s %12s %8s" % ("Zone", "Size", "Used", "Free", "Requests", "Sleeps"),
    "10": "%18s %8s %8s %8s %12s %8s %8s" % ("Zone", "Size", "Used", "Free", "Requests", "Sleeps",
                                             "Bucket"),
    "13": "%18s %6s %7s %7s %11s %7s %7s %10s %8s" % ("Zone", "Size", "Used", "Free", "Requests",
                                                     "Sleeps", "Bucket", "Total Mem", "XFree"),
}
ERA_FORMAT = {"fbsd6": "6", "fbsd9": "9", "fbsd11": "10", "fbsd11-i386": "10", "fbsd12": "10",
              "fbsd13": "13", "fbsd14": "13", "fbsd15": "13", "fbsd15-debug": "13"}
MALLOC_HEADER = "%18s %12s  %12s %12s" % ("Type", "InUse", "MemUse", "Requests")


@pytest.fixture(scope="module", params=IMAGES, ids=[i.id for i in IMAGES])
def runs(request):
    image = request.param
    texts = {}
    for kind in ("gdb", "lldb"):
        dbg = Debugger.open(kind, image.kernel, core=image.core)
        try:
            texts[kind] = (dbg.run("uma-zones --format ddb", timeout=120), dbg.status,
                           dbg.run("malloc-types --format ddb", timeout=120), dbg.status,
                           dbg.run("uma-zones --format ddb --sort used", timeout=60))
        finally:
            dbg.close()
    return image, texts


def rows(text, ncols):
    """(name, [numbers]) per line after the header; names may hold spaces."""
    out = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        out.append((" ".join(parts[:-ncols]), [int(x.rstrip("K")) for x in parts[-ncols:]]))
    return out


def test_same_text_in_both_debuggers(runs):
    _, texts = runs
    assert texts["gdb"][:4] == texts["lldb"][:4]
    assert texts["gdb"][1] == 0 and texts["gdb"][3] == 0
    assert "cannot be used" in texts["gdb"][4] and texts["gdb"][4].count("\n") == 1


def test_show_uma_equals_ledger(runs):
    image, texts = runs
    fmt = ERA_FORMAT[image.era]
    text = texts["gdb"][0]
    assert text.splitlines()[0] == UMA_HEADERS[fmt]
    want = image.expected()["show uma"]
    got = rows(text, len(UMA_HEADERS[fmt].split()) - 1 - (fmt == "13"))
    # names repeat (MALLOC_DEBUG_MAXZONES kernels have 8 "malloc-128"): compare as multisets
    if fmt == "6":
        expect = [(w["name"], [w["requests"], w["requests"] - w["used"], w["used"], w["free"]])
                  for w in want]
    else:
        expect = [(w["name"], [w["size"], w["used"], w["free"], w["requests"]]
                   + ([w["sleep"]] if w["sleep"] is not None else [])) for w in want]
    if fmt == "13":
        expect = [(n, c + [(w["used"] + w["free"]) * w["size"], w["xfree"]])
                  for (n, c), w in zip(expect, want)]
    if fmt == "13":
        shown = [(n, c[:5] + c[6:]) for n, c in got]        # Bucket is not in the ledger
    elif fmt == "10":
        shown = [(n, c[:5]) for n, c in got]
    else:
        shown = got
    assert sorted(map(repr, shown)) == sorted(map(repr, expect))
    if fmt == "13":    # Total Mem, largest first (ties in walk order)
        totals = [c[6] for _, c in got]
        assert totals == sorted(totals, reverse=True)
    else:              # the walk order
        assert [n for n, _ in got] == [w["name"] for w in want]


def test_show_malloc_equals_ledger(runs):
    image, texts = runs
    fmt = ERA_FORMAT[image.era]
    text = texts["gdb"][2]
    assert text.splitlines()[0] == MALLOC_HEADER
    # before 12 ddb sums every mti_stats[MAXCPU] slot, as the kvm view does
    view = "malloc-types --compat kvm" if fmt in ("6", "9") or image.era == "fbsd11" \
        or image.era == "fbsd11-i386" else "malloc-types"
    want = image.expected()[view]["malloc-statistics"]["memory"]
    by_type = {w["type"]: w for w in want}
    got = rows(text, 3)
    for name, (in_use, kib, requests) in got:
        w = by_type.get(name)
        if w is None:          # a type never used: vmstat hides it, ddb does not
            assert (in_use, kib, requests) == (0, 0, 0), name
            continue
        assert (in_use, kib, requests) == (w["in-use"], -(-w["memory-use"] // 1024),
                                           w["requests"]), name
    assert set(by_type) <= {n for n, _ in got}
    listed = [n for n, _ in got if n in by_type]
    if fmt == "13":
        sizes = [by_type[n]["memory-use"] for n in listed]
        assert sizes == sorted(sizes, reverse=True)
    else:              # walk order: vmstat prints the reverse
        assert listed == [w["type"] for w in reversed(want)]
