# gdb script (UMA part, debug aid): walk the simulated kernel's UMA structures the way
# libmemstat's kvm path ($true unset) or the kernel's sysctl ($true = 1) would, and compare
# with the view the self-test printed from its ledger.
#
#   gdb -batch -ex 'break sim_uma_check' -ex 'run 4 2 3000 > /tmp/uma_selftest.out' \
#       -ex 'source vm_images/simkern/sim/uma_selftest_walk.py' \
#       -ex 'set $true = 1' -ex 'source vm_images/simkern/sim/uma_selftest_walk.py' \
#       vm_images/build/uma_selftest_13
import gdb, json, os, re
def v(name):
    try: return gdb.parse_and_eval(name)
    except gdb.error: return gdb.parse_and_eval("'uma_core.c'::" + name)
def has(t, m):
    return any(f.name == m for f in t.strip_typedefs().fields())
mp_maxid = int(v("mp_maxid")); mp_ncpus = int(v("mp_ncpus"))
zt = gdb.lookup_type("struct uma_zone"); kt = gdb.lookup_type("struct uma_keg")
ct = gdb.lookup_type("struct uma_cache")
ptr64 = gdb.lookup_type("unsigned long long").pointer()
allc = v("all_cpus")
def present(i):
    if allc.type.strip_typedefs().code == gdb.TYPE_CODE_INT: return (int(allc) >> i) & 1
    bits = allc["__bits"]; w = bits[0].type.sizeof * 8
    return (int(bits[i // w]) >> (i % w)) & 1
pcpu_base = 0
try:
    p = gdb.parse_and_eval("__pcpu")
    if p.type.code == gdb.TYPE_CODE_PTR: pcpu_base = int(p)
except gdb.error: pass
def counter(c):
    s = 0
    for i in (range(mp_maxid + 1) if TRUE else range(mp_ncpus)):
        if TRUE and not present(i): continue
        s += int(gdb.Value(pcpu_base + int(c) + 4096 * i).cast(ptr64).dereference())
    return s
TRUE = int(gdb.convenience_variable('true') or 0)
ndom = int(v("vm_ndomains")) if has(kt, "uk_domain") else 1
rows = []
keg = v("uma_kegs")["lh_first"]
while int(keg):
    k = keg.dereference(); kf = int(k["uk_flags"])
    z = k["uk_zones"]["lh_first"]; first = True
    while int(z):
        zz = z.dereference()
        r = {"name": zz["uz_name"].string(), "size": int(k["uk_size"])}
        if has(zt, "uz_max_items"):
            r["limit"] = int(zz["uz_max_items"])
            A = counter(zz["uz_allocs"]); F = counter(zz["uz_frees"]); fails = counter(zz["uz_fails"])
            if A < F and not TRUE: A = F
        else:
            mp, ip, pp = int(k["uk_maxpages"]), int(k["uk_ipers"]), int(k["uk_ppera"])
            r["limit"] = (mp // pp) * ip if TRUE else (mp // ip if pp > 1 else mp * ip)
            A = int(zz["uz_allocs"]); F = int(zz["uz_frees"]); fails = int(zz["uz_fails"])
        free = 0
        if not (kf & 0x20000000):
            cpu0 = int(zz["uz_cpu"].address)
            for i in range(mp_maxid + 1):
                if not present(i): continue
                c = gdb.Value(cpu0 + i * ct.sizeof).cast(ct.pointer()).dereference()
                A += int(c["uc_allocs"]); F += int(c["uc_frees"])
                if has(ct, "uc_crossbucket"):
                    free += int(c["uc_allocbucket"]["ucb_cnt"]) + int(c["uc_freebucket"]["ucb_cnt"]) + int(c["uc_crossbucket"]["ucb_cnt"])
                else:
                    for m in ("uc_allocbucket", "uc_freebucket"):
                        if int(c[m]): free += int(c[m]["ub_cnt"])
        # zone bucket cache
        def walk_list(head, field, nxt):
            n = 0; b = head[field]
            while int(b):
                n += int(b["ub_cnt"]); b = b["ub_link"][nxt]
            return n
        if has(zt, "uz_full_bucket"): free += walk_list(zz["uz_full_bucket"], "lh_first", "le_next")
        elif has(zt, "uz_buckets"): free += walk_list(zz["uz_buckets"], "lh_first", "le_next")
        elif has(zt, "uz_domain"):
            for d in range(ndom): free += walk_list(zz["uz_domain"][d]["uzd_buckets"], "lh_first", "le_next")
        else:
            zdt = gdb.lookup_type("struct uma_zone_domain")
            base = int(zz["uz_cpu"].address) + (mp_maxid + 1) * ct.sizeof
            for d in range(ndom):
                zd = gdb.Value(base + d * zdt.sizeof).cast(zdt.pointer()).dereference()
                free += walk_list(zd["uzd_buckets"], "stqh_first", "stqe_next")
                if TRUE and int(zd["uzd_cross"]): free += int(zd["uzd_cross"]["ub_cnt"])
        if TRUE:
            if first:
                free += int(k["uk_free"]) if has(kt, "uk_free") else sum(int(k["uk_domain"][d]["ud_free_items"]) for d in range(ndom))
        elif has(kt, "uk_free") and not ((kf & 0x200) and not first):
            free += int(k["uk_free"])
        r["free"] = free; r["requests"] = A; r["used"] = (A - F) & (2**64 - 1); r["fail"] = fails
        r["sleep"] = int(zz["uz_sleeps"]) if has(zt, "uz_sleeps") else None
        r["xdomain"] = counter(zz["uz_xdomain"]) if has(zt, "uz_xdomain") else None
        rows.append(r); first = False
        z = zz["uz_link"]["le_next"]
    keg = k["uk_link"]["le_next"]
if TRUE and has(zt, "uz_import"):
    cz = v("uma_cachezones")["lh_first"]
    while int(cz):
        zz = cz.dereference(); A = F = free = 0
        cpu0 = int(zz["uz_cpu"].address)
        for i in range(mp_maxid + 1):
            if not present(i): continue
            c = gdb.Value(cpu0 + i * ct.sizeof).cast(ct.pointer()).dereference()
            A += int(c["uc_allocs"]); F += int(c["uc_frees"])
            if has(ct, "uc_crossbucket"):
                free += int(c["uc_allocbucket"]["ucb_cnt"]) + int(c["uc_freebucket"]["ucb_cnt"]) + int(c["uc_crossbucket"]["ucb_cnt"])
            else:
                for m in ("uc_allocbucket", "uc_freebucket"):
                    if int(c[m]): free += int(c[m]["ub_cnt"])
        if has(zt, "uz_buckets"): free += walk_list(zz["uz_buckets"], "lh_first", "le_next")
        elif has(zt, "uz_domain"):
            for d in range(ndom): free += walk_list(zz["uz_domain"][d]["uzd_buckets"], "lh_first", "le_next")
        if has(zt, "uz_max_items"):
            A += counter(zz["uz_allocs"]); F += counter(zz["uz_frees"]); fails = counter(zz["uz_fails"])
        else:
            A += int(zz["uz_allocs"]); F += int(zz["uz_frees"]); fails = int(zz["uz_fails"])
        rows.append({"name": zz["uz_name"].string(), "size": int(zz["uz_size"]), "limit": int(zz["uz_max_items"]) if has(zt, "uz_max_items") else 0,
            "free": free, "requests": A, "used": A - F, "fail": fails, "sleep": int(zz["uz_sleeps"]),
            "xdomain": counter(zz["uz_xdomain"]) if has(zt, "uz_xdomain") else None})
        cz = zz["uz_link"]["le_next"]
rows.reverse()
out = open(os.environ.get("UMA_SELFTEST_OUT", "/tmp/uma_selftest.out")).read()
m = re.search((r'"uma-zones": ' if TRUE else r'"uma-zones --compat kvm": ') + r'(\[.*?\n\])', out, re.S)
exp = json.loads(m.group(1))
bad = 0
if len(exp) != len(rows): print("row count", len(exp), len(rows)); bad += 1
for a, b in zip(exp, rows):
    if a != b: print("DIFF", a, "\n    ", b); bad += 1
print("true" if TRUE else "kvm", "walk mismatches:", bad, "rows", len(rows))
