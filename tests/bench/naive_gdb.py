"""The naive walk in gdb: every member read through ``gdb.Value`` field access.

What a first kmemdbg would have done: follow ``uma_kegs`` -> ``uk_zones``, and for every zone
read each ``uz_cpu[i]`` entry's counters and buckets (13+: inline ``ucb_cnt``; before: the
``struct uma_bucket`` behind the pointer), the zone's bucket cache and counter(9) sums, the keg's
free items; then ``kmemstatistics`` with every CPU's ``struct malloc_type_stats``.  Both eras of
the scale images: fbsd14 (amd64) and fbsd11 (i386).  The sums are returned so that the walk
cannot be optimised away and can be checked against the plugin.
"""

import time

import gdb

PAGE = 4096
INTERNAL = 0x20000000      # UMA_ZFLAG_INTERNAL


def _int(v):
    return int(v)


def _era():
    fields = {f.name for f in gdb.lookup_type("struct uma_zone").fields()}
    return 14 if "uz_keg" in fields else 11


def _cpus():
    return _int(gdb.parse_and_eval("mp_maxid")) + 1


def _pcpu_offset():
    """amd64 13+: zpcpu pointers are offsets from the value of ``__pcpu``."""
    v = gdb.parse_and_eval("__pcpu")
    return _int(v) if v.type.strip_typedefs().code == gdb.TYPE_CODE_PTR else 0


def _list(head_ptr, link, next_name):
    p = head_ptr
    while p:
        yield p
        p = p.dereference()[link][next_name]


def naive_zones(deadline):
    era, ncpu = _era(), _cpus()
    ndom = _int(gdb.parse_and_eval("vm_ndomains")) if era == 14 else 1
    off = _pcpu_offset()
    u64p = gdb.lookup_type("uint64_t").pointer()
    zdomp = gdb.lookup_type("struct uma_zone_domain").pointer() if era == 14 else None
    totals = {"allocs": 0, "frees": 0, "free": 0}
    done = total = 0
    for keg in _list(gdb.parse_and_eval("uma_kegs")["lh_first"], "uk_link", "le_next"):
        k = keg.dereference()
        for i, zp in enumerate(_list(k["uk_zones"]["lh_first"], "uz_link", "le_next")):
            total += 1
            if time.perf_counter() > deadline:
                continue            # only count the rest
            done += 1
            z = zp.dereference()
            z["uz_name"].string()
            _int(k["uk_size"])
            cpu0 = z["uz_cpu"][0].address
            # UMA_ZFLAG_INTERNAL kegs (boot zones) have no per-CPU caches to read.
            for c in range(0 if _int(k["uk_flags"]) & INTERNAL else ncpu):
                cache = (cpu0 + c).dereference()
                totals["allocs"] += _int(cache["uc_allocs"])
                totals["frees"] += _int(cache["uc_frees"])
                if era == 14:
                    for b in ("uc_allocbucket", "uc_freebucket", "uc_crossbucket"):
                        totals["free"] += _int(cache[b]["ucb_cnt"])
                else:
                    for b in ("uc_allocbucket", "uc_freebucket"):
                        if cache[b]:
                            totals["free"] += _int(cache[b].dereference()["ub_cnt"])
            if era == 14:
                _int(z["uz_max_items"])
                for m in ("uz_allocs", "uz_frees", "uz_fails", "uz_xdomain"):
                    base = _int(z[m])
                    for c in range(ncpu):
                        v = gdb.Value(off + base + c * PAGE).cast(u64p).dereference()
                        if m in ("uz_allocs", "uz_frees"):
                            totals[m[3:]] += _int(v)
                doms = (cpu0 + ncpu).cast(zdomp)
                for d in range(ndom):
                    zd = (doms + d).dereference()
                    for b in _list(zd["uzd_buckets"]["stqh_first"], "ub_link", "stqe_next"):
                        totals["free"] += _int(b.dereference()["ub_cnt"])
                    if zd["uzd_cross"]:
                        totals["free"] += _int(zd["uzd_cross"].dereference()["ub_cnt"])
                if i == 0:
                    for d in range(ndom):
                        totals["free"] += _int(k["uk_domain"][d]["ud_free_items"])
            else:
                totals["allocs"] += _int(z["uz_allocs"])
                totals["frees"] += _int(z["uz_frees"])
                _int(z["uz_fails"])
                for b in _list(z["uz_buckets"]["lh_first"], "ub_link", "le_next"):
                    totals["free"] += _int(b.dereference()["ub_cnt"])
                _int(k["uk_maxpages"]), _int(k["uk_ipers"])
                if i == 0:
                    totals["free"] += _int(k["uk_free"])
    return {"done": done, "total": total, "cpus": ncpu, "totals": totals}


def naive_malloc(deadline):
    era, ncpu = _era(), _cpus()
    off = _pcpu_offset()
    totals = {"memalloced": 0, "memfreed": 0, "numallocs": 0, "numfrees": 0, "size": 0}
    done = total = 0
    if era == 14:
        mtsp = gdb.lookup_type("struct malloc_type_stats").pointer()
    else:
        mtip = gdb.lookup_type("struct malloc_type_internal").pointer()
    for mp in _list_plain(gdb.parse_and_eval("kmemstatistics")):
        total += 1
        if time.perf_counter() > deadline:
            continue
        done += 1
        mt = mp.dereference()
        mt["ks_shortdesc"].string()
        if era == 14:
            base = _int(mt["ks_mti"]["mti_stats"])
            if not base:
                continue
            stats = [gdb.Value(off + base + c * PAGE).cast(mtsp).dereference() for c in range(ncpu)]
        else:
            arr = mt["ks_handle"].cast(mtip).dereference()["mti_stats"]
            stats = [arr[c] for c in range(arr.type.range()[1] + 1)]
        for s in stats:
            for m in ("memalloced", "memfreed", "numallocs", "numfrees"):
                totals[m] += _int(s["mts_" + m])
            totals["size"] |= _int(s["mts_size"])
    return {"done": done, "total": total, "cpus": ncpu, "totals": totals}


def _list_plain(first):
    p = first
    while p:
        yield p
        p = p.dereference()["ks_next"]


def naive_items(zone_name, deadline):
    """Every item of the zone's keg, its free bit read through ``gdb.Value`` per item: what a
    per-item walk without the index costs (slab lists per domain on 14, per keg on 11)."""
    era = _era()
    bits = 8 * gdb.lookup_type("long").sizeof
    hash_slab = gdb.lookup_type("struct uma_hash_slab") if era == 14 else None
    keg = None
    for kp in _list(gdb.parse_and_eval("uma_kegs")["lh_first"], "uk_link", "le_next"):
        first = kp.dereference()["uk_zones"]["lh_first"]
        if first and first.dereference()["uz_name"].string() == zone_name:
            keg = kp.dereference()
    if keg is None:
        raise LookupError(f"no keg whose first zone is {zone_name!r}")
    ipers, pgoff = _int(keg["uk_ipers"]), _int(keg["uk_pgoff"])
    if era == 14:
        ndom = _int(gdb.parse_and_eval("vm_ndomains"))
        heads = [keg["uk_domain"][d][f"ud_{n}_slab"] for d in range(ndom)
                 for n in ("part", "free", "full")]
    else:
        heads = [keg[f"uk_{n}_slab"] for n in ("part", "free", "full")]
    done = total = free = bases = 0
    for head in heads:
        sp = head["lh_first"]
        while sp:
            slab = sp.dereference()
            link = slab["us_link"] if era == 14 else slab["us_type"]["_us_link"]
            sp, sp_here = link["le_next"], sp
            total += ipers
            if time.perf_counter() > deadline:
                continue
            if era == 14:
                data = _int(sp_here) - pgoff
                if pgoff == 0 or data % PAGE:
                    hs = (gdb.Value(_int(sp_here) - hash_slab["uhs_slab"].bitpos // 8)
                          .cast(hash_slab.pointer()).dereference())
                    data = _int(hs["uhs_data"])
            else:
                data = _int(slab["us_data"])
            bases += data
            for i in range(ipers):
                word = _int(slab["us_free"]["__bits"][i // bits])
                free += (word >> (i % bits)) & 1
                done += 1
    return {"done": done, "total": total, "totals": {"free": free, "slab_data_sum": bases}}
