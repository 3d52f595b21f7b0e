import pytest

from kmemdbg.alloc import probes

from kbuild import FakeKernel

# era: (bucket cache, inline buckets, counter9, sleeps, xdomain, max_items, keg per domain,
#       malloc stats, cache zones)
EXPECTED = {
    "fbsd6": (probes.FULL_BUCKET_LIST, False, False, False, False, False, False, probes.STATS_ARRAY, False),
    "fbsd9": (probes.FULL_BUCKET_LIST, False, False, True, False, False, False, probes.STATS_ARRAY, False),
    "fbsd11": (probes.BUCKET_LIST, False, False, True, False, False, False, probes.STATS_ARRAY, True),
    "fbsd12": (probes.DOMAIN_POINTER, False, False, True, False, False, False, probes.STATS_HANDLE_PCPU, True),
    "fbsd13": (probes.DOMAINS_AFTER_CPUS, True, True, True, True, True, True, probes.STATS_EMBEDDED_PCPU, True),
    "fbsd14": (probes.DOMAINS_AFTER_CPUS, True, True, True, True, True, True, probes.STATS_EMBEDDED_PCPU, True),
    "fbsd15": (probes.DOMAINS_AFTER_CPUS, True, True, True, True, True, True, probes.STATS_EMBEDDED_PCPU, True),
}


@pytest.mark.parametrize("era,arch", [("fbsd6", "i386"), ("fbsd9", "amd64"), ("fbsd11", "amd64"),
                                      ("fbsd11", "i386"), ("fbsd12", "amd64"), ("fbsd13", "amd64"),
                                      ("fbsd14", "amd64"), ("fbsd15", "amd64")])
def test_probes_per_era(era, arch):
    t = FakeKernel(era, arch).t
    got = (probes.zone_bucket_cache_kind(t), probes.cache_bucket_is_struct(t),
           probes.zone_counters_are_counter9(t), probes.zone_has_sleeps(t),
           probes.zone_has_xdomain(t), probes.zone_has_max_items(t), probes.keg_free_per_domain(t),
           probes.malloc_stats_kind(t), probes.has_cache_zones(t))
    assert got == EXPECTED[era]
    assert probes.malloc_has_version(t) == (int(era[4:]) >= 13)


def test_probes_are_cached_on_the_target():
    t = FakeKernel("fbsd13").t
    probes.zone_bucket_cache_kind(t)
    assert t.cache["probe:zone_bucket_cache_kind"] == probes.DOMAINS_AFTER_CPUS
