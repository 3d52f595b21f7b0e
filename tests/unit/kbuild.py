"""Build a fake FreeBSD kernel of any era in a FakeTarget: globals, kegs, zones, malloc types.

The builder writes structures the way the kernel lays them out (kegs pushed at the head of
``uma_kegs``, zones appended to ``uk_zones``, ``uz_cpu[]`` sized ``mp_maxid + 1``, 13+ zone
domains after the caches, per-CPU counters and statistics one page apart per CPU, amd64 13+
zpcpu pointers stored as offsets from ``__pcpu``).  Tests plant numbers and compute what they
expect themselves; nothing here reads the structures back.
"""

import re

from kmemdbg.backends.fake import PAGE, FakeTarget

from eras import M_VERSION, MAXCPU, OSRELDATE, declare, kmemzone_sizes, release

UMA_ZONE_SECONDARY = 0x200
UMA_ZFLAG_INTERNAL = 0x20000000
M_MAGIC = 877983977


class BucketAddr(int):
    """The address of a bucket the test made itself (as opposed to a count to plant)."""


class FakeKernel:
    def __init__(self, era, arch="amd64", cpus=(0, 1, 2, 3), ndomains=1, osreldate=None,
                 version=None, maxid=None, ncpus=None, byteorder="little"):
        self.era, self.arch, self.n = era, arch, release(era)
        self.types = declare(era, arch)
        self.t = FakeTarget(self.types, byteorder=byteorder)
        self.cpus = tuple(cpus)
        self.maxid = max(cpus) if maxid is None else maxid
        self.ncpus = len(cpus) if ncpus is None else ncpus
        self.ndomains = ndomains
        self.maxcpu = MAXCPU[(era, arch)]
        self.cache_size = self.types.known["struct uma_cache"].size
        self._globals(osreldate or OSRELDATE[era], version or f"FreeBSD {self.n}.0-RELEASE #0: fake\n")

    # --- globals -------------------------------------------------------------------------------

    def _globals(self, osreldate, version):
        t, n = self.t, self.n
        t.add_symbol("version", f"char[{len(version) + 1}]", version.encode() + b"\0")
        t.add_symbol("osreldate", "int", osreldate)
        t.add_symbol("mp_maxid", "u_int", self.maxid)
        t.add_symbol("mp_ncpus", "int", self.ncpus)
        t.add_symbol("mp_maxcpus", "int", self.maxcpu)
        if n >= 9:      # struct _cpuset { long __bits[]; }: bit c of word c / (8 * sizeof(long))
            addr = t.add_symbol("all_cpus", "cpuset_t")
            word = self.types.abi.long
            for c in self.cpus:
                at = addr + c // (8 * word) * word
                t.write_int(at, word, self._int(at, word) | 1 << (c % (8 * word)))
        else:
            t.add_symbol("all_cpus", "cpumask_t", sum(1 << c for c in self.cpus))
        # struct pcpu per CPU; on amd64 13+ __pcpu is a pointer variable to them.
        self.pcpu_area = t.alloc_pages(self.maxcpu)
        t.add_symbol("cpuid_to_pcpu", f"struct pcpu *[{self.maxcpu}]")
        for c in self.cpus:
            t.write_int(t.symbol_address("cpuid_to_pcpu") + c * t.pointer_size, t.pointer_size,
                        self.pcpu_area + c * PAGE)
        if n >= 13 and self.arch == "amd64":
            t.add_symbol("__pcpu", "struct pcpu *", self.pcpu_area)
            self.pcpu_offset = self.pcpu_area
        else:
            t.add_symbol("__pcpu", f"struct pcpu[{self.maxcpu}]", addr=self.pcpu_area)
            self.pcpu_offset = 0
        if n >= 12:
            t.add_symbol("vm_ndomains", "int", self.ndomains)
        t.add_symbol("uma_kegs", self.types.list_head("uma_keg"))
        if n >= 11:
            t.add_symbol("uma_cachezones", self.types.list_head("uma_zone"))
        t.add_symbol("kmemstatistics", "struct malloc_type *", 0)
        sizes = kmemzone_sizes(self.era)
        kz = t.add_symbol("kmemzones", f"kmemzone[{len(sizes) + 1}]")
        stride = self.types.known["kmemzone"].size
        for i, s in enumerate(sizes):
            t.write_int(kz + i * stride, 4, s)
            name = f"malloc-{s}" if self.n >= 13 else str(s)
            t.write_int(kz + i * stride + t.pointer_size, t.pointer_size, t.cstring(name))

    def _int(self, addr, size):
        return int.from_bytes(self.t.read(addr, size), self.t.byteorder)

    def no_processes(self):
        """``struct proc``/``struct thread`` with the members the scan's kernel-stack sources
        read, and an empty ``allproc``: a kernel whose scan has no stacks and no warning."""
        ct = self.types
        ct.struct("proc", [(ct.list_entry("proc"), "p_list"),
                           (ct.stailq_head("thread"), "p_threads")])
        ct.struct("thread", [(ct.stailq_entry("thread"), "td_plist"), ("int", "td_tid"),
                             ("unsigned long", "td_kstack"), ("int", "td_kstack_pages")])
        self.t.add_symbol("allproc", "struct proc *")

    # --- per-CPU memory ---------------------------------------------------------------------

    def pcpu_alloc(self, size):
        """A zpcpu allocation: returns (stored pointer, absolute base); CPU i at base + i*PAGE."""
        base = self.t.alloc_pages(self.maxid + 1)
        assert size <= PAGE
        stored = (base - self.pcpu_offset) & ((1 << (8 * self.t.pointer_size)) - 1)
        return stored, base

    def counter(self, per_cpu):
        """A counter(9) with ``{cpu: value}``; returns the stored ``counter_u64_t``."""
        stored, base = self.pcpu_alloc(8)
        for cpu, v in per_cpu.items():
            self.t.write_int(base + cpu * PAGE, 8, v)
        return stored

    # --- UMA -----------------------------------------------------------------------------------

    def keg(self, size, ipers=10, ppera=1, maxpages=0, flags=0, free=0, domain_free=None,
            rsize=None):
        """A keg pushed at the head of ``uma_kegs`` (the newest keg comes first)."""
        t, ty = self.t, self.types
        ksize = ty.known["struct uma_keg"].size
        extra = 0
        if self.n >= 12:
            extra = self.ndomains * ty.known["struct uma_domain"].size
        k = t.alloc(ksize + extra, 128)
        values = {"uk_size": size, "uk_rsize": rsize or size, "uk_ipers": ipers,
                  "uk_ppera": ppera, "uk_flags": flags}
        if self.n <= 12:
            values.update(uk_maxpages=maxpages, uk_free=free)
        t.put(k, "struct uma_keg", values)
        if self.n >= 13:
            for d, f in enumerate(domain_free or [free]):
                t.put(k, "struct uma_keg", {f"uk_domain[{d}].ud_free_items": f})
        head = t.symbol_address("uma_kegs")
        old = self._int(head, t.pointer_size)
        t.put(k, "struct uma_keg", {"uk_link.le_next": old})
        t.write_int(head, t.pointer_size, k)
        return k

    def bucket(self, cnt, entries=None):
        entries = cnt if entries is None else entries
        b = self.t.new("struct uma_bucket", extra=min(entries, 256) * self.t.pointer_size)
        self.t.put(b, "struct uma_bucket", {"ub_cnt": cnt, "ub_entries": entries})
        return BucketAddr(b)

    def _bucket_list(self, head, counts):
        prev = head
        for cnt in counts:
            b = cnt if isinstance(cnt, BucketAddr) else self.bucket(cnt)
            self.t.write_int(prev, self.t.pointer_size, b)
            prev = b       # the entry's next pointer is its first member
        return prev

    def zone(self, keg, name, allocs=0, frees=0, fails=0, sleeps=0, xdomain=0, max_items=0,
             caches=None, buckets=(), cross=None, size=None):
        """A zone appended to ``keg``'s ``uk_zones`` (``keg`` None: a cache-only zone).

        :param allocs, frees, fails, xdomain: an int (counted on the lowest CPU) or ``{cpu: n}``
            for counter(9) eras; an int for the others.
        :param caches: ``{cpu: {"alloc": n, "free": n, "cross": n, "allocs": n, "frees": n}}``;
            a bucket count of None leaves the bucket pointer NULL (before 13).
        :param buckets: full-bucket counts of the zone cache, or a list per domain (12+).
        :param cross: 13+ per-domain ``uzd_cross`` bucket counts.
        """
        t, ty = self.t, self.types
        zl = ty.layout("struct uma_zone")
        cpu_off = zl.offset("uz_cpu")
        ncache = self.maxid + 1
        zdom = ty.known.get("struct uma_zone_domain")
        total = cpu_off + ncache * self.cache_size + (self.ndomains * zdom.size if zdom else 0)
        z = t.alloc(max(total, ty.known["struct uma_zone"].size), 128)
        values = {"uz_name": t.cstring(name)}
        if "uz_size" in zl.fields:
            values["uz_size"] = size if size is not None else 0
        if "uz_sleeps" in zl.fields:
            values["uz_sleeps"] = sleeps
        if "uz_max_items" in zl.fields:
            values["uz_max_items"] = max_items
        low = min(self.cpus)
        for member, v in (("uz_allocs", allocs), ("uz_frees", frees), ("uz_fails", fails)):
            if zl.field(member).type.kind == "ptr":
                values[member] = self.counter(v if isinstance(v, dict) else {low: v})
            else:
                values[member] = sum(v.values()) if isinstance(v, dict) else v
        if "uz_xdomain" in zl.fields:
            values["uz_xdomain"] = self.counter(xdomain if isinstance(xdomain, dict) else {low: xdomain})
        t.put(z, "struct uma_zone", values)
        for cpu, c in (caches or {}).items():
            base = f"uz_cpu[{cpu}]."
            vals = {base + "uc_allocs": c.get("allocs", 0), base + "uc_frees": c.get("frees", 0)}
            for key, member in (("alloc", "uc_allocbucket"), ("free", "uc_freebucket"),
                                ("cross", "uc_crossbucket")):
                if c.get(key) is None or (key == "cross" and self.n < 13):
                    continue
                if self.n >= 13:
                    vals[f"{base}{member}.ucb_cnt"] = c[key]
                    vals[f"{base}{member}.ucb_entries"] = c.get("entries", max(c[key], 1))
                else:
                    vals[base + member] = c[key] if c.get("raw") else self.bucket(c[key])
            t.put(z, "struct uma_zone", vals)
        # Zone bucket cache.
        per_domain = list(buckets) if buckets and isinstance(list(buckets)[0], (list, tuple)) \
            else [list(buckets)]
        if self.n <= 11:
            member = "uz_full_bucket" if "uz_full_bucket" in zl.fields else "uz_buckets"
            self._bucket_list(z + zl.offset(member), per_domain[0])
        else:
            doms = z + cpu_off + ncache * self.cache_size
            if self.n == 12:
                t.put(z, "struct uma_zone", {"uz_domain": doms})
            dl = ty.layout("struct uma_zone_domain")
            for d in range(self.ndomains):
                counts = per_domain[d] if d < len(per_domain) else []
                self._bucket_list(doms + d * zdom.size + dl.offset("uzd_buckets"), counts)
                if self.n >= 13 and cross and d < len(cross) and cross[d] is not None:
                    t.write_int(doms + d * zdom.size + dl.offset("uzd_cross"), t.pointer_size,
                                self.bucket(cross[d]))
        if keg is None:
            head = t.symbol_address("uma_cachezones")
            old = self._int(head, t.pointer_size)
            t.put(z, "struct uma_zone", {"uz_link.le_next": old})
            t.write_int(head, t.pointer_size, z)
        else:
            self._append(keg + ty.layout("struct uma_keg").offset("uk_zones"), z, zl.offset("uz_link"))
            if "uz_keg" in zl.fields:
                t.put(z, "struct uma_zone", {"uz_keg": keg})
        return z

    def _append(self, head, elem, link_off):
        t = self.t
        ps = t.pointer_size
        at = head
        while True:
            nxt = self._int(at, ps)
            if not nxt:
                break
            at = nxt + link_off
        t.write_int(at, ps, elem)

    # --- malloc(9) -----------------------------------------------------------------------------

    def malloc_type(self, name, stats, version=None, symbol=None):
        """A malloc type pushed at the head of ``kmemstatistics``, defined as the variable
        ``symbol`` (default ``M_<NAME>``, as MALLOC_DEFINE names them: "devbuf" is M_DEVBUF).

        :param stats: ``{cpu: (memalloced, memfreed, numallocs, numfrees, size_mask)}``; for
            the array eras a cpu key is an array slot.
        """
        t, ty = self.t, self.types
        ml = ty.layout("struct malloc_type")
        mt = t.new("struct malloc_type")
        vals = {"ks_shortdesc": t.cstring(name)}
        if "ks_version" in ml.fields:
            vals["ks_version"] = version or M_VERSION[self.era]
        else:
            vals["ks_magic"] = M_MAGIC
        st = ty.known["struct malloc_type_stats"].size
        fields = ("mts_memalloced", "mts_memfreed", "mts_numallocs", "mts_numfrees", "mts_size")

        def write_stats(addr, values):
            t.put(addr, "struct malloc_type_stats", dict(zip(fields, values)))

        if self.n <= 11:
            mti = t.new("struct malloc_type_internal")
            off = ty.layout("struct malloc_type_internal").offset("mti_stats")
            for slot, values in stats.items():
                write_stats(mti + off + slot * st, values)
            vals["ks_handle"] = mti
        else:
            stored, base = self.pcpu_alloc(st)
            for cpu, values in stats.items():
                write_stats(base + cpu * PAGE, values)
            if self.n == 12:
                vals["ks_handle"] = t.new("struct malloc_type_internal", mti_stats=stored)
            else:
                vals["ks_mti.mti_stats"] = stored
        head = t.symbol_address("kmemstatistics")
        vals["ks_next"] = self._int(head, t.pointer_size)
        t.put(mt, "struct malloc_type", vals)
        t.write_int(head, t.pointer_size, mt)
        symbol = symbol or "M_" + re.sub(r"\W", "_", name.upper())
        if symbol not in t.symbols:
            t.add_symbol(symbol, "struct malloc_type", addr=mt)
        return mt
