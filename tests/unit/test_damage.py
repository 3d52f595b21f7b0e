"""Damaged kernels on the fake target, one damage class at a time: each must give a named
warning (or a refusal naming what failed) and leave the undamaged rows as they were."""

import pytest

from kmemdbg.alloc import probes, views
from kmemdbg.alloc.accounting import kmem_account
from kmemdbg.alloc.malloc import malloc_type_stats
from kmemdbg.alloc.uma import uma_zone_stats
from kmemdbg.kernel.cpus import read_cpu_info
from kmemdbg.access import read_cstring, safe_text

from eras import IMAGES
from kbuild import BucketAddr, FakeKernel
from test_account_owner import build
from test_commands import run
from test_uma import plant


def rows(report):
    return {z.name: (z.requests, z.frees, z.used, z.free_cpu, z.free_zone, z.free_keg)
            for z in report.zones}


def _set_all_cpus(k, cpus):
    addr, t = k.t.symbol_address("all_cpus"), k.t.symbol_type("all_cpus")
    mask = sum(1 << c for c in cpus)
    k.t.write(addr, mask.to_bytes(t.size, k.t.byteorder))


@pytest.mark.parametrize("era,arch", IMAGES)
@pytest.mark.parametrize("damage,cpus,words", [
    ("zeroed", (), ["CPU 0 is missing", "holds 0 CPU(s), mp_ncpus = 3"]),
    ("cpu 0 gone", (1, 3), ["CPU 0 is missing", "holds 2 CPU(s), mp_ncpus = 3"]),
    ("extra cpu", (0, 1, 3, 7), ["holds 4 CPU(s), mp_ncpus = 3", "7 above mp_maxid = 3"]),
    ("top cpu gone", (0, 1, 2), ["mp_maxid = 3 is not in it"]),
])
def test_broken_cpu_set_is_named_and_rows_kept(era, arch, damage, cpus, words):
    k = plant(era, arch)
    good = rows(uma_zone_stats(k.t))
    _set_all_cpus(k, cpus)
    info = read_cpu_info(k.t)
    assert len(info.warnings) == 1 and info.warnings[0].startswith("all_cpus at 0x")
    for w in words:
        assert w in info.warnings[0], info.warnings[0]
    assert info.present == (0, 1, 2, 3)
    report = uma_zone_stats(k.t)
    assert report.warnings[0] == info.warnings[0]
    assert rows(report) == good


@pytest.mark.parametrize("era,arch", IMAGES)
def test_undamaged_cpu_set_has_no_warning(era, arch):
    k = plant(era, arch)
    assert read_cpu_info(k.t).warnings == ()
    assert uma_zone_stats(k.t).warnings == ()


def test_safe_text_escapes_control_and_high_bytes():
    assert safe_text("mbuf") == "mbuf"
    assert safe_text("a\x1b[2Jb\n\x9b") == "a\\x1b[2Jb\\x0a\\x9b"
    assert safe_text(safe_text("\x07bell")) == "\\x07bell"


@pytest.mark.parametrize("era,arch", IMAGES)
def test_binary_zone_and_type_names_are_escaped_and_bounded(era, arch):
    k = plant(era, arch)
    k.malloc_type("dev\x9bbuf\n", {0: (64, 0, 1, 0, 0b10)})
    zone = next(z for z in uma_zone_stats(k.t).zones if z.name == "mbuf")
    name_ptr = k._int(zone.address + k.t.layout("struct uma_zone").offset("uz_name"),
                      k.t.pointer_size)
    k.t.write(name_ptr, b"\x1b]0;pwned\x07" + b"A" * 60)      # escape sequence, no NUL
    names = [z.name for z in uma_zone_stats(k.t).zones]
    bad = [n for n in names if n.startswith("\\x1b")]
    assert bad == ["\\x1b]0;pwned\\x07" + "A" * 21] and all(n.isprintable() for n in names)
    assert read_cstring(k.t, name_ptr, 8) == "\\x1b]0;pwn"
    types = malloc_type_stats(k.t).types
    assert [(t.name, t.memory_use) for t in types] == [("dev\\x9bbuf\\x0a", 64)]


PRE13 = [(e, a) for e, a in IMAGES if int(e[4:]) < 13]


@pytest.mark.parametrize("era,arch", PRE13)
def test_misaligned_cpu_bucket_pointer_marks_the_row(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1))
    kg = k.keg(64)
    bucket = BucketAddr(k.bucket(3))
    k.zone(kg, "victim", allocs=4, caches={1: dict(alloc=bucket + 1, raw=True, allocs=2)})
    k.zone(kg, "healthy", allocs=3, caches={0: dict(alloc=1)})
    z = {r.name: r for r in uma_zone_stats(k.t).zones}
    assert z["victim"].free_cpu is None and z["victim"].requests == 6
    assert f"{bucket + 1:#x} is not {k.t.pointer_size}-byte aligned" in z["victim"].issues[0]
    assert "uc_allocbucket of CPU 1" in z["victim"].issues[0]
    assert z["healthy"].free_cpu == 1 and not z["healthy"].issues


@pytest.mark.parametrize("era,arch", IMAGES)
def test_misaligned_zone_pointer_is_a_marked_row(era, arch):
    k = FakeKernel(era, arch, cpus=(0,))
    kg = k.keg(64)
    k.zone(kg, "first", allocs=4)
    k.zone(kg, "second", allocs=3)
    first = next(z for z in uma_zone_stats(k.t).zones if z.name == "first")
    link = first.address + k.t.layout("struct uma_zone").offset("uz_link")
    second = k._int(link, k.t.pointer_size)
    k.t.write_int(link, k.t.pointer_size, second + 2)
    rows = {z.name: z for z in uma_zone_stats(k.t).zones}
    marked = rows.pop(f"<zone {second + 2:#x}>")
    assert "second" not in rows and rows["first"].requests == 4
    assert (marked.used, marked.size, marked.free) == (None, None, None)
    assert f"{second + 2:#x} is not {k.t.pointer_size}-byte aligned" in marked.issues[0]


# ---- model invariants -----------------------------------------------------------------------

def _zero_head(k, symbol):
    k.t.write_int(k.t.symbol_address(symbol), k.t.pointer_size, 0)
    return k.t.symbol_address(symbol)


@pytest.mark.parametrize("era,arch", IMAGES)
def test_empty_lists_are_named_and_listings_refuse(era, arch):
    k = plant(era, arch)
    k.malloc_type("devbuf", {0: (64, 0, 1, 0, 0b10)})
    kegs, types = _zero_head(k, "uma_kegs"), _zero_head(k, "kmemstatistics")
    zones = uma_zone_stats(k.t)
    assert zones.zones == () and zones.warnings == (
        f"uma_kegs at {kegs:#x} is empty, but every kernel has UMA's own kegs (a damaged list head)",)
    assert malloc_type_stats(k.t).warnings[-1].startswith(f"kmemstatistics at {types:#x} is empty")
    for command, head in (("uma-zones", kegs), ("malloc-types", types)):
        rc, text = run(k.t, command)
        assert rc == 1 and text.count("\n") == 1 and "(no rows)" not in text, text
        assert text.startswith(f"kmemdbg: error: {command}: no ") and f"{head:#x}" in text


@pytest.mark.parametrize("era,arch", IMAGES)
def test_keg_without_zone_is_named(era, arch):
    k = plant(era, arch)
    empty = k.keg(64)
    report = uma_zone_stats(k.t)
    assert [w for w in report.warnings if f"keg at {empty:#x} has no zone" in w]
    rc, _ = run(k.t, "uma-zones")
    assert rc == 0


def _frees_kernel(era, arch, caches):
    k = FakeKernel(era, arch, cpus=(0, 1, 2))
    kg = k.keg(64)
    k.zone(kg, "victim", allocs=100, frees=40, caches=caches)
    k.zone(kg, "healthy", allocs=3, caches={0: dict(alloc=1, allocs=1)})
    return k


@pytest.mark.parametrize("era,arch", IMAGES)
def test_frees_beyond_allocations_name_the_member(era, arch):
    k = _frees_kernel(era, arch, {0: dict(allocs=5, frees=10), 2: dict(allocs=7, frees=1000)})
    rows = {z.name: z for z in uma_zone_stats(k.t).zones}
    victim = rows["victim"]
    assert victim.used is None and victim.requests == 112 and victim.frees == 1050
    issue, = victim.issues
    assert issue.startswith(f'frees exceed allocations by 938 in zone "victim" at {victim.address:#x}')
    assert "uz_frees 40 + uc_frees 1010" in issue and "uz_cpu[2].uc_frees = 1000 at 0x" in issue
    assert not rows["healthy"].issues
    kvm = {z.name: z for z in uma_zone_stats(k.t, views.KVM).zones}["victim"]
    assert kvm.issues == (issue,) and kvm.used not in (None, 0)     # vmstat's own number


@pytest.mark.parametrize("era,arch", IMAGES)
@pytest.mark.parametrize("caches", [
    {0: dict(allocs=5, frees=3), 1: dict(allocs=0, frees=70)},   # CPU 1 caught mid-fold
    {0: dict(allocs=0, frees=62)},                                # within one item per CPU
])
def test_frees_the_kernel_explains_are_its_zero(era, arch, caches):
    k = _frees_kernel(era, arch, caches)
    victim = {z.name: z for z in uma_zone_stats(k.t).zones}["victim"]
    assert victim.used == 0 and victim.issues == ()


@pytest.mark.parametrize("era,arch", IMAGES)
def test_negative_malloc_use_is_marked(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1))
    k.malloc_type("victim", {0: (64, 1 << 40, 1, 0, 0b10)})
    k.malloc_type("healthy", {0: (128, 0, 2, 0, 0b100)})
    types = {t.name: t for t in malloc_type_stats(k.t).types}
    victim = types["victim"]
    assert (victim.memory_use, victim.in_use) == (None, 1)
    assert victim.issues == (f'memory use of malloc type "victim" at {victim.address:#x} is '
                             f"negative ({64 - (1 << 40)}): mts_memfreed {1 << 40} > "
                             "mts_memalloced 64 over the CPUs",)
    assert types["healthy"].memory_use == 128 and not types["healthy"].issues
    kvm = {t.name: t for t in malloc_type_stats(k.t, views.KVM).types}["victim"]
    assert kvm.memory_use == (64 - (1 << 40)) % (1 << 64)


@pytest.mark.parametrize("era", ["fbsd13", "fbsd14"])
def test_absurd_kmem_in_use_is_not_shown(era):
    k = build(era)
    total = k.t.symbol_address("uma_kmem_total")
    k.t.write_int(total, 8, 1 << 50)
    acct = kmem_account(k.t)
    assert acct.kmem_in_use is None and acct.remainder is None
    assert acct.warnings == [f"uma_kmem_total = {1 << 50} at {total:#x} is absurd: more than 2x "
                             f"the kmem limit {1 << 30} (uma_kmem_limit); kmem in use not shown"]


@pytest.mark.parametrize("era", ["fbsd13", "fbsd14"])
def test_malloc_zone_beyond_its_types_is_named(era):
    k = build(era)          # devbuf: 4736 bytes with the 128-byte bit; "malloc-128" holds 640
    zone = next(z for z in uma_zone_stats(k.t).zones if z.name == "malloc-128")
    cpu0 = zone.address + k.t.layout("struct uma_zone").offset("uz_cpu")
    k.t.put(cpu0, "struct uma_cache", {"uc_allocs": 100})        # 100 more items in use
    acct = kmem_account(k.t)
    assert acct.warnings == [f"malloc types account for 4736 bytes of size 128, less than the "
                             f'13440 bytes in use in malloc zone "malloc-128" at '
                             f"{zone.address:#x} (105 items)"]
    rc, text = run(k.t, "kmem-summary")
    assert rc == 0 and 'malloc zone "malloc-128"' in text


@pytest.mark.parametrize("era,arch", IMAGES)
def test_malloc_statistics_all_zero_are_named_and_refused(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1))
    k.malloc_type("devbuf", {})
    k.malloc_type("temp", {})
    warnings = malloc_type_stats(k.t).warnings
    assert warnings == ("all 2 malloc types on kmemstatistics read zero requests: their "
                        f"statistics ({probes.malloc_stats_kind(k.t)}) are damaged",)
    rc, text = run(k.t, "malloc-types")
    assert rc == 1 and "read zero requests" in text and "(no rows)" not in text
    rc, text = run(k.t, "malloc-types", "--all")
    assert rc == 0 and "devbuf" in text and "read zero requests" in text
