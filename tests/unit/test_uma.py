"""UMA walkers against planted numbers, for every era, in the true, where and kvm views."""

import pytest

from kmemdbg.alloc.uma import uma_zone_stats
from kmemdbg.alloc.views import KVM, TRUE

from eras import IMAGES
from kbuild import UMA_ZFLAG_INTERNAL, UMA_ZONE_SECONDARY, FakeKernel


def by_name(report):
    return {z.name: z for z in report.zones}


def plant(era, arch, ndomains=1, secondary_flag_on_keg=None):
    """Two kegs: "mbuf" (primary "mbuf", secondary "mbuf_packet") and "64 Bucket" (internal).

    CPUs 0, 1, 3 present (mp_maxid 3, mp_ncpus 3).
    """
    k = FakeKernel(era, arch, cpus=(0, 1, 3), ndomains=ndomains)
    flags = UMA_ZONE_SECONDARY if secondary_flag_on_keg else 0
    mbuf = k.keg(256, ipers=15, ppera=1, maxpages=100, flags=flags, free=7,
                 domain_free=[7, 4][:ndomains])
    caches = {0: dict(alloc=3, free=2, cross=1, allocs=10, frees=4),
              3: dict(alloc=4, free=None, cross=0, allocs=20, frees=6)}
    buckets = [[5, 6], [9]][:ndomains] if ndomains > 1 else [5, 6]
    k.zone(mbuf, "mbuf", allocs={0: 60, 1: 40}, frees={0: 30, 1: 10}, fails={1: 2}, sleeps=3,
           xdomain={3: 4}, max_items=1500, caches=caches, buckets=buckets,
           cross=[2, 0][:ndomains])
    k.zone(mbuf, "mbuf_packet", allocs={0: 9}, frees={0: 1}, caches={1: dict(alloc=2, allocs=1)})
    internal = k.keg(512, ipers=8, ppera=2, maxpages=20, flags=UMA_ZFLAG_INTERNAL, free=5,
                     domain_free=[5, 0][:ndomains])
    k.zone(internal, "64 Bucket", allocs={0: 50}, frees={0: 20},
           caches={0: dict(alloc=6, allocs=3, frees=1)})
    return k


def counters9(k):
    return k.n >= 13


@pytest.mark.parametrize("era,arch", IMAGES)
def test_true_view(era, arch):
    k = plant(era, arch)
    r = uma_zone_stats(k.t, TRUE)
    z = by_name(r)
    assert [x.name for x in r.zones] == ["64 Bucket", "mbuf", "mbuf_packet"]   # kegs newest first
    mbuf, pkt, bkt = z["mbuf"], z["mbuf_packet"], z["64 Bucket"]
    assert mbuf.size == 256 and bkt.size == 512
    cross = k.n >= 13
    # per-CPU: CPU0 alloc 3 + free 2 (+ cross 1 in 13+), CPU3 alloc 4 (+ cross 0)
    assert mbuf.free_cpu == 3 + 2 + 4 + (1 if cross else 0)
    assert mbuf.free_zone == 5 + 6 + (2 if cross else 0)
    assert mbuf.free_keg == 7 and pkt.free_keg == 0
    assert mbuf.free == mbuf.free_cpu + mbuf.free_zone + 7
    assert mbuf.requests == 100 + 30 and mbuf.frees == 40 + 10 and mbuf.used == 80
    assert mbuf.fail == 2
    assert mbuf.sleep == (None if era == "fbsd6" else 3)
    assert mbuf.xdomain == (4 if k.n >= 13 else None)
    if k.n >= 13:
        assert mbuf.limit == 1500
    else:
        assert mbuf.limit == (100 // 1) * 15 and bkt.limit == (20 // 2) * 8
    assert (pkt.requests, pkt.used, pkt.free_cpu) == (10, 9, 2)
    # internal kegs have no per-CPU caches; their uz_cpu[] is never read
    assert (bkt.requests, bkt.free_cpu, bkt.free_keg) == (50, 0, 5)
    assert all(not x.issues for x in r.zones) and not r.warnings


@pytest.mark.parametrize("era,arch", IMAGES)
def test_kvm_view(era, arch):
    k = plant(era, arch)
    z = by_name(uma_zone_stats(k.t, KVM))
    mbuf, pkt, bkt = z["mbuf"], z["mbuf_packet"], z["64 Bucket"]
    # counter(9) (13+) sums CPUs 0..mp_ncpus-1 = 0..2: CPU 3's xdomain is not seen.
    assert mbuf.xdomain == (0 if k.n >= 13 else None)
    assert mbuf.requests == 130 and mbuf.used == 80
    # no uzd_cross in kvm; per-CPU buckets still counted (all_cpus CPUs <= mp_maxid)
    assert mbuf.free_cpu == 3 + 2 + 4 + (1 if k.n >= 13 else 0)
    assert mbuf.free_zone == 11
    if k.n >= 13:
        assert (mbuf.free_keg, pkt.free_keg, bkt.free_keg) == (0, 0, 0)   # inverted test
    else:
        # keg free on every zone of the keg: the zone (not keg) carries SECONDARY from 8.x
        assert (mbuf.free_keg, pkt.free_keg) == (7, 7)
    # internal keg: no per-CPU data at all
    assert (bkt.requests, bkt.frees, bkt.free_cpu) == (50, 20, 0)
    if k.n <= 12:     # libmemstat's limit quirk: ppera > 1 divides pages by items per slab
        assert mbuf.limit == 100 * 15 and bkt.limit == 20 // 8
    assert "cachez" not in z


def test_kvm_secondary_flag_on_keg_6x():
    k = plant("fbsd6", "i386", secondary_flag_on_keg=True)
    z = by_name(uma_zone_stats(k.t, KVM))
    assert (z["mbuf"].free_keg, z["mbuf_packet"].free_keg) == (7, 0)


def test_kvm_clamps_allocs_to_frees_13():
    k = FakeKernel("fbsd13", cpus=(0, 1))
    kg = k.keg(64)
    k.zone(kg, "racy", allocs={0: 5}, frees={0: 9}, caches={1: dict(allocs=7, frees=1)})
    kvm = by_name(uma_zone_stats(k.t, KVM))["racy"]
    assert (kvm.requests, kvm.frees, kvm.used) == (9 + 7, 10, 6)
    true = by_name(uma_zone_stats(k.t, TRUE))["racy"]
    assert (true.requests, true.used) == (12, 2)


def test_kvm_used_wraps_unsigned_before_13():
    k = FakeKernel("fbsd11")
    kg = k.keg(64)
    k.zone(kg, "racy", allocs=5, frees=9)
    assert by_name(uma_zone_stats(k.t, KVM))["racy"].used == (1 << 64) - 4


@pytest.mark.parametrize("era", ["fbsd12", "fbsd13", "fbsd14"])
def test_two_domains(era):
    k = plant(era, "amd64", ndomains=2)
    z = by_name(uma_zone_stats(k.t, TRUE))
    assert z["mbuf"].free_zone == 5 + 6 + 9 + (2 if k.n >= 13 else 0)
    assert z["mbuf"].free_keg == (11 if k.n >= 13 else 7)


@pytest.mark.parametrize("era,arch", [(e, a) for e, a in IMAGES if int(e[4:]) >= 11])
def test_cache_only_zones_in_true_view_only(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1))
    k.zone(None, "mbuf_cluster_cache", size=2048, max_items=64,
           caches={1: dict(alloc=3, allocs=5, frees=1)}, buckets=[4])
    r = uma_zone_stats(k.t, TRUE)
    z = by_name(r)["mbuf_cluster_cache"]
    assert z.cache_only and z.keg == 0
    assert (z.free_cpu, z.free_zone, z.free_keg, z.requests, z.used) == (3, 4, 0, 5, 4)
    assert z.limit == (64 if k.n >= 13 else 0)
    assert by_name(uma_zone_stats(k.t, KVM)) == {}


# --- corruption: every era --------------------------------------------------------------------

BAD = 0xdead0000


@pytest.mark.parametrize("era,arch", IMAGES)
def test_bad_name_pointer_marks_row(era, arch):
    k = plant(era, arch)
    zl = k.t.layout("struct uma_zone")
    zone = [z for z in uma_zone_stats(k.t).zones if z.name == "mbuf_packet"][0]
    k.t.write_int(zone.address + zl.offset("uz_name"), k.t.pointer_size, BAD)
    k.t.cache.clear()
    r = uma_zone_stats(k.t)
    bad = [z for z in r.zones if z.address == zone.address][0]
    assert bad.name.startswith("<zone 0x") and "uz_name" in bad.issues[0]
    assert bad.used == 9                      # the rest of the row still reads
    assert len(r.zones) == 3


@pytest.mark.parametrize("era,arch", [(e, a) for e, a in IMAGES if int(e[4:]) <= 12])
def test_bad_cpu_bucket_pointer(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1))
    kg = k.keg(64)
    k.zone(kg, "victim", allocs=4, caches={1: dict(alloc=BAD, raw=True, allocs=2)})
    k.zone(kg, "healthy", allocs=3, caches={0: dict(alloc=1)})
    z = by_name(uma_zone_stats(k.t))
    assert z["victim"].free_cpu is None and z["victim"].free is None
    assert f"{BAD:#x}" in z["victim"].issues[0]
    assert z["victim"].requests == 6          # counters do not depend on the bucket
    assert z["healthy"].free_cpu == 1 and not z["healthy"].issues


@pytest.mark.parametrize("era,arch", IMAGES)
def test_absurd_bucket_count(era, arch):
    k = FakeKernel(era, arch, cpus=(0,))
    kg = k.keg(64)
    k.zone(kg, "victim", buckets=[k.bucket(900, entries=128)])
    z = by_name(uma_zone_stats(k.t))["victim"]
    assert z.free_zone is None and "ub_cnt = 900" in z.issues[0]


@pytest.mark.parametrize("era,arch", [(e, a) for e, a in IMAGES if int(e[4:]) >= 13])
def test_absurd_inline_bucket_count(era, arch):
    k = FakeKernel(era, arch, cpus=(0,))
    k.zone(k.keg(64), "victim", caches={0: dict(alloc=-5)})
    z = by_name(uma_zone_stats(k.t))["victim"]
    assert z.free_cpu is None and "ucb_cnt = -5" in z.issues[0]


@pytest.mark.parametrize("era,arch", IMAGES)
def test_keg_geometry_that_cannot_be_marks_its_zones(era, arch):
    """14 items of 4 GiB in a one-page slab: the size stays what the keg says (vmstat prints
    it), and the row names the keg, so no byte total built on it passes silently."""
    k = FakeKernel(era, arch, cpus=(0,))
    bad = k.keg(0xFFFFFFFF, ipers=14)
    k.zone(bad, "victim", allocs=3)
    k.zone(k.keg(64), "healthy", allocs=3)
    z = by_name(uma_zone_stats(k.t))
    assert z["victim"].size == 0xFFFFFFFF and z["victim"].used == 3
    assert z["victim"].issues == (f"keg at {bad:#x}: 14 items of 4294967295 bytes (uk_ipers, "
                                  "uk_rsize) exceed the 4096-byte slab (uk_ppera 1)",)
    assert not z["healthy"].issues


@pytest.mark.parametrize("era", ["fbsd9", "fbsd12", "fbsd14"])
def test_items_in_use_beyond_the_keg_are_named(era):
    """A pointer stored over a zone counter: more items in use than kmem could hold, and more
    than the keg's pages do (the kmem limit alone is soft from 12 on), is damage."""
    k = FakeKernel(era, cpus=(0, 1))
    k.t.add_symbol("uma_kmem_limit" if k.n >= 12 else "vm_kmem_size", "u_long", 1 << 20)
    pages = "uk_domain[0].ud_pages" if k.n >= 13 else "uk_pages"
    damaged, big = k.keg(256, ipers=15), k.keg(4096, ipers=1)
    k.t.put(damaged, "struct uma_keg", {pages: 2})
    k.t.put(big, "struct uma_keg", {pages: 600})
    k.zone(damaged, "victim", allocs=0x7ffff7621e80)
    k.zone(big, "past the soft limit", allocs=300)      # 1.2 MiB of a 1 MiB limit, in its pages
    z = by_name(uma_zone_stats(k.t))
    assert z["victim"].used == 0x7ffff7621e80 and z["victim"].issues == (
        f'zone "victim" at {z["victim"].address:#x} has {0x7ffff7621e80} items in use, more than '
        f"its keg at {damaged:#x} holds (30 items in 2 pages): its counters are damaged",)
    assert z["past the soft limit"].issues == ()


@pytest.mark.parametrize("era,arch", IMAGES)
def test_bucket_list_cycle(era, arch):
    k = FakeKernel(era, arch, cpus=(0,))
    b1, b2 = k.bucket(1), k.bucket(2)
    k.t.write_int(b2, k.t.pointer_size, b1)          # b1 -> b2 -> b1
    k.zone(k.keg(64), "victim", buckets=[b1, b2])
    z = by_name(uma_zone_stats(k.t))["victim"]
    assert z.free_zone is None and "cycle" in z.issues[0]


@pytest.mark.parametrize("era,arch", IMAGES)
def test_broken_zone_list_keeps_other_kegs(era, arch):
    k = plant(era, arch)
    mbuf = [z for z in uma_zone_stats(k.t).zones if z.name == "mbuf"][0]
    zl = k.t.layout("struct uma_zone")
    k.t.write_int(mbuf.address + zl.offset("uz_link"), k.t.pointer_size, BAD)
    r = uma_zone_stats(k.t)
    assert [z.name for z in r.zones] == ["64 Bucket", "mbuf"]
    assert len(r.warnings) == 1 and f"{BAD:#x}" in r.warnings[0]


@pytest.mark.parametrize("era,arch", IMAGES)
def test_keg_list_cycle_is_bounded(era, arch):
    k = plant(era, arch)
    kl = k.t.layout("struct uma_keg")
    first = int.from_bytes(k.t.read(k.t.symbol_address("uma_kegs"), k.t.pointer_size), "little")
    second = int.from_bytes(k.t.read(first + kl.offset("uk_link"), k.t.pointer_size), "little")
    k.t.write_int(second + kl.offset("uk_link"), k.t.pointer_size, first)
    r = uma_zone_stats(k.t)
    assert len([z for z in r.zones if not z.cache_only]) == 3
    assert "cycle in list uma_kegs" in r.warnings[0]


@pytest.mark.parametrize("era,arch", [(e, a) for e, a in IMAGES if int(e[4:]) >= 13])
def test_bad_counter_pointer(era, arch):
    k = FakeKernel(era, arch, cpus=(0,))
    z = k.zone(k.keg(64), "victim")
    k.t.put(z, "struct uma_zone", {"uz_allocs": BAD})
    s = by_name(uma_zone_stats(k.t))["victim"]
    assert s.requests is None and s.used is None and "counter(9)" in s.issues[0]


def test_many_zones_many_cpus_reads_once_per_struct():
    k = FakeKernel("fbsd13", cpus=tuple(range(64)))
    kg = k.keg(128)
    for i in range(20):
        k.zone(kg, f"z{i}", caches={c: dict(alloc=1) for c in range(64)})
    k.t.reads = 0
    zones = uma_zone_stats(k.t).zones
    assert all(z.free_cpu == 64 for z in zones)
    # per zone: record, name, uz_cpu[] (one read), 3 counters and xdomain x 64 CPUs, domains
    assert k.t.reads < 20 * (5 * 64 + 10)
