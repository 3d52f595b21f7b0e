"""Slab headers of each era for the fake kernel, and a builder that plants slabs on a keg.

``declare_slabs`` adds the era's ``struct uma_slab`` (6.x-9.x head plus ``us_freelist[]``,
10-12 ``us_free`` bitset with ``us_data``, 13+ trailing bitset and ``struct uma_hash_slab``);
``SlabBuilder.slab`` writes a header the way the kernel does (in the slab's last bytes or off the
page) and pushes it on the keg's part/free/full list of a domain.  Tests say which items are
free and compute their expectations themselves.
"""

from kmemdbg.backends.fake import PAGE


def declare_slabs(ct, n):
    ptr = ct.abi.pointer
    if n <= 9:
        ct.struct("uma_slab_type", [(ct.list_entry("uma_slab"), "_us_link"),
                                    ("u_long", "_us_size")], union=True)
        ct.struct("uma_slab_head", [("struct uma_keg *", "us_keg"),
                                    ("union uma_slab_type", "us_type"), ("void *", "us_hlink"),
                                    ("uint8_t *", "us_data"), ("u_int8_t", "us_flags"),
                                    ("u_int8_t", "us_freecount"), ("u_int8_t", "us_firstfree")])
        ct.struct("uma_freelist_entry", [("u_int8_t", "us_item")])
        ct.struct("uma_slab", [("struct uma_slab_head", "us_head"),
                               ("struct uma_freelist_entry[1]", "us_freelist")])
        ct.struct("uma_refcnt_entry", [("u_int8_t", "us_item"), ("u_int32_t", "us_refcnt")])
        ct.struct("uma_slab_refcnt", [("struct uma_slab_head", "us_head"),
                                      ("struct uma_refcnt_entry[1]", "us_freelist")])
    elif n <= 12:
        ct.struct("uma_slab_type", [(ct.list_entry("uma_slab"), "_us_link"),
                                    ("u_long", "_us_size")], union=True)
        ct.struct("slabbits", [(f"long[{256 // (8 * ptr)}]", "__bits")])
        ct.struct("uma_slab", [("struct uma_keg *", "us_keg"), ("union uma_slab_type", "us_type"),
                               ("void *", "us_hlink"), ("uint8_t *", "us_data"),
                               ("struct slabbits", "us_free"), ("uint16_t", "us_freecount"),
                               ("uint8_t", "us_flags"),
                               ("uint8_t", "us_domain" if n == 12 else "us_pad")])
    else:
        ct.struct("uma_slab", [(ct.list_entry("uma_slab"), "us_link"), ("uint16_t", "us_freecount"),
                               ("uint8_t", "us_flags"), ("uint8_t", "us_domain"),
                               ("long[]", "us_free")])
        ct.struct("uma_hash_slab", [(ct.list_entry("uma_hash_slab"), "uhs_hlink"),
                                    ("uint8_t *", "uhs_data"), ("struct uma_slab", "uhs_slab")])


class SlabBuilder:
    def __init__(self, fk):
        self.fk, self.t, self.n = fk, fk.t, fk.n
        declare_slabs(fk.types, fk.n)
        self.sl = fk.types.layout("struct uma_slab")

    def header_size(self, ipers):
        sl, ps = self.sl, self.t.pointer_size
        if self.n <= 9:
            head = self.fk.types.layout("struct uma_slab_head")
            return sl.size + (sl.size - head.size) * (ipers - 1)
        if self.n <= 12:
            return sl.size
        return sl.offset("us_free") + -(-ipers // (8 * ps)) * ps

    def list_head(self, keg, lst, domain=0):
        kl = self.fk.types.layout("struct uma_keg")
        if self.n <= 11:
            return keg + kl.offset(f"uk_{lst}_slab")
        dl = self.fk.types.layout("struct uma_domain")
        return keg + kl.offset("uk_domain") + domain * dl.size + dl.offset(f"ud_{lst}_slab")

    def add(self, keg, ipers, rsize, free, lst, domain=0, offpage=False, link=True, ppera=1,
            stride=1):
        """A slab of ``ipers`` items with ``free`` indexes free; returns (header, items)."""
        t, ps = self.t, self.t.pointer_size
        data = t.alloc_pages(ppera)
        hsize = self.header_size(ipers)
        if offpage:
            if self.n >= 13:
                hl = self.fk.types.layout("struct uma_hash_slab")
                hs = t.alloc(hl.offset("uhs_slab") + hsize, 16)
                t.put(hs, "struct uma_hash_slab", {"uhs_data": data})
                hdr = hs + hl.offset("uhs_slab")
            else:
                hdr = t.alloc(hsize, 16)
        else:
            pgoff = PAGE - hsize - (PAGE - hsize) % 8
            hdr = data + pgoff
            t.put(keg, "struct uma_keg", {"uk_pgoff": pgoff})
        free = list(free)
        vals = {}
        if self.n <= 9:
            vals = {"us_head.us_keg": keg, "us_head.us_data": data,
                    "us_head.us_freecount": len(free),
                    "us_head.us_firstfree": free[0] if free else ipers}
            for i, idx in enumerate(free):
                nxt = free[i + 1] if i + 1 < len(free) else ipers
                t.write_int(hdr + self.sl.offset("us_freelist") + idx * stride, 1, nxt)
        else:
            bits = sum(1 << i for i in free)
            if self.n <= 12:
                vals = {"us_keg": keg, "us_data": data}
                if self.n == 12:
                    vals["us_domain"] = domain
            else:
                vals = {"us_domain": domain}
            vals["us_freecount"] = len(free)
            nbytes = -(-ipers // (8 * ps)) * ps if self.n >= 13 else 256 // 8
            t.write(hdr + self.sl.offset("us_free"), bits.to_bytes(nbytes, t.byteorder))
        t.put(hdr, "struct uma_slab", vals)
        if link:
            head = self.list_head(keg, lst, domain)
            link_off = self.sl.offset("us_link") if self.n >= 13 else (
                self.fk.types.layout("struct uma_slab_head").offset("us_type")
                if self.n <= 9 else self.sl.offset("us_type"))
            old = int.from_bytes(t.read(head, ps), t.byteorder)
            t.write_int(hdr + link_off, ps, old)
            t.write_int(head, ps, hdr)
        return hdr, data

    def bucket(self, items):
        """A bucket holding ``items``."""
        b = self.fk.bucket(len(items), entries=max(len(items), 4))
        off = self.fk.types.layout("struct uma_bucket").offset("ub_bucket")
        for i, item in enumerate(items):
            self.t.write_int(b + off + i * self.t.pointer_size, self.t.pointer_size, item)
        return b

    def cpu_bucket(self, zone, cpu, member, items):
        """Load a bucket of ``items`` into CPU ``cpu``'s ``member`` (uc_allocbucket, ...)."""
        b = self.bucket(items)
        base = f"uz_cpu[{cpu}].{member}"
        if self.n >= 13:
            self.t.put(zone, "struct uma_zone", {base + ".ucb_bucket": b,
                                                 base + ".ucb_cnt": len(items),
                                                 base + ".ucb_entries": max(len(items), 4)})
        else:
            self.t.put(zone, "struct uma_zone", {base: b})
        return b
