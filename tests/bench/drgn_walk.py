"""The peer: the same walks written for drgn, run as ``python3 drgn_walk.py KERNEL CORE RUNS``.

drgn opens the simulated kernel's ELF core as a user-space core (``Program.set_core_dump``,
``load_debug_info([kernel])``).  The walks follow ``naive_gdb.py`` member for member, in drgn's
idiom (``Object`` member access, ``Object(prog, type, address=...)`` for per-CPU copies).
Prints one JSON object: load time, zone and malloc walk times (each run), totals, or an error.
"""

import json
import statistics
import sys
import time

PAGE = 4096
INTERNAL = 0x20000000      # UMA_ZFLAG_INTERNAL


def _list(first, link, next_name):
    p = first
    while p:
        yield p
        p = getattr(getattr(p, link), next_name)


def context(prog):
    era = 14 if any(m.name == "uz_keg" for m in prog.type("struct uma_zone").members) else 11
    ncpu = prog["mp_maxid"].value_() + 1
    pcpu = prog["__pcpu"]
    off = pcpu.value_() if pcpu.type_.kind.name == "POINTER" else 0
    return era, ncpu, off


def walk_zones(prog):
    from drgn import Object
    era, ncpu, off = context(prog)
    ndom = prog["vm_ndomains"].value_() if era == 14 else 1
    totals = {"allocs": 0, "frees": 0, "free": 0, "zones": 0}
    for k in _list(prog["uma_kegs"].lh_first, "uk_link", "le_next"):
        for i, z in enumerate(_list(k.uk_zones.lh_first, "uz_link", "le_next")):
            totals["zones"] += 1
            z.uz_name.string_()
            k.uk_size.value_()
            # UMA_ZFLAG_INTERNAL kegs (boot zones) have no per-CPU caches to read.
            for c in range(0 if k.uk_flags.value_() & INTERNAL else ncpu):
                cache = z.uz_cpu[c]
                totals["allocs"] += cache.uc_allocs.value_()
                totals["frees"] += cache.uc_frees.value_()
                if era == 14:
                    for b in (cache.uc_allocbucket, cache.uc_freebucket, cache.uc_crossbucket):
                        totals["free"] += b.ucb_cnt.value_()
                else:
                    for b in (cache.uc_allocbucket, cache.uc_freebucket):
                        if b:
                            totals["free"] += b.ub_cnt.value_()
            if era == 14:
                z.uz_max_items.value_()
                for m in ("uz_allocs", "uz_frees", "uz_fails", "uz_xdomain"):
                    base = getattr(z, m).value_()
                    for c in range(ncpu):
                        v = Object(prog, "uint64_t", address=off + base + c * PAGE).value_()
                        if m in ("uz_allocs", "uz_frees"):
                            totals[m[3:]] += v
                doms = Object(prog, "struct uma_zone_domain *",
                              value=z.uz_cpu[ncpu].address_)
                for d in range(ndom):
                    zd = doms[d]
                    for b in _list(zd.uzd_buckets.stqh_first, "ub_link", "stqe_next"):
                        totals["free"] += b.ub_cnt.value_()
                    if zd.uzd_cross:
                        totals["free"] += zd.uzd_cross.ub_cnt.value_()
                if i == 0:
                    for d in range(ndom):
                        totals["free"] += k.uk_domain[d].ud_free_items.value_()
            else:
                totals["allocs"] += z.uz_allocs.value_()
                totals["frees"] += z.uz_frees.value_()
                z.uz_fails.value_()
                for b in _list(z.uz_buckets.lh_first, "ub_link", "le_next"):
                    totals["free"] += b.ub_cnt.value_()
                k.uk_maxpages.value_(), k.uk_ipers.value_()
                if i == 0:
                    totals["free"] += k.uk_free.value_()
    return totals


def walk_malloc(prog):
    from drgn import Object, cast
    era, ncpu, off = context(prog)
    totals = {"memalloced": 0, "memfreed": 0, "numallocs": 0, "numfrees": 0, "size": 0,
              "types": 0}
    p = prog["kmemstatistics"]
    while p:
        totals["types"] += 1
        p.ks_shortdesc.string_()
        if era == 14:
            base = p.ks_mti.mti_stats.value_()
            stats = [Object(prog, "struct malloc_type_stats", address=off + base + c * PAGE)
                     for c in range(ncpu)] if base else []
        else:
            arr = cast("struct malloc_type_internal *", p.ks_handle).mti_stats
            stats = [arr[c] for c in range(len(arr))]
        for s in stats:
            for m in ("memalloced", "memfreed", "numallocs", "numfrees"):
                totals[m] += getattr(s, "mts_" + m).value_()
            totals["size"] |= s.mts_size.value_()
        p = p.ks_next
    return totals


def main():
    kernel, core, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = {}
    try:
        import drgn
        out["version"] = drgn.__version__
        t0 = time.perf_counter()
        prog = drgn.Program()
        prog.set_core_dump(core)
        prog.load_debug_info([kernel])
        out["load_s"] = time.perf_counter() - t0
        for name, walk in (("zones", walk_zones), ("malloc", walk_malloc)):
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                totals = walk(prog)
                samples.append(time.perf_counter() - t0)
            out[name] = {"median": statistics.median(samples), "min": min(samples),
                         "max": max(samples), "runs": runs, "samples": samples,
                         "totals": totals}
    except Exception as e:   # report what failed; never a made-up number
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
