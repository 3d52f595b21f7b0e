"""Which allocated item holds an address: the numpy matcher's lookup, one step per word.

A binary search among millions of item starts costs ~100 ns a word (the array is far larger
than the caches); the kernel's items sit in slabs, so a page belongs to one slab (or one large
allocation) and the item is arithmetic: the page's run (a slab: first item, stride, slots),
the slot, and the slot's item if it is allocated.  The pages live in a few dense tables, one per
cluster of nearby pages (a kernel's items lie in a few regions of a huge address space: the
direct map, the kernel map).  A page two runs share (items not described as slab runs) is looked
up among all items instead.
"""

import numpy

from ..access import PAGE

PAGE_SHIFT = PAGE.bit_length() - 1
CLUSTER_GAP = 256         # pages: item regions farther apart get page tables of their own
SHARED = -2               # a page two runs share


class PageLookup:
    """``lookup(words)``: the item id holding each word (uint64 array), -1 for none.

    :param starts, ends: the items (uint64 arrays, sorted, disjoint).
    :param runs: ``Items.runs`` or None (see ``reach.Items``).
    """

    def __init__(self, starts, ends, runs):
        """``table``: the run of each page of a cluster (-1 none, SHARED); ``slot_item``: every
        run's slots as item ids (-1 for a hole)."""
        self.starts, self.ends = starts, ends
        n = len(starts)
        ids = numpy.int32 if n < 1 << 31 else numpy.int64
        rs, st, ns, size, run_of, k = self._slots(runs)
        first_slot = numpy.cumsum(ns) - ns
        # One row per run, so that a lookup gathers one cache line, not five.
        self.run = numpy.stack([rs, st, ns, size, first_slot], axis=1)
        self.no_slot = int(ns.sum())            # the last slot, always a hole: no item
        self.slot_item = numpy.full(self.no_slot + 1, -1, dtype=ids)
        self.slot_item[first_slot[run_of].astype(numpy.int64) + k] = numpy.arange(n, dtype=ids)
        del run_of, k
        p0 = (rs >> PAGE_SHIFT).astype(numpy.int64)
        p1 = ((rs + ns * st - 1) >> PAGE_SHIFT).astype(numpy.int64)
        pages = p1 - p0 + 1
        # A new cluster where a run starts CLUSTER_GAP pages past every page before it.
        new = numpy.ones(len(rs), dtype=bool)
        new[1:] = p0[1:] > numpy.maximum.accumulate(p1)[:-1] + CLUSTER_GAP
        first = numpy.nonzero(new)[0]
        cluster = numpy.cumsum(new) - 1
        self.c_page = p0[first]
        self.c_pages = numpy.maximum.reduceat(p1, first) - self.c_page + 1 if len(rs) else p0
        self.c_base = numpy.cumsum(self.c_pages) - self.c_pages
        self.c_start = (self.c_page << PAGE_SHIFT).astype(numpy.uint64)
        at = (numpy.arange(int(pages.sum())) - numpy.repeat(numpy.cumsum(pages) - pages, pages)
              + numpy.repeat(self.c_base[cluster] + p0 - self.c_page[cluster], pages))
        size = int(self.c_pages.sum())
        self.table = numpy.full(size, -1, dtype=ids)
        self.table[at] = numpy.repeat(numpy.arange(len(rs), dtype=ids), pages)
        self.table[numpy.bincount(at, minlength=size) > 1] = SHARED

    def _slots(self, runs):
        """``(run start, stride, slots, item size, run of each item, slot of each item)``:
        ``Items.runs`` when every item sits on a slot of its run and a run's items have one
        size (more slots than items is fine, not a corrupt count that would cost gigabytes);
        else each item a run of its own."""
        s, e, n = self.starts, self.ends, len(self.starts)
        size = e - s
        if runs is not None:
            rs, st, ns, cnt = (numpy.asarray(x, dtype=numpy.uint64) for x in runs)
            cnt = cnt.astype(numpy.int64)
            if len(cnt) and int(cnt.sum()) == n and st.all() and \
                    int(ns.sum()) <= 4 * n + (1 << 20):
                run_of = numpy.repeat(numpy.arange(len(cnt)), cnt)
                k = (s - rs[run_of]) // st[run_of]       # an item before its run: huge
                run_size = size[numpy.cumsum(cnt) - cnt]
                if (k < ns[run_of]).all() and (rs[run_of] + k * st[run_of] == s).all() and \
                        (size == run_size[run_of]).all() and (run_size <= st).all():
                    return rs, st, ns, run_size, run_of, k.astype(numpy.int64)
        one = numpy.ones(n, dtype=numpy.uint64)
        return s, numpy.maximum(size, 1), one, size, numpy.arange(n), numpy.zeros(n, numpy.int64)

    def __call__(self, w):
        """Item ids (-1: none) of the words ``w`` (uint64, each within [lo, hi))."""
        page = (w >> PAGE_SHIFT).astype(numpy.int64)
        if len(self.c_page) == 1:       # [lo, hi) is one cluster's
            r = self.table[page - self.c_page[0]]
        else:
            c = numpy.searchsorted(self.c_start, w, side="right") - 1
            page -= self.c_page[c]
            inside = page < self.c_pages[c]
            r = numpy.full(len(w), -1, dtype=self.table.dtype)
            r[inside] = self.table[self.c_base[c[inside]] + page[inside]]
        out = numpy.full(len(w), -1, dtype=numpy.int64)
        direct = numpy.nonzero(r >= 0)[0]
        # take(): the row gather numpy does fastest; start, stride, slots, size, first slot.
        run, wd = self.run.take(r[direct], axis=0), w[direct]
        off = wd - run[:, 0]                        # a word before its run's start: huge
        k = off // run[:, 1]
        ok = (k < run[:, 2]) & (off - k * run[:, 1] < run[:, 3])
        out[direct] = self.slot_item.take(numpy.where(ok, run[:, 4] + k, self.no_slot)
                                          .astype(numpy.int64))
        shared = numpy.nonzero(r == SHARED)[0]
        if len(shared):
            ws = w[shared]
            i = numpy.searchsorted(self.starts, ws, side="right") - 1
            ok = i >= 0
            ok[ok] = ws[ok] < self.ends[i[ok]]
            out[shared[ok]] = i[ok]
        return out
