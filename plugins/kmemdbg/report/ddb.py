"""The text FreeBSD's in-kernel debugger prints for ``show uma`` and ``show malloc``.

So that a core can be set against console text captured at panic time.  Each era's
``db_show_uma`` (sys/vm/uma_core.c) and ``db_show_malloc`` (sys/kern/kern_malloc.c), as read:

show uma (walks ``uma_kegs`` → ``uk_zones``; cache-only zones are ``show umacache``)
  ``6``   6.x (zone with ``uz_keg``, no ``uz_sleeps``): Zone Allocs Frees Used Cache,
          ``%18s %12llu %12llu %12llu %8d``; Used is unsigned
  ``8``   8.x (``uz_kegs``, no ``uz_sleeps``): Zone Size Used Free Requests,
          ``%18s %8ju %8jd %8d %12ju``
  ``9``   9.x (``uz_sleeps``, ``uz_full_bucket``): ... Sleeps ``%8ju``
  ``10``  10.x-12.x (``uz_buckets`` / ``uz_domain``): ... Sleeps Bucket (``uz_count``, ``%8u``)
  ``13``  13.x-15 (``uz_xdomain``): Zone Size Used Free Requests Sleeps Bucket Total Mem XFree,
          ``%18s %6ju %7jd %7ld %11ju %7ju %7u %10jd %8ju``; sorted on Total Mem =
          (Used + Free) × size, largest first, ties in walk order, negative never printed;
          Free leaves out the domains' ``uzd_cross`` buckets (it adds ``uzd_nitems``), XFree is
          the per-CPU cross-bucket items plus counter(``uz_xdomain``)
  Free (Cache) everywhere: per-CPU buckets of present CPUs (none for internal kegs), the zone's
  bucket cache, and the keg's free items unless the zone is secondary and not the keg's first.
  Requests and Used: zone counters plus per-CPU ``uc_allocs``/``uc_frees``.

show malloc (walks ``kmemstatistics``, every type, unused ones too)
  ``6``   before 12 (``mti_stats[MAXCPU]``, every slot summed) and ``12`` (per-CPU stats,
          CPUs 0..mp_maxid): Type InUse MemUse Requests, ``%18s %12ju %12juK %12ju`` with
          MemUse = (bytes + 1023) / 1024 unsigned, walk order
  ``13``  13+: the same columns, ``%12jdK`` = howmany(bytes, 1024), sorted on bytes largest
          first, ties in walk order, negative never printed
"""

from .text import number

U64 = (1 << 64) - 1


def zone_format(has_xdomain, bucket_kind, has_sleep, has_keg_list):
    """The ``show uma`` variant of the kernel, from what its structures have (see above)."""
    if has_xdomain:
        return "13"
    if bucket_kind in ("uz_buckets", "uz_domain"):
        return "10"
    if has_sleep:
        return "9"
    return "8" if has_keg_list else "6"


def malloc_format(stats_kind):
    """``stats_kind`` from ``probes.malloc_stats_kind``."""
    return {"mti_stats[MAXCPU]": "6", "ks_handle->mti_stats": "12"}.get(stats_kind, "13")


def _sum(*parts):
    return None if None in parts else sum(parts)


def _ddb_free(z, fmt):
    """ddb's Free of a zone in the true view (13+: without ``uzd_cross``)."""
    free = _sum(z.free_cpu, z.free_zone, z.free_keg)
    if fmt == "13":
        return _sum(free, -(z.cross_zone or 0))
    return free


def _sorted_by_size(rows, size_of):
    """ddb's selection sort: largest first, ties in walk order, negative sizes never printed,
    unreadable ones ("?") last."""
    known = [r for r in rows if size_of(r) is not None and size_of(r) >= 0]
    unknown = [r for r in rows if size_of(r) is None]
    return sorted(known, key=lambda r: -size_of(r)) + unknown


def order_zones(zones, fmt):
    """``zones`` (true view, walk order) in the order ddb prints them, cache-only zones left out."""
    zones = [z for z in zones if not z.cache_only]
    if fmt != "13":
        return zones
    return _sorted_by_size(zones, lambda z: _total(z, fmt))


def _total(z, fmt):
    used_free = _sum(z.used, _ddb_free(z, fmt))
    return None if used_free is None or z.size is None else used_free * z.size


def render_zones(zones, fmt):
    """``zones`` already in ddb order (``order_zones``); returns the whole text."""
    out = []
    if fmt == "6":
        out.append("%18s %12s %12s %12s %8s\n" % ("Zone", "Allocs", "Frees", "Used", "Cache"))
        for z in zones:
            used = None if z.used is None else z.used & U64
            out.append("%18s %12s %12s %12s %8s\n" % (
                z.name, number(z.requests), number(z.frees), number(used), number(_ddb_free(z, fmt))))
        return "".join(out)
    if fmt == "13":
        out.append("%18s %6s %7s %7s %11s %7s %7s %10s %8s\n" % (
            "Zone", "Size", "Used", "Free", "Requests", "Sleeps", "Bucket", "Total Mem", "XFree"))
        for z in zones:
            xfree = _sum(z.cross_cpu, z.xdomain)
            out.append("%18s %6s %7s %7s %11s %7s %7s %10s %8s\n" % (
                z.name, number(z.size), number(z.used), number(_ddb_free(z, fmt)), number(z.requests),
                number(z.sleep), number(z.bucket), number(_total(z, fmt)), number(xfree)))
        return "".join(out)
    heads = ["Zone", "Size", "Used", "Free", "Requests"]
    widths = [18, 8, 8, 8, 12]
    if fmt in ("9", "10"):
        heads.append("Sleeps")
        widths.append(8)
    if fmt == "10":
        heads.append("Bucket")
        widths.append(8)
    line = " ".join("%%%ds" % w for w in widths) + "\n"
    out.append(line % tuple(heads))
    for z in zones:
        cells = [z.name, number(z.size), number(z.used), number(_ddb_free(z, fmt)), number(z.requests),
                 number(z.sleep), number(z.bucket)][:len(heads)]
        out.append(line % tuple(cells))
    return "".join(out)


def order_malloc(types, fmt):
    """``types`` (walk order) in the order ddb prints them."""
    types = list(types)
    return _sorted_by_size(types, lambda m: m.memory_use) if fmt == "13" else types


def render_malloc(types, fmt):
    """``types`` already in ddb order (``order_malloc``); returns the whole text."""
    out = ["%18s %12s  %12s %12s\n" % ("Type", "InUse", "MemUse", "Requests")]
    for m in types:
        if m.memory_use is None:
            kib = "?"
        elif fmt == "13":
            kib = str(-(-m.memory_use // 1024))
        else:
            kib = str(((m.memory_use & U64) + 1023) % (1 << 64) // 1024)
        in_use = None if m.in_use is None else m.in_use & U64
        out.append("%18s %12s %12sK %12s\n" % (m.name, number(in_use), kib, number(m.requests)))
    return "".join(out)
