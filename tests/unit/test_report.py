"""Renderers: vmstat text per era, JSON container, CSV, table marks, selection options."""

import argparse
import json
import re

import pytest

from kmemdbg.alloc.malloc import MallocTypeStats
from kmemdbg.alloc.uma import ZoneStats
from kmemdbg.commands.listing import select
from kmemdbg.report import ddb, vmstat
from kmemdbg.report import items as items_report
from kmemdbg.report.columns import malloc_columns, zone_columns
from kmemdbg.report.humanize import humanize
from kmemdbg.report.render import render_csv, render_json, render_table
from kmemdbg.access.errors import CommandArgumentError


def zone(name, used=5, free=3, sleep=0, xdomain=None, **kw):
    values = dict(name=name, address=0x1000, keg=0x2000, size=256, limit=0, requests=10,
                  frees=5, used=used, free_cpu=1, free_zone=2, free_keg=free - 3 if free is not None
                  else None, fail=0, sleep=sleep, xdomain=xdomain)
    values.update(kw)
    return ZoneStats(**values)


def mtype(name, in_use=3, mem=2048, req=7, mask=0b100001, sizes=(16, 384)):
    return MallocTypeStats(name, 0x3000, in_use, mem, req, req - in_use, mask, sizes)


def test_vmstat_zone_format_choice():
    assert vmstat.zone_format(False, False, 604000) == "8"
    assert vmstat.zone_format(True, False, 1201000) == "9"
    assert vmstat.zone_format(True, True, 1302001) == "13"
    assert vmstat.zone_format(True, True, 1400097) == "13"
    assert vmstat.zone_format(True, True, 1500000) == "15"


def test_vmstat_zones_8x():
    text = vmstat.render_zones([zone("mbuf", sleep=None)], "8")
    assert text == ("ITEM                     SIZE     LIMIT      USED      FREE  REQUESTS  FAILURES\n\n"
                    "mbuf:                     256,        0,        5,        3,       10,        0\n\n")


def test_vmstat_zones_9x_to_12x():
    text = vmstat.render_zones([zone("mbuf_cluster")], "9")
    assert text == ("ITEM                   SIZE  LIMIT     USED     FREE      REQ FAIL SLEEP\n\n"
                    "mbuf_cluster:           256,      0,       5,       3,      10,   0,   0\n\n")


def test_vmstat_zones_13_14_failsleep_header():
    text = vmstat.render_zones([zone("mbuf", xdomain=2)], "13")
    assert text == ("ITEM                   SIZE  LIMIT     USED     FREE      REQ     FAILSLEEP XDOMAIN\n"
                    "mbuf:                   256,      0,       5,       3,      10,   0,   0,   2\n")


def test_vmstat_zones_main():
    text = vmstat.render_zones([zone("mbuf", xdomain=2), zone("x" * 30, xdomain=0)], "15")
    lines = text.splitlines()
    assert lines[0] == "ITEM                   SIZE   LIMIT     USED     FREE      REQ FAIL SLEEP XDOM"
    assert lines[1] == "mbuf:" + " " * 19 + "256,      0,       5,       3,      10,   0,   0,   2"
    assert lines[2].startswith("x" * 30 + ":256,")


def test_vmstat_unknown_cells_are_question_marks():
    text = vmstat.render_zones([zone("bad", free=None, free_cpu=None)], "9")
    assert ",       ?," in text


def test_vmstat_malloc_formats():
    m = mtype("devbuf")
    assert vmstat.render_malloc([m], "8") == (
        "         Type InUse MemUse HighUse Requests  Size(s)\n"
        "       devbuf     3     2K       -        7  16,512\n")
    assert vmstat.render_malloc([m], "13") == (
        "         Type InUse MemUse Requests  Size(s)\n"
        "       devbuf     3     2K        7  16,384\n")
    big = mtype("devbuf", in_use=12345, mem=5 * 1024 * 1024, req=2500000, sizes=(16, 384, 65536))
    assert vmstat.render_malloc([big], "15") == (
        "            Type  Use Memory Req Size(s)\n"
        "          devbuf  12k  5.0M 2.5M 16,384,64K\n")


def test_vmstat_malloc_format_choice():
    assert vmstat.malloc_format(False, 1201000) == "8"
    assert vmstat.malloc_format(True, 1302001) == "13"
    assert vmstat.malloc_format(True, 1500010) == "15"


@pytest.mark.parametrize("value,kw,text", [(0, {}, "0"), (999, {"decimal": True, "divisor_1000": True}, "999"),
                                           (1000, {"decimal": True, "divisor_1000": True}, "1.0k"),
                                           (1024, {}, "1K"), (65536, {}, "64K"), (1536, {"decimal": True}, "1.5K")])
def test_humanize(value, kw, text):
    assert humanize(value, **kw) == text


def test_json_zone_container_and_keys():
    cols = zone_columns(True, False)
    doc = json.loads(render_json([zone("mbuf")], cols, "zone"))
    assert list(doc) == ["memory-zone-statistics"]
    row = doc["memory-zone-statistics"]["zone"][0]
    assert list(row) == ["name", "size", "limit", "used", "free", "requests", "fail", "sleep",
                         "xdomain", "memory", "total"]
    assert row["xdomain"] is None and row["free"] == 3
    assert (row["memory"], row["total"]) == (5 * 256, 8 * 256)


def test_memory_and_total_columns_sort_on_bytes_and_show_humanized():
    cols = zone_columns(True, True)
    rows = [zone("small", used=5, free=3), zone("big", used=4000, free=100)]
    args = argparse.Namespace(match=None, sort="total", top=None)
    assert [z.name for z in select(rows, cols, args)] == ["big", "small"]
    table = render_table(rows, cols)
    assert table.splitlines()[0].split()[-2:] == ["MEMORY", "TOTAL"]
    assert table.splitlines()[3].split()[-2:] == ["1000K", "1.0M"]


def test_json_where_keys_and_warnings():
    cols = zone_columns(False, False, where=True)
    doc = json.loads(render_json([zone("mbuf", sleep=None)], cols, "zone", ["oops"]))
    row = doc["memory-zone-statistics"]["zone"][0]
    assert (row["free-cpu"], row["free-zone"], row["free-keg"], row["sleep"]) == (1, 2, 0, None)
    assert doc["warnings"] == ["oops"]


def test_json_malloc_keys():
    doc = json.loads(render_json([mtype("devbuf")], malloc_columns(), "memory"))
    assert doc == {"malloc-statistics": {"memory": [
        {"type": "devbuf", "in-use": 3, "memory-use": 2048, "high-use": None, "requests": 7,
         "size": [16, 384]}]}}


def test_csv():
    text = render_csv([mtype("devbuf")], malloc_columns())
    assert text == 'type,in-use,memory-use,high-use,requests,size\ndevbuf,3,2048,,7,"16,384"\n'


def test_table_marks_unknown_and_drops_absent_era_columns():
    text = render_table([zone("bad", free=None, free_cpu=None, sleep=None)], zone_columns(False, False))
    header = text.splitlines()[0].split()
    assert "SLEEP" not in header and "XDOMAIN" not in header
    assert "?" in text.splitlines()[2]


def _args(**kw):
    base = dict(match=None, sort=None, top=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_select_sort_top_match():
    rows = [zone("a", used=1), zone("b", used=9), zone("c", used=None), zone("mbuf", used=5)]
    cols = zone_columns(True, True)
    pick = select(rows, cols, _args(sort="USED"))
    assert [z.name for z in pick] == ["b", "mbuf", "a", "c"]        # unknown last
    assert [z.name for z in select(rows, cols, _args(sort="used", top=2))] == ["b", "mbuf"]
    assert [z.name for z in select(rows, cols, _args(match=re.compile("^m")))] == ["mbuf"]
    assert [z.name for z in select(rows, cols, _args(sort="name"))] == ["a", "b", "c", "mbuf"]
    with pytest.raises(CommandArgumentError):
        select(rows, cols, _args(sort="bogus"))


_CELLS = ["0", "7", "123456789", "?", "-", "mbuf", "128 Bucket", "a", "", " ", " lead",
          "trail ", "two\nlines", "tab\there", "esc\x1b[31mred", "caf\u00e9", "x\ry", "K"]


def test_render_rows_lays_out_as_tabulate_row_by_row(monkeypatch):
    # Tables whose rows are padded to the widths tabulate laid out must read exactly as tabulate
    # lays out the rows; a cell tabulate would treat differently keeps the row-by-row layout.
    from tabulate import tabulate
    from kmemdbg.report import text
    rnd = __import__("random").Random(17)
    fast = 0
    for _ in range(1500):
        ncols = rnd.randint(1, 5)
        headers = [rnd.choice(["ITEM", "SIZE", "", "LONG HEADER", "X"]) for _ in range(ncols)]
        pool = _CELLS if rnd.random() < 0.5 else _CELLS[:8]
        rows = [[rnd.choice(pool) for _ in range(ncols)] for _ in range(rnd.randint(1, 7))]
        numeric = [i for i in range(ncols) if rnd.random() < 0.5]
        align = ["right" if i in numeric else "left" for i in range(ncols)]
        with monkeypatch.context() as m:     # render_rows' tight, blank-keeping settings
            m.setattr("tabulate.MIN_PADDING", 0)
            m.setattr("tabulate.PRESERVE_WHITESPACE", True)
            expect = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True,
                              colalign=align) + "\n"
        assert text.render_rows(rows, headers, numeric=numeric) == expect, (rows, headers)
        fast += all(text._one_line_cells("\n".join(c), len(rows)) for c in zip(*rows))
    assert fast > 300        # the padded layout was exercised, not only the fallback


# ---- ddb's show uma / show malloc (report/ddb.py) -------------------------------------------------

def test_ddb_format_choice():
    assert ddb.zone_format(True, "ZDOM_GET", True, False) == "13"
    assert ddb.zone_format(False, "uz_domain", True, True) == "10"
    assert ddb.zone_format(False, "uz_buckets", True, True) == "10"
    assert ddb.zone_format(False, "uz_full_bucket", True, True) == "9"
    assert ddb.zone_format(False, "uz_full_bucket", False, True) == "8"
    assert ddb.zone_format(False, "uz_full_bucket", False, False) == "6"
    assert ddb.malloc_format("mti_stats[MAXCPU]") == "6"
    assert ddb.malloc_format("ks_handle->mti_stats") == "12"
    assert ddb.malloc_format("ks_mti.mti_stats") == "13"


def test_ddb_show_uma_13_sorts_on_total_mem_without_uzd_cross():
    zones = [zone("a", used=1, free=9, size=100, xdomain=2, free_cpu=4, free_zone=5, free_keg=0,
                  cross_zone=5, cross_cpu=1, bucket=8),       # Free 4 -> Total Mem 500
             zone("b", used=5, free=0, size=100, xdomain=0, free_cpu=0, free_zone=0, free_keg=0,
                  bucket=8),                                   # 500, a tie: walk order
             zone("c", used=1, free=0, size=1000, xdomain=0, free_cpu=0, free_zone=0,
                  free_keg=0, bucket=8),
             zone("neg", used=-5, free=0, size=10, xdomain=0, free_cpu=0, free_zone=0,
                  free_keg=0, bucket=8),                       # never printed
             zone("cache", cache_only=True, xdomain=0)]
    ordered = ddb.order_zones(zones, "13")
    assert [z.name for z in ordered] == ["c", "a", "b"]
    lines = ddb.render_zones(ordered, "13").splitlines()
    assert lines[2] == "%18s %6s %7s %7s %11s %7s %7s %10s %8s" % ("a", 100, 1, 4, 10, 0, 8, 500, 3)


def test_ddb_show_uma_old_eras_walk_order():
    zones = [zone("z1", used=2, free=3), zone("z2", used=1, free=1)]
    assert ddb.render_zones(ddb.order_zones(zones, "9"), "9").splitlines()[1].split() == \
        ["z1", str(zones[0].size), "2", "3", str(zones[0].requests), "0"]
    six = ddb.render_zones(zones, "6").splitlines()
    assert six[0].split() == ["Zone", "Allocs", "Frees", "Used", "Cache"]
    assert six[1].split() == ["z1", str(zones[0].requests), str(zones[0].frees), "2", "3"]


def test_ddb_show_malloc():
    types = [mtype("small", mem=100), mtype("big", mem=5000), mtype("neg", mem=-10)]
    text13 = ddb.render_malloc(ddb.order_malloc(types, "13"), "13").splitlines()
    assert [l.split()[0] for l in text13[1:]] == ["big", "small"]
    assert text13[1] == "%18s %12s %12sK %12s" % ("big", 3, 5, 7)
    old = ddb.render_malloc(ddb.order_malloc(types, "6"), "6").splitlines()
    assert [l.split()[0] for l in old[1:]] == ["small", "big", "neg"]
    assert old[3].split()[2] == "%dK" % ((((-10) & (2**64 - 1)) + 1023) % 2**64 // 1024)


ITEM_RECORDS = [
    {"address": 2**64 - 8, "kind": "uma-item", "zones": ["mbuf", "mbuf_cluster"], "cpu": None,
     "note": "naïve \"quoted\" \x01 name", "offset": 0, "free": True, "ratio": 0.5},
    {"address": 16, "kind": "unknown", "zones": [], "note": None},
]


def test_item_json_one_record_per_line_as_json_dumps():
    text = items_report.render_json("uma-items", ITEM_RECORDS, ["w"])
    assert text.splitlines()[2:4] == ["    " + json.dumps(r) + "," * (i == 0)
                                      for i, r in enumerate(ITEM_RECORDS)]
    assert json.loads(text) == {"uma-items": ITEM_RECORDS, "warnings": ["w"]}


def test_item_json_without_the_c_encoder_and_unencodable_values(monkeypatch):
    with_c = items_report.render_json("kmem-whatis", ITEM_RECORDS)
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    assert items_report.render_json("kmem-whatis", ITEM_RECORDS) == with_c
    monkeypatch.undo()
    with pytest.raises(TypeError, match="not JSON serializable"):
        items_report.render_json("uma-items", [{"address": object()}])
