"""The 13-CURRENT layout of late 2019: counter(9) zone statistics, the bucket cache behind a
``uz_domain`` pointer, ``uz_keg`` in an anonymous union, ``uz_max_items``, malloc statistics
behind ``ks_handle``.  The walkers adapt to it by the debug info alone."""

from kmemdbg.alloc import probes
from kmemdbg.alloc.malloc import malloc_type_stats
from kmemdbg.alloc.uma import uma_zone_stats
from kmemdbg.alloc.views import KVM, TRUE

from eras import CURRENT_2019
from kbuild import FakeKernel


def plant():
    """CPUs 0, 1, 3; "mbuf" with counters spread over CPUs, caches, a bucket cache, a limit."""
    k = FakeKernel(CURRENT_2019, cpus=(0, 1, 3), version="FreeBSD 13.0-CURRENT #0 r354900: fake\n")
    keg = k.keg(256, ipers=15, ppera=1, free=7)
    k.zone(keg, "mbuf", allocs={0: 60, 1: 40, 3: 5}, frees={0: 30, 1: 10}, fails={3: 2},
           sleeps=3, max_items=1500, buckets=[5, 6],
           caches={0: dict(alloc=3, free=2, allocs=10, frees=4), 3: dict(alloc=4, allocs=20, frees=6)})
    k.malloc_type("devbuf", {0: (4096, 1024, 10, 4, 0b1), 3: (2048, 0, 2, 0, 0b100)})
    return k


def test_probes_read_the_2019_layout():
    t = plant().t
    assert probes.zone_counters_are_counter9(t)
    assert probes.zone_bucket_cache_kind(t) == probes.DOMAIN_POINTER
    assert not probes.cache_bucket_is_struct(t)
    assert probes.zone_has_max_items(t) and not probes.zone_has_xdomain(t)
    assert not probes.keg_free_per_domain(t)
    assert probes.malloc_stats_kind(t) == probes.STATS_HANDLE_PCPU
    assert t.layout("struct uma_zone").has("uz_keg")      # through the anonymous union


def test_true_view_and_where_its_free_items_are():
    r = uma_zone_stats(plant().t, TRUE)
    mbuf, = r.zones
    assert (mbuf.name, mbuf.size, mbuf.limit) == ("mbuf", 256, 1500)
    # counter(9): every present CPU's share, plus the per-CPU caches' counts
    assert (mbuf.requests, mbuf.frees, mbuf.used) == (105 + 30, 40 + 10, 85)
    assert (mbuf.fail, mbuf.sleep, mbuf.xdomain) == (2, 3, None)
    assert (mbuf.free_cpu, mbuf.free_zone, mbuf.free_keg) == (3 + 2 + 4, 11, 7)
    assert mbuf.free == 9 + 11 + 7
    assert not mbuf.issues and not r.warnings


def test_kvm_view_sums_counters_over_cpus_below_mp_ncpus():
    mbuf, = uma_zone_stats(plant().t, KVM).zones
    # mp_ncpus 3: counter(9) fetches see CPUs 0..2, so CPU 3's allocations and failures are
    # missing; the per-CPU caches of every present CPU are still read
    assert (mbuf.requests, mbuf.used, mbuf.fail) == (100 + 30, 80, 0)
    assert mbuf.free_cpu == 9 and mbuf.free_zone == 11


def test_malloc_types_behind_ks_handle():
    k = plant()
    devbuf, = malloc_type_stats(k.t, TRUE).types
    assert (devbuf.in_use, devbuf.memory_use, devbuf.requests) == (8, 5120, 12)
    assert devbuf.sizes == (16, 64)
