"""Snapshots and diffs on plain data: ranking, malloc-zone attribution, rates, bad files."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "plugins"))

from kmemdbg.leak import snapshot  # noqa: E402
from kmemdbg.leak.diff import MALLOC, MALLOC_ZONE, ZONE, culprits, diff  # noqa: E402


def zone(name, size, used, free=0):
    return {"name": name, "size": size, "limit": 0, "used": used, "free": free, "requests": used,
            "fail": 0, "sleep": 0, "xdomain": None, "free-cpu": free, "free-zone": 0, "free-keg": 0}


def mtype(name, inuse, memuse, sizes):
    return {"type": name, "in-use": inuse, "memory-use": memuse, "requests": inuse, "size": sizes}


def snap(zones, mtypes, uptime, version="FreeBSD 13.2-RELEASE"):
    return snapshot.make_snapshot(
        {"version": version, "osreldate": 1302000, "build_id": None, "era": "fbsd13"},
        {"ticks": None, "hz": 1000, "uptime": uptime}, zones, mtypes,
        [{"name": "malloc-128", "size": 128}, {"name": "malloc-64", "size": 64}],
        "2026-11-26T00:00:00Z")


def router_pair():
    old = snap([zone("malloc-128", 128, 1000), zone("mbuf", 256, 500), zone("malloc-64", 64, 10)],
               [mtype("libalias", 800, 800 * 128, [128]), mtype("devbuf", 200, 200 * 128, [128]),
                mtype("temp", 10, 640, [64])], uptime=100)
    new = snap([zone("malloc-128", 128, 5000), zone("mbuf", 256, 520), zone("malloc-64", 64, 10)],
               [mtype("libalias", 4800, 4800 * 128, [128]), mtype("devbuf", 200, 200 * 128, [128]),
                mtype("temp", 10, 640, [64])], uptime=200)
    return old, new


def test_diff_ranks_growing_malloc_type_first_and_explains_its_zone():
    d = diff(*router_pair())
    first = d.rows[0]
    assert (first.kind, first.name, first.bytes, first.items) == (MALLOC, "libalias", 4000 * 128, 4000)
    assert first.rate == pytest.approx(4000 * 128 / 100)
    z = next(g for g in d.rows if g.name == "malloc-128")
    assert z.kind == MALLOC_ZONE and z.bytes == 4000 * 128
    assert z.explained_by == [("libalias", 4000 * 128)]
    assert z.rank_bytes == 0          # fully explained: not ranked as a second culprit
    assert [g.name for g in culprits(d, 64 * 1024)] == ["libalias"]


def test_diff_zone_growth_without_malloc_type_is_ranked():
    old, new = router_pair()
    new["zones"][1]["used"] = 5000     # mbuf grows by 4480 items
    d = diff(old, new)
    assert {(g.kind, g.name) for g in culprits(d, 64 * 1024)} == {(MALLOC, "libalias"), (ZONE, "mbuf")}


def test_diff_no_growth_no_culprit_and_different_kernel_warning():
    old, _ = router_pair()
    same = json.loads(json.dumps(old))
    same["target"]["version"] = "FreeBSD 14.1-RELEASE"
    d = diff(old, same)
    assert culprits(d, 0) == []
    assert any("different kernels" in w for w in d.warnings)
    assert any("rates not shown" in w for w in d.warnings)


def test_snapshot_roundtrip_and_bad_files(tmp_path):
    old, _ = router_pair()
    p = tmp_path / "a.json"
    snapshot.save(old, str(p))
    assert snapshot.load(str(p)) == old
    bad = {"trunc.json": p.read_text()[:50], "foreign.json": json.dumps({"zones": []}),
           "newer.json": json.dumps(dict(old, schema=99))}
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(snapshot.SnapshotError) as e:
            snapshot.load(str(tmp_path / name))
        assert name in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(snapshot.SnapshotError, match="cannot read"):
        snapshot.load(str(tmp_path / "missing.json"))


def test_elapsed_prefers_uptime_and_handles_tick_wrap():
    a = {"time": {"ticks": (1 << 32) - 500, "hz": 1000, "uptime": None}}
    b = {"time": {"ticks": 1500, "hz": 1000, "uptime": None}}
    assert snapshot.elapsed_seconds(a, b) == 2.0
    a["time"]["uptime"], b["time"]["uptime"] = 10, 70
    assert snapshot.elapsed_seconds(a, b) == 60


def test_auto_threshold_scales_with_memory_in_use():
    from kmemdbg.leak.diff import MIN_AUTO_THRESHOLD, auto_threshold
    _, new = router_pair()
    assert auto_threshold(new) == MIN_AUTO_THRESHOLD          # ~780 KB in use: the floor
    new["zones"][1]["used"] = 400000                           # ~100 MB of mbufs
    assert auto_threshold(new) == (5000 * 128 + 400000 * 256 + 10 * 64) // 100


def test_multi_size_type_explains_each_of_its_zones():
    old, new = router_pair()
    for snap, n in ((old, 800), (new, 4800)):
        snap["malloc_types"][0]["size"] = [128, 65536]
        snap["malloc_types"][0]["memory-use"] = n * 128 + 65536
    d = diff(old, new)
    z = next(g for g in d.rows if g.name == "malloc-128")
    assert z.explained_by == [("libalias", 4000 * 128)] and z.rank_bytes == 0
    assert [g.name for g in culprits(d, 64 * 1024)] == ["libalias"]


def test_diff_pairs_zones_of_one_name_by_occurrence():
    """MALLOC_DEBUG_MAXZONES kernels have 8 "malloc-128" zones: the Nth one of the old snapshot
    is compared with the Nth of the new one, never summed or mixed up."""
    old = snap([zone("malloc-128", 128, n) for n in (10, 20, 30)], [], uptime=100)
    new = snap([zone("malloc-128", 128, n) for n in (10, 25, 130)], [], uptime=200)
    rows = [(g.name, g.items, g.old_bytes) for g in diff(old, new).rows]
    assert sorted(rows) == [("malloc-128", 5, 20 * 128), ("malloc-128", 100, 30 * 128)]


def test_malloc_zone_ranks_by_its_growth_next_to_its_types_growth_first():
    """A 128 zone that grew 20 MB, fully explained, is not buried under zones that grew a few KB;
    shrinking rows never come before growing ones."""
    old, new = router_pair()
    new["zones"][2]["used"] = 9            # malloc-64 shrinks
    new["zones"].append(zone("tiny", 64, 3))
    d = diff(old, new)
    names = [g.name for g in d.rows]
    assert names[:2] == ["libalias", "malloc-128"]          # the type, then its zone
    assert names.index("tiny") < names.index("malloc-64")   # growth before shrinkage
    assert all(g.bytes >= 0 for g in d.rows[:names.index("malloc-64")])


def test_type_credited_only_for_its_sizes_and_never_beyond_the_zone():
    old, new = router_pair()
    # devbuf (64 only) grows 1 MB while malloc-64 grows 640 bytes; libalias grows in 128
    old["malloc_types"][1].update({"size": [64]})
    new["malloc_types"][1].update({"size": [64], "memory-use": 200 * 128 + (1 << 20)})
    new["zones"][2]["used"] = 20
    d = diff(old, new)
    z128 = next(g for g in d.rows if g.name == "malloc-128")
    z64 = next(g for g in d.rows if g.name == "malloc-64")
    assert z128.explained_by == [("libalias", 4000 * 128)]
    assert z64.explained_by == [("devbuf", 640)] and z64.rank_bytes == 0


def test_one_type_growth_is_not_credited_twice():
    old, new = router_pair()
    for s in (old, new):
        s["malloc_types"][0]["size"] = [64, 128]
    new["zones"][2]["used"] = 1010         # malloc-64 grows 64000 bytes too
    d = diff(old, new)
    credited = sum(b for g in d.rows for t, b in g.explained_by if t == "libalias")
    assert credited == 4000 * 128          # libalias' growth, shared out once


def test_snapshots_of_different_releases_or_architectures_are_refused():
    from kmemdbg.leak.diff import ForeignSnapshots
    old, new = router_pair()
    new["target"].update({"version": "FreeBSD 14.1-RELEASE", "osreldate": 1401000})
    with pytest.raises(ForeignSnapshots) as e:
        diff(old, new)
    assert "FreeBSD 13.2-RELEASE" in str(e.value) and "FreeBSD 14.1-RELEASE" in str(e.value)
    assert "--any-kernel" in str(e.value)
    assert any("different kernels" in w for w in diff(old, new, allow_foreign=True).warnings)
    old, new = router_pair()
    old["target"]["arch"], new["target"]["arch"] = "32-bit little-endian", "64-bit little-endian"
    with pytest.raises(ForeignSnapshots, match="architecture"):
        diff(old, new)
