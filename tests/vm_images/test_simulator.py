"""The simulated FreeBSD kernels (vm_images/): ledger invariants of expected.json, determinism,
and the per-era structure members, checked in the debug info of each image with gdb and lldb-19.

Run `make -C vm_images` first (the session fixture builds the images if they are missing).
"""
import json
import shutil
import subprocess

import pytest

from conftest import ERAS, SCENARIOS, image_dir

CASES = [(e, s) for e in ERAS for s in SCENARIOS]


def load(era, scenario, name="expected.json"):
    with open(image_dir(era, scenario) / name) as f:
        return json.load(f)


def zones(exp, view="uma-zones"):
    return exp[view]["memory-zone-statistics"]["zone"]


def mtypes(exp, view="malloc-types"):
    return exp[view]["malloc-statistics"]["memory"]


def era_major(era):
    return int(era[4:].split("-")[0])


# ---- ledger invariants ------------------------------------------------------------------------

@pytest.mark.parametrize("era,scenario", CASES)
def test_image_metadata(images, era, scenario):
    exp = load(era, scenario)
    img = exp["image"]
    assert exp["schema_version"] == 1
    assert img["era"] == era.split("-")[0]
    assert img["arch"] == ("i386" if era in ("fbsd6", "fbsd11-i386") else "amd64")
    assert img["scenario"] == scenario
    assert img["panicstr"]
    want = {6: 604000, 9: 903000, 11: 1104000, 12: 1201000, 13: 1302000, 14: 1401000,
            15: 1500068}[era_major(era)]
    assert img["osreldate"] == (1500023 if era == "fbsd15-debug" else want)
    assert img["version"].startswith("FreeBSD %d." % era_major(era))
    assert img["mp_maxid"] == max(img["cpus"])
    assert img["mp_ncpus"] == len(img["cpus"])
    if scenario == "router":
        assert img["modules"] == ["libalias.ko", "ng_nat.ko"]
        if era_major(era) <= 11:
            assert img["panicstr"].startswith("kmem_malloc(16384): kmem_map too small: ")


@pytest.mark.parametrize("era,scenario", CASES)
def test_zone_where_view_adds_up(images, era, scenario):
    exp = load(era, scenario)
    where = zones(exp, "uma-zones --where")
    assert len(where) == len(zones(exp))
    for z, true in zip(where, zones(exp)):       # the same walk: rows pair by position
        assert z["free"] == z["free-cpu"] + z["free-zone"] + z["free-keg"], z
        t = dict(z)
        for k in ("free-cpu", "free-zone", "free-keg"):
            assert t.pop(f"{k}-bytes") == t[k] * z["size"], (z, k)
            del t[k]
        assert t == true
        assert (t["memory"], t["total"]) == (t["used"] * t["size"], (t["used"] + t["free"]) * t["size"])


@pytest.mark.parametrize("era,scenario", CASES)
def test_zone_counts(images, era, scenario):
    exp = load(era, scenario)
    pressure = scenario == "router"      # the router runs kmem dry at the end
    for z in zones(exp):
        assert z["requests"] >= z["used"] >= 0, z
        if z["limit"]:
            assert z["used"] <= z["limit"], z
        if z["fail"] and not pressure:
            assert z["limit"], "failures on an unlimited zone without memory pressure: %s" % z
        assert (z["sleep"] is None) == (era == "fbsd6"), z
        assert (z["xdomain"] is None) == (era_major(era) < 13), z


@pytest.mark.parametrize("era,scenario", CASES)
def test_keg_items_add_up(images, era, scenario):
    """Items carved from a keg's slabs are either used, cached (CPU/zone buckets) or free in
    the keg's slabs."""
    exp = load(era, scenario)
    # the kernel walk (kegs newest first as the ledger lists them, each keg's zones in order)
    # is the reverse of vmstat's order; cache-only zones (no keg) come after the kegs' zones
    walk = iter(reversed(zones(exp, "uma-zones --where")))
    for keg in exp["ledger"]["kegs"]:
        rows = [next(walk) for _ in keg["zones"]]
        assert [z["name"] for z in rows] == keg["zones"]
        held = sum(z["used"] + z["free-cpu"] + z["free-zone"] for z in rows)
        assert held + keg["free_items"] == keg["slabs"] * keg["ipers"], keg
        assert keg["pages"] == keg["slabs"] * keg["ppera"], keg


@pytest.mark.parametrize("era,scenario", CASES)
def test_kmem_summary_reconciles(images, era, scenario):
    """The kmem-summary categories add up to the kmem the kernel accounts, with no remainder,
    and malloc(9)'s bytes are exactly its small part plus its large part."""
    exp = load(era, scenario)
    summary, kmem = exp["kmem-summary"], exp["ledger"]["kmem"]
    cat = summary["categories"]
    assert summary["accounted"] == sum(cat.values())
    in_use = next(kmem[k] for k in ("uma_kmem_total", "kmem_arena_inuse", "kmem_map_size")
                  if k in kmem)
    assert summary["accounted"] == in_use
    assert cat["malloc_large"] == exp["ledger"]["malloc_large"]["bytes"]
    assert cat["malloc_small"] + cat["malloc_large"] == sum(m["memory-use"] for m in mtypes(exp))
    assert min(cat.values()) >= 0 and cat["overhead"] > 0


@pytest.mark.parametrize("era,scenario", CASES)
def test_malloc_types(images, era, scenario):
    exp = load(era, scenario)
    true = mtypes(exp)
    kvm = {m["type"]: m for m in mtypes(exp, "malloc-types --compat kvm")}
    sizes = {z["name"]: z["size"] for z in zones(exp)}
    names = [m["type"] for m in true]
    assert len(names) == len(set(names))
    for m in true:
        assert m["high-use"] is None
        assert m["requests"] >= m["in-use"] >= 0, m
        assert m["requests"] > 0 or m["in-use"] > 0
        assert m["size"] == sorted(m["size"])
        for s in m["size"]:
            zname = ("malloc-%d" % s) if era_major(era) >= 13 else str(s)
            assert sizes.get(zname) == s, (m, zname)
        if era_major(era) <= 11:
            # libmemstat sums every mti_stats[] slot: the kvm view is the true view
            assert kvm[m["type"]] == m
    owners = {o["type"]: o for o in exp["ledger"]["malloc_types"]}
    assert owners["devbuf"]["symbol"] == "M_DEVBUF"
    assert owners["devbuf"]["file"] == "sys/kern/kern_malloc.c"
    assert owners["devbuf"]["module"] is None
    if scenario == "router":
        assert owners["libalias"] == {"type": "libalias", "symbol": "M_ALIAS",
                                      "file": "sys/netinet/libalias/alias_db.c",
                                      "module": "libalias.ko"}


def test_malloc_zone_names(images):
    for era in ERAS:
        names = {z["name"] for z in zones(load(era, "idle"))}
        major = era_major(era)
        if major >= 13:
            assert {"malloc-16", "malloc-384", "malloc-65536"} <= names
            assert "128" not in names
        else:
            assert {"16", "128", "4096"} <= names and "malloc-128" not in names
            assert ("65536" in names) == (major == 12)


@pytest.mark.parametrize("era", ERAS)
def test_router_leak_and_limits(images, era):
    mid, end = load(era, "router", "expected.30.json"), load(era, "router")
    leak = end["ledger"]["leak"]
    assert leak["type"] == "libalias"
    assert leak["zone"] == ("malloc-128" if era_major(era) >= 13 else "128")
    use = {e: {m["type"]: m for m in mtypes(x)}["libalias"] for e, x in (("mid", mid), ("end", end))}
    assert use["end"]["in-use"] > use["mid"]["in-use"] > 0
    assert use["end"]["in-use"] == leak["in_use"]
    z = {x["name"]: x for x in zones(end)}
    # every live libalias item but the instance itself (one large / 64 KB allocation) is a
    # link in the 128-byte zone (one of several of that name on a MALLOC_DEBUG_MAXZONES kernel)
    assert max(x["used"] for x in zones(end) if x["name"] == leak["zone"]) >= leak["in_use"] - 1
    ng = z["NetGraph items"]
    assert ng["limit"] > 0 and ng["fail"] > 0 and ng["used"] <= ng["limit"]
    assert z["mbuf_cluster"]["limit"] > 0
    if era_major(era) > 6:
        assert z["mbuf_packet"]["size"] == z["mbuf"]["size"] == 256


@pytest.mark.parametrize("era,scenario", CASES)
def test_deterministic(images, era, scenario, tmp_path):
    src = image_dir(era, scenario)
    shutil.copy(src / "kernel", tmp_path / "kernel")
    shutil.copytree(src / "modules", tmp_path / "modules")
    args = (src / "args").read_text().split()
    cmd = ["./kernel", *args, "--out", "."]
    if shutil.which("setarch"):
        cmd = ["setarch", "-R", *cmd]
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for name in ("expected.json", "reach.json"):
        again, built = (tmp_path / name).read_text(), (src / name).read_text()
        if again != built:      # not `assert a == b`: pytest's diff of 2 MB of JSON runs for hours
            at = next((i for i, (a, b) in enumerate(zip(again.splitlines(), built.splitlines()))
                       if a != b), min(again.count("\n"), built.count("\n")))
            pytest.fail(f"{name} of a second run differs from the image's at line {at + 1}: "
                        f"{again.splitlines()[at:at + 1]!r:.300} against "
                        f"{built.splitlines()[at:at + 1]!r:.300}")


@pytest.mark.parametrize("scenario", ["fileserver"])
def test_fileserver_plateau(images, scenario):
    """vnodes and the name cache stay bounded (recycled beyond a target)."""
    for era in ERAS:
        z = {x["name"]: x for x in zones(load(era, scenario))}
        assert 0 < z["VNODE"]["used"] <= 800 + 64
        assert z["VNODE"]["requests"] > z["VNODE"]["used"]


# ---- era members in the debug info (gdb and lldb-19) -----------------------------------------

# (type, members that must be there, members that must not)
ERA_MEMBERS = {
    "fbsd6": [("struct uma_zone", ["uz_keg", "uz_full_bucket", "uz_cpu"], ["uz_kegs", "uz_sleeps"]),
              ("struct malloc_type", ["ks_handle", "_ks_memuse", "ks_magic"], ["ks_mti"]),
              ("struct malloc_type_internal", ["mti_stats"], ["mti_probes", "mti_zone"]),
              # 6.x locks: lock_object with class, type and a TAILQ link; mtx_recurse
              ("struct lock_object", ["lo_class", "lo_name", "lo_type", "lo_list", "lo_witness"],
               ["lo_data"]),
              ("struct mtx", ["mtx_object", "mtx_lock", "mtx_recurse"], ["lock_object"])],
    "fbsd9": [("struct uma_zone", ["uz_kegs", "uz_full_bucket", "uz_sleeps"], ["uz_buckets"]),
              ("struct mtx", ["lock_object", "mtx_lock"], ["mtx_recurse", "mtx_object"]),
              ("struct malloc_type", ["ks_handle", "ks_magic"], ["_ks_memuse", "ks_mti"]),
              ("struct malloc_type_internal", ["mti_probes", "mti_zone", "mti_stats"], [])],
    "fbsd11": [("struct uma_zone", ["uz_buckets", "uz_kegs"], ["uz_full_bucket", "uz_domain"]),
               ("struct malloc_type", ["ks_handle"], ["ks_mti"])],
    "fbsd12": [("struct uma_zone", ["uz_domain"], ["uz_buckets", "uz_xdomain"]),
               ("struct malloc_type", ["ks_handle", "ks_magic"], ["ks_mti"])],
    "fbsd13": [("struct uma_zone", ["uz_xdomain"], ["uz_domain", "uz_buckets"]),
               ("struct uma_cache", ["uc_crossbucket"], []),
               ("struct malloc_type", ["ks_mti", "ks_version"], ["ks_handle", "ks_magic"]),
               ("struct malloc_type_internal", ["mti_stats", "mti_spare"], [])],
}
ERA_MEMBERS["fbsd11-i386"] = ERA_MEMBERS["fbsd11"]
ERA_MEMBERS["fbsd14"] = ERA_MEMBERS["fbsd15"] = ERA_MEMBERS["fbsd15-debug"] = ERA_MEMBERS["fbsd13"]


def _has_member(text, member):
    import re
    return re.search(r"[\s*]%s(\[\d*\])?\s*;" % re.escape(member), text) is not None


def _gdb(era, *cmds):
    d = image_dir(era, "idle")
    argv = ["gdb", "-batch", "-nx"]
    for c in cmds:
        argv += ["-ex", c]
    argv += [str(d / "kernel"), str(d / "vmcore")]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120).stdout


def _lldb(era, *cmds):
    d = image_dir(era, "idle")
    argv = ["lldb-19", "-b", "--no-lldbinit", "-c", str(d / "vmcore"), str(d / "kernel")]
    for c in cmds:
        argv += ["-o", c]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120).stdout


@pytest.mark.parametrize("era", ERAS)
def test_era_members_gdb(images, era):
    if not shutil.which("gdb"):
        pytest.skip("gdb not installed")
    for typ, present, absent in ERA_MEMBERS[era]:
        out = _gdb(era, "ptype " + typ)
        assert out.strip(), typ
        for m in present:
            assert _has_member(out, m), (era, typ, m, out)
        for m in absent:
            assert not _has_member(out, m), (era, typ, m, out)
    out = _gdb(era, "ptype struct malloc_type_internal")
    if era_major(era) <= 11:
        assert "mti_stats[" in out
    else:
        assert "*mti_stats;" in out
    if era_major(era) == 12:
        assert "struct uma_zone_domain *uz_domain;" in _gdb(era, "ptype struct uma_zone")


@pytest.mark.parametrize("era", ERAS)
def test_era_members_lldb(images, era):
    if not shutil.which("lldb-19"):
        pytest.skip("lldb-19 not installed")
    for typ, present, absent in ERA_MEMBERS[era]:
        out = _lldb(era, "type lookup " + typ.split()[1])
        for m in present:
            assert _has_member(out, m), (era, typ, m, out)
        for m in absent:
            assert not _has_member(out, m), (era, typ, m, out)


@pytest.mark.parametrize("era", ERAS)
def test_globals_in_core_gdb(images, era):
    """The core carries the era's globals with the values the ledger reports."""
    if not shutil.which("gdb"):
        pytest.skip("gdb not installed")
    exp = load(era, "idle")
    out = _gdb(era, "print osreldate", "print panicstr", "print kmemzones[0].kz_size",
               "ptype kmemzones")
    assert "= %d" % exp["image"]["osreldate"] in out
    assert "kdb_sysctl_panic" in out
    assert "= 16" in out
    if era == "fbsd6":
        assert "uma_zone_t kz_zone;" in out
    else:
        assert ("kz_zone[8];" if era == "fbsd15-debug" else "kz_zone[1];") in out


# 14+ amd64 kernels are built with MAXCPU 1024; 13 with 256.
MAXCPU_AMD64 = {13: 256, 14: 1024, 15: 1024}
# sys/sys/malloc.h M_VERSION, the ks_version of every type a kernel registers.
M_VERSION = {13: 2020110501, 14: 2020110501, 15: 2024073001}


def test_fbsd6_mutex_is_36_bytes_gdb(images):
    """Real 6.x i386: struct mtx is 36 bytes, so keg members after uk_lock sit 16 bytes later
    than with the 20-byte mutex of 7.x and later."""
    if not shutil.which("gdb"):
        pytest.skip("gdb not installed")
    out = _gdb("fbsd6", "print sizeof(struct mtx)", "print sizeof(struct lock_object)",
               "print (int)&((struct uma_keg *)0)->uk_hash - (int)&((struct uma_keg *)0)->uk_lock")
    assert [line.split()[-1] for line in out.splitlines() if line.startswith("$")] == ["36", "28", "36"]


def test_debug_kernel_has_8_malloc_zones_per_size(images):
    """MALLOC_DEBUG_MAXZONES=8: numzones 8, 8 zones of each malloc-N name, each on its own keg;
    the types spread over them (several sub-zones of one size in use)."""
    exp = load("fbsd15-debug", "router")
    names = [z["name"] for z in zones(exp)]
    sizes = [n for n in dict.fromkeys(names) if n.startswith("malloc-")]
    assert len(sizes) == 14 and all(names.count(n) == 8 for n in sizes)
    kegs = [k for k in exp["ledger"]["kegs"] if k["name"] == "malloc-128"]
    assert len(kegs) == 8 and all(k["zones"] == ["malloc-128"] for k in kegs)
    assert any(sum(1 for z in zones(exp) if z["name"] == n and z["requests"]) > 1 for n in sizes)
    assert "numzones = 8" in " ".join(_gdb("fbsd15-debug", "print numzones").split()).replace("$1 ", "numzones ")


@pytest.mark.parametrize("era", ["fbsd13", "fbsd14", "fbsd15"])
def test_maxcpu_and_m_version_gdb(images, era):
    """cpuid_to_pcpu[MAXCPU], a MAXCPU-bit all_cpus and the types' ks_version of the release."""
    if not shutil.which("gdb"):
        pytest.skip("gdb not installed")
    n = era_major(era)
    out = _gdb(era, "print sizeof(cpuid_to_pcpu)/sizeof(cpuid_to_pcpu[0])",
               "print sizeof(all_cpus)*8", "print M_DEVBUF[0].ks_version",
               "print M_TEMP[0].ks_version")
    assert out.split().count("%d" % MAXCPU_AMD64[n]) == 2, out
    assert out.split().count("%d" % M_VERSION[n]) == 2, out


def test_fbsd13_absent_cpu_kvm_view(images):
    """fbsd13/router runs CPU ids 0,1,3,4: 12+ libmemstat sums CPUs 0..mp_ncpus-1 only, so the
    kvm view misses CPU 4's share that the true view has."""
    exp = load("fbsd13", "router")
    assert exp["image"]["cpus"] == [0, 1, 3, 4] and exp["image"]["vm_ndomains"] == 2
    true = {m["type"]: m for m in mtypes(exp)}
    kvm = {m["type"]: m for m in mtypes(exp, "malloc-types --compat kvm")}
    assert kvm["libalias"]["requests"] < true["libalias"]["requests"]
    assert all(kvm[t]["requests"] <= true[t]["requests"] for t in kvm)
