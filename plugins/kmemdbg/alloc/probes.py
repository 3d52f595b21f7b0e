"""Feature probes: one per ABI change of UMA and malloc(9), decided from the debug info.

Each probe looks at the shape of a type (a member's presence, kind or type), never at a
release number, and is computed once per target (memoized in ``target.cache``).  The docstring
of each names the FreeBSD change and the first release seen with it (docs/freebsd-abi.md
sections 1 and 2 list them with their sources).
"""

from ..access import probe
from ..access.errors import SymbolNotFound, TypeNotFound, UnsupportedLayout
from ..access.layout import PTR, STRUCT

ZONE, KEG, CACHE = "struct uma_zone", "struct uma_keg", "struct uma_cache"
MALLOC_TYPE = "struct malloc_type"

# Values of zone_bucket_cache_kind().
FULL_BUCKET_LIST = "uz_full_bucket"      # 6.x-9.x
BUCKET_LIST = "uz_buckets"               # 10.x-11.x
DOMAIN_POINTER = "uz_domain"             # 12.x (and 2019 13-CURRENT)
DOMAINS_AFTER_CPUS = "ZDOM_GET"          # 13.0+

# Values of malloc_stats_kind().
STATS_ARRAY = "mti_stats[MAXCPU]"        # 6.x-11.x
STATS_HANDLE_PCPU = "ks_handle->mti_stats"  # 12.x
STATS_EMBEDDED_PCPU = "ks_mti.mti_stats"    # 13.0+


def _has(target, type_name, member):
    try:
        return target.layout(type_name).has(member)
    except TypeNotFound:
        return False


@probe
def zone_bucket_cache_kind(target):
    """Where a zone keeps its cache of full buckets.

    ``uz_full_bucket`` LIST (6.x-9.x); ``uz_buckets`` LIST (10.0, bucket rework); per-domain
    ``uz_domain`` pointer to ``struct uma_zone_domain`` (12.0, NUMA); 13.0 dropped the member and
    places the domains right after ``uz_cpu[mp_maxid + 1]`` (``ZDOM_GET``) with STAILQ lists.
    sys/vm/uma_int.h of each release; 12.0-era head at d1f322bddb6f (docs/freebsd-abi.md, 1).
    """
    zone = target.layout(ZONE)
    for member, kind in ((("uz_full_bucket", FULL_BUCKET_LIST)), ("uz_buckets", BUCKET_LIST),
                         ("uz_domain", DOMAIN_POINTER)):
        if zone.has(member):
            return kind
    try:
        target.layout("struct uma_zone_domain")
    except TypeNotFound:
        raise UnsupportedLayout("struct uma_zone: none of uz_full_bucket, uz_buckets, uz_domain, "
                                "and no struct uma_zone_domain") from None
    return DOMAINS_AFTER_CPUS


@probe
def cache_bucket_is_struct(target):
    """13.0 replaced the per-CPU bucket pointers by inline ``struct uma_cache_bucket``.

    Before, ``uc_allocbucket``/``uc_freebucket`` point to ``struct uma_bucket`` (count in
    ``ub_cnt``); from 13.0 the count is ``ucb_cnt`` inside the cache, plus ``uc_crossbucket``
    (sys/vm/uma_int.h; memstat_kvm_uma() of main at 17da660ad5b3 reads it inline).
    """
    kind = target.layout(CACHE).field("uc_allocbucket").type.kind
    if kind not in (PTR, STRUCT):
        raise UnsupportedLayout(f"struct uma_cache.uc_allocbucket is a {kind}, "
                                "neither a bucket pointer nor struct uma_cache_bucket")
    return kind == STRUCT


@probe
def zone_counters_are_counter9(target):
    """Zone ``uz_allocs``/``uz_frees``/``uz_fails`` became counter(9) per-CPU pointers.

    ``u_int64_t`` in 6.x-9.x, ``volatile u_long`` in 10.x-12.x (32-bit on i386, wraps),
    ``counter_u64_t`` from the 2019 13-CURRENT head on (13.0).  sys/vm/uma_int.h; libmemstat
    fetches them with kvm_counter_u64_fetch() from then on.
    """
    return target.layout(ZONE).field("uz_allocs").type.kind == PTR


@probe
def zone_has_sleeps(target):
    """``uz_sleeps`` (SLEEP column) appeared between 8.3 and 9.x (sys/vm/uma_int.h: absent at
    039ea811636f, 8.3; present in 9.3)."""
    return _has(target, ZONE, "uz_sleeps")


@probe
def zone_has_xdomain(target):
    """``uz_xdomain`` counter (XDOMAIN column), 13.0 (sys/vm/uma_int.h)."""
    return _has(target, ZONE, "uz_xdomain")


@probe
def zone_has_keg_list(target):
    """``uz_kegs``, the list of a zone's kegs (secondary zones, 7.x-11.x), gone when a zone got one
    ``uz_keg`` (12.0; sys/vm/uma_int.h).  ddb's ``show uma`` of those eras walks it."""
    return _has(target, ZONE, "uz_kegs")


@probe
def zone_has_max_items(target):
    """``uz_max_items`` replaced the keg's ``uk_maxpages`` as the limit (13-CURRENT 2019, 13.0;
    sys/vm/uma_int.h, read by memstat_kvm_uma() of main at 17da660ad5b3)."""
    return _has(target, ZONE, "uz_max_items")


@probe
def keg_free_per_domain(target):
    """13.0 moved the keg's free item count from ``uk_free`` to ``uk_domain[d].ud_free_items``
    (sys/vm/uma_int.h)."""
    return _in_keg_domains(target, "ud_free_items", "uk_free")


def _in_keg_domains(target, domain_member, keg_member):
    """True when ``uk_domain[d].<domain_member>`` exists, False when the keg has ``keg_member``."""
    if _has(target, "struct uma_domain", domain_member) and _has(target, KEG, "uk_domain"):
        return True
    if not _has(target, KEG, keg_member):
        raise UnsupportedLayout(f"struct uma_keg: neither {keg_member} nor "
                                f"uk_domain[].{domain_member}")
    return False


@probe
def kvm_clamps_allocs(target):
    """libmemstat clamps zone allocs to frees (13.0's libmemstat, which reads the 13 layout):
    memstat_kvm_uma() in lib/libmemstat/memstat_uma.c of main at 17da660ad5b3; the 12.x one
    does not.  Asked by ``views.KvmView.clamps_allocs``."""
    return cache_bucket_is_struct(target)


@probe
def has_cache_zones(target):
    """Cache-only zones (``uma_zcache_create``) on ``uma_cachezones``, 10.0 (sys/vm/uma_core.c)."""
    try:
        target.symbol_address("uma_cachezones")
        return True
    except SymbolNotFound:
        return False


@probe
def malloc_stats_kind(target):
    """Where a malloc type's per-CPU ``struct malloc_type_stats`` are.

    6.x-11.x: array ``mti_stats[MAXCPU]`` in the ``malloc_type_internal`` behind ``ks_handle``;
    12.0: ``mti_stats`` became a per-CPU UMA (zpcpu) pointer; 13.0 embedded the internal struct
    as ``ks_mti`` (with ``ks_version`` 2020110501).  sys/sys/malloc.h of each release (8.3 at
    039ea811636f for the array); docs/freebsd-abi.md, 2.
    """
    mt = target.layout(MALLOC_TYPE)
    if mt.has("ks_mti"):
        return STATS_EMBEDDED_PCPU
    if not mt.has("ks_handle"):
        raise UnsupportedLayout("struct malloc_type: neither ks_mti nor ks_handle")
    stats = target.layout("struct malloc_type_internal").field("mti_stats").type
    return STATS_HANDLE_PCPU if stats.kind == PTR else STATS_ARRAY


@probe
def malloc_has_version(target):
    """``ks_version`` (M_VERSION 2020110501) replaced ``ks_magic`` in 13.0 (sys/sys/malloc.h)."""
    return _has(target, MALLOC_TYPE, "ks_version")


# Values of slab_free_kind().
SLAB_FREELIST = "us_freelist"            # 6.x-9.x
SLAB_BITSET = "us_free"                  # 10.x-12.x
SLAB_BITSET_TRAILING = "us_free[]"       # 13.0+
SLAB = "struct uma_slab"


@probe
def slab_free_kind(target):
    """How a slab header records its free items, and where its items start.

    6.x-9.x: ``struct uma_slab`` = ``us_head`` (with ``us_data``, ``us_firstfree``) plus a byte
    array ``us_freelist[ipers]`` chaining the free item indexes; 10.0 (bitset rework): a
    ``us_free`` bitset (set bit = free item) of ``SLAB_SETSIZE`` bits beside ``us_data``;
    13.0: a small header with a flexible ``us_free`` sized per keg, no ``us_data`` (in-page
    headers sit ``uk_pgoff`` bytes into the slab, off-page ones inside a ``struct uma_hash_slab``
    whose ``uhs_data`` points at the items).
    """
    slab = target.layout(SLAB)
    if slab.has("us_freelist"):
        return SLAB_FREELIST
    if not slab.has("us_free"):
        raise UnsupportedLayout("struct uma_slab: neither us_freelist nor us_free")
    if slab.has("us_data"):
        return SLAB_BITSET
    if not _has(target, "struct uma_hash_slab", "uhs_data"):
        raise UnsupportedLayout("struct uma_slab without us_data, and no struct uma_hash_slab")
    return SLAB_BITSET_TRAILING


@probe
def malloc_large_has_slab_header(target):
    """Up to 12.x malloc(9) large allocations take a header from the slab zone, flagged
    ``UMA_SLAB_MALLOC``, its ``us_data``/``us_size`` naming the pages, so the item index finds
    them; 13.0 records the size only in the first page's ``struct vm_page`` (``vsetzoneslab``),
    and its ``struct uma_slab`` has no ``us_data`` left (6.x-9.x keep it in ``us_head``)."""
    return target.layout(SLAB).has("us_data") or _has(target, "struct uma_slab_head", "us_data")


@probe
def keg_slabs_per_domain(target):
    """12.0 (NUMA) moved the keg's part/free/full slab lists into ``uk_domain[d]``."""
    return _in_keg_domains(target, "ud_part_slab", "uk_part_slab")
