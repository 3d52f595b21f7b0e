"""The naive walk in lldb: every member read through ``SBValue`` objects.

The same walk as ``naive_gdb.py`` (see there), with
``GetChildMemberWithName(...).GetValueAsUnsigned()``; array entries and per-CPU copies are
``SBTarget.CreateValueFromAddress`` values of the element type.
"""

import time

import lldb

PAGE = 4096
INTERNAL = 0x20000000      # UMA_ZFLAG_INTERNAL


def _global(target, name):
    values = target.FindGlobalVariables(name, 1)
    if values.GetSize() == 0:
        raise LookupError(name)
    return values.GetValueAtIndex(0)


def _u(value, name=None):
    if name is not None:
        value = value.GetChildMemberWithName(name)
    return value.GetValueAsUnsigned()


def _type(target, name):
    t = target.FindFirstType(name)
    if not t.IsValid():
        raise LookupError(name)
    return t


def _at(target, addr, sbtype):
    return target.CreateValueFromAddress("v", lldb.SBAddress(addr, target), sbtype)


def _list(target, first_ptr, link, next_name):
    """Yield the pointed-to structs of a sys/queue.h list, following ``link.next_name``."""
    p = first_ptr
    while _u(p):
        s = p.Dereference()
        yield s
        p = s.GetChildMemberWithName(link).GetChildMemberWithName(next_name)


def _context(target):
    zone_t = _type(target, "uma_zone")
    names = {zone_t.GetFieldAtIndex(i).GetName() for i in range(zone_t.GetNumberOfFields())}
    era = 14 if "uz_keg" in names else 11
    ncpu = _u(_global(target, "mp_maxid")) + 1
    pcpu = _global(target, "__pcpu")
    off = _u(pcpu) if pcpu.GetType().IsPointerType() else 0
    return era, ncpu, off


def naive_zones(target, deadline):
    era, ncpu, off = _context(target)
    ndom = _u(_global(target, "vm_ndomains")) if era == 14 else 1
    cache_t = _type(target, "uma_cache")
    csize = cache_t.GetByteSize()
    u64 = target.GetBasicType(lldb.eBasicTypeUnsignedLongLong)
    totals = {"allocs": 0, "frees": 0, "free": 0}
    done = total = 0
    kegs = _global(target, "uma_kegs").GetChildMemberWithName("lh_first")
    for k in _list(target, kegs, "uk_link", "le_next"):
        zones = k.GetChildMemberWithName("uk_zones").GetChildMemberWithName("lh_first")
        for i, z in enumerate(_list(target, zones, "uz_link", "le_next")):
            total += 1
            if time.perf_counter() > deadline:
                continue
            done += 1
            z.GetChildMemberWithName("uz_name").GetSummary()
            _u(k, "uk_size")
            cpu0 = z.GetChildMemberWithName("uz_cpu").GetLoadAddress()
            # UMA_ZFLAG_INTERNAL kegs (boot zones) have no per-CPU caches to read.
            for c in range(0 if _u(k, "uk_flags") & INTERNAL else ncpu):
                cache = _at(target, cpu0 + c * csize, cache_t)
                totals["allocs"] += _u(cache, "uc_allocs")
                totals["frees"] += _u(cache, "uc_frees")
                if era == 14:
                    for b in ("uc_allocbucket", "uc_freebucket", "uc_crossbucket"):
                        totals["free"] += _u(cache.GetChildMemberWithName(b), "ucb_cnt")
                else:
                    for b in ("uc_allocbucket", "uc_freebucket"):
                        p = cache.GetChildMemberWithName(b)
                        if _u(p):
                            totals["free"] += _u(p.Dereference(), "ub_cnt")
            if era == 14:
                _u(z, "uz_max_items")
                for m in ("uz_allocs", "uz_frees", "uz_fails", "uz_xdomain"):
                    base = _u(z, m)
                    for c in range(ncpu):
                        v = _u(_at(target, off + base + c * PAGE, u64))
                        if m in ("uz_allocs", "uz_frees"):
                            totals[m[3:]] += v
                zdom_t = _type(target, "uma_zone_domain")
                for d in range(ndom):
                    zd = _at(target, cpu0 + ncpu * csize + d * zdom_t.GetByteSize(), zdom_t)
                    first = zd.GetChildMemberWithName("uzd_buckets").GetChildMemberWithName(
                        "stqh_first")
                    for b in _list(target, first, "ub_link", "stqe_next"):
                        totals["free"] += _u(b, "ub_cnt")
                    cross = zd.GetChildMemberWithName("uzd_cross")
                    if _u(cross):
                        totals["free"] += _u(cross.Dereference(), "ub_cnt")
                if i == 0:
                    doms = k.GetChildMemberWithName("uk_domain")
                    dom_t = _type(target, "uma_domain")
                    for d in range(ndom):
                        dom = _at(target, doms.GetLoadAddress() + d * dom_t.GetByteSize(), dom_t)
                        totals["free"] += _u(dom, "ud_free_items")
            else:
                totals["allocs"] += _u(z, "uz_allocs")
                totals["frees"] += _u(z, "uz_frees")
                _u(z, "uz_fails")
                first = z.GetChildMemberWithName("uz_buckets").GetChildMemberWithName("lh_first")
                for b in _list(target, first, "ub_link", "le_next"):
                    totals["free"] += _u(b, "ub_cnt")
                _u(k, "uk_maxpages"), _u(k, "uk_ipers")
                if i == 0:
                    totals["free"] += _u(k, "uk_free")
    return {"done": done, "total": total, "cpus": ncpu, "totals": totals}


def naive_malloc(target, deadline):
    era, ncpu, off = _context(target)
    mts_t = _type(target, "malloc_type_stats")
    totals = {"memalloced": 0, "memfreed": 0, "numallocs": 0, "numfrees": 0, "size": 0}
    done = total = 0
    if era == 11:
        mti_t = _type(target, "malloc_type_internal")
    p = _global(target, "kmemstatistics")
    while _u(p):
        mt = p.Dereference()
        p = mt.GetChildMemberWithName("ks_next")
        total += 1
        if time.perf_counter() > deadline:
            continue
        done += 1
        mt.GetChildMemberWithName("ks_shortdesc").GetSummary()
        if era == 14:
            base = _u(mt.GetChildMemberWithName("ks_mti"), "mti_stats")
            if not base:
                continue
            stats = [_at(target, off + base + c * PAGE, mts_t) for c in range(ncpu)]
        else:
            mti = _at(target, _u(mt, "ks_handle"), mti_t)
            arr = mti.GetChildMemberWithName("mti_stats")
            stats = [arr.GetChildAtIndex(c) for c in range(arr.GetNumChildren())]
        for s in stats:
            for m in ("memalloced", "memfreed", "numallocs", "numfrees"):
                totals[m] += _u(s, "mts_" + m)
            totals["size"] |= _u(s, "mts_size")
    return {"done": done, "total": total, "cpus": ncpu, "totals": totals}


def naive_items(target, zone_name, deadline):
    """Every item of the zone's keg, its free bit read through ``SBValue`` per item (see
    ``naive_gdb.naive_items``)."""
    era, _, _ = _context(target)
    bits = 8 * _type(target, "long").GetByteSize()
    keg = None
    for k in _list(target, _global(target, "uma_kegs").GetChildMemberWithName("lh_first"),
                   "uk_link", "le_next"):
        first = k.GetChildMemberWithName("uk_zones").GetChildMemberWithName("lh_first")
        if _u(first) and first.Dereference().GetChildMemberWithName("uz_name").GetSummary() \
                == f'"{zone_name}"':
            keg = k
    if keg is None:
        raise LookupError(f"no keg whose first zone is {zone_name!r}")
    ipers, pgoff = _u(keg, "uk_ipers"), _u(keg, "uk_pgoff")
    if era == 14:
        ndom = _u(_global(target, "vm_ndomains"))
        doms = keg.GetChildMemberWithName("uk_domain")
        dom_t = _type(target, "uma_domain")
        heads = [_at(target, doms.GetLoadAddress() + d * dom_t.GetByteSize(), dom_t)
                 .GetChildMemberWithName(f"ud_{n}_slab")
                 for d in range(ndom) for n in ("part", "free", "full")]
        hash_t = _type(target, "uma_hash_slab")
        uhs = next(hash_t.GetFieldAtIndex(i).GetOffsetInBytes()
                   for i in range(hash_t.GetNumberOfFields())
                   if hash_t.GetFieldAtIndex(i).GetName() == "uhs_slab")
    else:
        heads = [keg.GetChildMemberWithName(f"uk_{n}_slab") for n in ("part", "free", "full")]
    done = total = free = bases = 0
    for head in heads:
        sp = head.GetChildMemberWithName("lh_first")
        while _u(sp):
            slab = sp.Dereference()
            link = slab.GetChildMemberWithName("us_link") if era == 14 else \
                slab.GetChildMemberWithName("us_type").GetChildMemberWithName("_us_link")
            here, sp = _u(sp), link.GetChildMemberWithName("le_next")
            total += ipers
            if time.perf_counter() > deadline:
                continue
            if era == 14:
                data = here - pgoff
                if pgoff == 0 or data % PAGE:
                    hs = _at(target, here - uhs, hash_t)
                    data = _u(hs, "uhs_data")
            else:
                data = _u(slab, "us_data")
            bases += data
            words = slab.GetChildMemberWithName("us_free").GetChildMemberWithName("__bits")
            long_t = _type(target, "long")
            for i in range(ipers):
                word = _u(_at(target, words.GetLoadAddress() + (i // bits) * (bits // 8),
                              long_t))
                free += (word >> (i % bits)) & 1
                done += 1
    return {"done": done, "total": total, "totals": {"free": free, "slab_data_sum": bases}}
