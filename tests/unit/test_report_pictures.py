"""kmem-report's pictures from plain data: the treemap's boxes add up, bars and sparklines scale,
the growth series follows the ranked growers, snapshots with and without a summary load, and a
missing plotly is one line naming the package."""

import builtins
import copy
import re

import pytest

from kmemdbg.alloc.accounting import malloc_zone_shares
from kmemdbg.alloc.malloc import MallocTypeStats
from kmemdbg.leak import snapshot
from kmemdbg.leak.growth import growth_series, series_with_owners, time_axis
from kmemdbg.report import html as report_html
from kmemdbg.report.bars import bar, render_bars, render_sparklines, sparkline
from kmemdbg.access.errors import KmemdbgError

CATS = ("malloc_small", "malloc_large", "zone_items", "uma_own", "free_cpu", "free_zone",
        "free_keg", "overhead", "cache_only")


def summary(remainder=4096):
    """A kmem-summary dict as build_summary makes it (see README "kmem-summary JSON")."""
    parts = {k: [] for k in CATS}
    parts["zone_items"] = [{"name": "mbuf", "bytes": 65536}, {"name": "socket", "bytes": 8192}]
    parts["free_keg"] = [{"name": "mbuf", "bytes": 4096}]
    parts["overhead"] = [{"name": "mbuf", "bytes": 1024}, {"name": "128", "bytes": 3072}]
    by_zone = [{"zone": "128", "size": 128, "bytes": 128000, "types": ["libalias"],
                "attributed": [{"type": "libalias", "bytes": 128000}]},
               {"zone": "64", "size": 64, "bytes": 6400, "types": ["devbuf", "temp"],
                "attributed": [{"type": "devbuf", "bytes": 4000}]}]
    parts["malloc_small"] = [{"name": z["zone"], "bytes": z["bytes"]} for z in by_zone]
    cat = {k: sum(p["bytes"] for p in parts[k]) for k in CATS}
    cat["malloc_large"] = 40960
    accounted = sum(cat.values())
    return {"kernel": {"version": "FreeBSD 13.2-RELEASE", "osreldate": 1302001, "panicstr": "boom",
                       "cpus": 4, "mp_maxid": 3, "domains": 1},
            "kmem": {"limit": 1 << 30, "limit_source": "uma_kmem_limit",
                     "in_use": accounted + remainder, "in_use_source": "uma_kmem_total"},
            "categories": [{"key": k, "name": k.replace("_", " "), "bytes": cat[k]} for k in CATS],
            "parts": parts, "accounted": accounted, "remainder": remainder,
            "malloc": {"total": cat["malloc_small"] + 40960, "small": cat["malloc_small"],
                       "large": 40960, "by_zone": by_zone,
                       "large_only": [{"type": "temp", "bytes": 32768}]},
            "top_zones": [{"name": "128", "bytes": 128000, "used": 1000, "size": 128}],
            "top_malloc_types": [{"type": "libalias", "bytes": 130000, "in-use": 1001}],
            "limits": [], "warnings": []}


def test_treemap_parents_are_the_sum_of_their_children():
    s = summary()
    ids, labels, parents, values, _ = report_html.treemap_nodes(s)
    value = dict(zip(ids, values))
    assert value["kmem"] == s["kmem"]["in_use"]
    assert value["kmem/remainder"] == 4096
    for i in ids:
        kids = [v for c, p, v in zip(ids, parents, values) if p == i]
        if kids:
            assert sum(kids) == value[i], i
    # Size 128 is libalias's alone; size 64 shows devbuf's certain share and what is not told apart.
    assert value["kmem/malloc_small/128/libalias"] == 128000
    assert value["kmem/malloc_small/64/devbuf"] == 4000 and value["kmem/malloc_small/64/~rest"] == 2400
    assert value["kmem/malloc_large/temp"] == 32768 and value["kmem/malloc_large/~rest"] == 8192
    assert "kmem/cache_only" not in value          # empty categories draw no box


def test_treemap_drops_children_that_do_not_add_up():
    s = summary(remainder=-100)
    s["parts"]["zone_items"].append({"name": "ghost", "bytes": 5})      # more than the category
    ids, _, parents, values, _ = report_html.treemap_nodes(s)
    assert not [i for i, p in zip(ids, parents) if p == "kmem/zone_items"]
    assert "kmem/remainder" not in ids and dict(zip(ids, values))["kmem"] == s["accounted"]


def test_many_parts_fold_into_one_box():
    s = summary(remainder=0)
    s["parts"]["zone_items"] = [{"name": f"z{i}", "bytes": 100} for i in range(40)]
    next(c for c in s["categories"] if c["key"] == "zone_items")["bytes"] = 4000
    s["accounted"] = sum(c["bytes"] for c in s["categories"])
    s["kmem"]["in_use"] = s["accounted"]
    ids, labels, parents, values, _ = report_html.treemap_nodes(s)
    kids = [(lab, v) for lab, p, v in zip(labels, parents, values) if p == "kmem/zone_items"]
    assert len(kids) == report_html.MAX_CHILDREN + 1 and kids[-1] == ("15 others", 1500)


def mt(name, mem, in_use, sizes):
    return MallocTypeStats(name, 0, in_use, mem, in_use, 0, 0, sizes)


def test_malloc_zone_shares_are_what_no_other_type_can_hold():
    # Alone in the zone: all of it, even when the type also made large allocations.
    assert malloc_zone_shares(3837056, 128, [mt("libalias", 3902592, 29978, (128, 65536))]) == \
        [("libalias", 3837056)]
    # fbsd6's router: libalias plus small types of 128 bytes, libalias with one large allocation.
    others = [mt("subproc", 1024, 8, (128,)), mt("bus", 5120, 40, (128,)), mt("ifaddr", 1152, 9, (128,))]
    got = malloc_zone_shares(2972160 - 256, 128, [mt("libalias", 2997376, 23162, (128,))] + others)
    # libalias holds at most 128 * 23162 bytes here, so the others hold all but 128 of theirs.
    assert got == [("libalias", 2972160 - 256 - 7296), ("bus", 5120 - 128), ("ifaddr", 1152 - 128),
                   ("subproc", 1024 - 128)]
    # Two types that could each hold the whole zone: nothing is certainly either's.
    assert malloc_zone_shares(1280, 128, [mt("a", 1280, 10, (128,)), mt("b", 1280, 10, (128,))]) == []
    # An unreadable type could hold anything.
    assert malloc_zone_shares(1280, 128, [mt("a", 1280, 10, (128,)), mt("b", None, None, None)]) == []


def test_bars_and_sparklines():
    assert bar(50, 100, 10) == "█████" and bar(1, 1000, 10) == "▏" and bar(0, 100, 10) == ""
    assert sparkline([1, 1, 1]) == "▁▁▁" and sparkline([0, 5, 10]) == "▁▅█"
    text = render_bars(summary())
    assert "└ 128 (libalias)" in text and "unexplained remainder" in text and "of a 1.0G limit" in text
    assert "libalias" in render_sparklines([("libalias", [1, 2, 4])])


def snap(t, libalias, mbuf_used, summary_=None):
    s = {"format": snapshot.FORMAT, "schema": snapshot.SCHEMA,
         "target": {"version": "v", "build_id": "b"}, "time": {"uptime": t, "ticks": None, "hz": None},
         "zones": [{"name": "mbuf", "size": 256, "used": mbuf_used},
                   {"name": "128", "size": 128, "used": libalias // 128}],
         "malloc_types": [{"type": "libalias", "memory-use": libalias, "in-use": libalias // 128,
                           "size": [128]}],
         "malloc_zones": [{"name": "128", "size": 128}]}
    if summary_:
        s["summary"] = summary_
    return s


def test_growth_series_follows_the_ranked_growers():
    snaps = [snap(10, 128 * 100, 10), snap(20, 128 * 5000, 12), snap(40, 128 * 9000, 11)]
    g = growth_series(snaps, top=5, threshold=64 << 10)
    assert g["seconds"] == [0, 10, 30]
    names = [r["name"] for r in g["rows"]]
    assert names == ["libalias", "mbuf"]      # the malloc zone's growth is libalias's: drawn once
    lib = g["rows"][0]
    assert lib["values"] == [12800, 640000, 1152000] and lib["culprit"]
    assert not g["rows"][1]["culprit"] and g["rows"][1]["values"] == [2560, 3072, 2816]
    assert time_axis([snaps[0], dict(snaps[1], time={})]) is None


def test_snapshot_with_and_without_summary_loads(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    snapshot.save(snap(1, 128, 1), str(old))
    snapshot.save(snap(2, 256, 1, summary()), str(new))
    assert "summary" not in snapshot.load(str(old))
    assert snapshot.load(str(new))["summary"]["accounted"] == summary()["accounted"]
    bad = snap(2, 256, 1, {"kernel": {}})
    snapshot.save(bad, str(old))
    with pytest.raises(snapshot.SnapshotError, match="summary"):
        snapshot.load(str(old))


def test_page_has_the_numbers_and_embeds_plotly():
    pytest.importorskip("plotly", reason="python3-plotly not installed")
    s = summary()
    page = report_html.render_html(s, None, (), [("snapshot", "x.json")])
    row = '<tr data-key="accounted"><td>accounted</td><td class="num" data-bytes="%d">' % s["accounted"]
    assert row in page
    assert "<script src" not in page and "Plotly.newPlot" in page and "panic" in page
    snaps = [snap(10, 128 * 100, 10), snap(40, 128 * 9000, 11, copy.deepcopy(s))]
    snaps[-1]["owners"] = {"malloc": {"libalias": "M_ALIAS sys/netinet/libalias/alias_db.c"}}
    growth = series_with_owners(snaps, 5, 64 << 10)       # owners the last snapshot recorded
    assert growth["rows"][0]["owner"].startswith("M_ALIAS") and growth["rows"][1]["owner"] is None
    page = report_html.report_page(snaps, ["a.json", "b.json"], growth)
    assert len(re.findall(r'Plotly\.newPlot\(\s*"', page)) == 2
    assert "culprit: libalias" in page and "M_ALIAS" in page and "a.json (uptime 10 s)" in page
    with pytest.raises(KmemdbgError, match="a.json has no kmem-summary"):
        report_html.report_page(snaps[:1], ["a.json"], None)


@pytest.mark.parametrize("platform, package", [("freebsd14", "pkg install py"),
                                                ("linux", "apt install python3-plotly")])
def test_missing_plotly_names_the_package(monkeypatch, platform, package):
    real_import = builtins.__import__

    def no_plotly(name, *args, **kwargs):
        if name.startswith("plotly"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_plotly)
    monkeypatch.setattr(report_html.sys, "platform", platform)
    with pytest.raises(report_html.PlottingUnavailable, match=package):
        report_html.render_html(summary())
