"""A page cache in front of ``Target.read`` for the duration of one command (set up by the
command runner, ``commands.registry.run_command``).

Before FreeBSD 13 every per-CPU bucket is a pointer to a small ``struct uma_bucket`` header, and
list entries, zone names and bucket headers are small reads that often share pages; reading
whole pages once saves debugger round trips.  (Per-CPU copies one page apart are read as blocks
by ``kernel/zpcpu.py`` instead.)  The cache lives for one command only, so a live target is never
shown stale memory across commands.
"""

from collections import OrderedDict

from . import PAGE, target_cache
from .errors import MemoryFault

_UNSEEN = object()
# Pages kept (256 KiB).  A walk comes back to a page soon or not at all (a list entry, then its
# name; a keg, then its zones), and a page dropped early frees its buffer for the next read:
# with thousands kept, every read went to memory out of the CPU's caches (the malloc walk of
# 2,000 types on their own pages took 10% longer than with 64 kept, uma-zones 3%).
MAX_PAGES = 64


class PageCache:
    """Wraps a target: ``read`` goes through a page cache, everything else is delegated."""

    def __init__(self, target, max_pages=MAX_PAGES):
        self._target = target
        self._pages = OrderedDict()   # page number -> buffer or None, least recently used first
        self._max_pages = max_pages
        self.cache = target_cache(target)   # strategies outlive the run; pages do not
        self.run_memo = {}                  # walks of this run (target.per_run)
        # Asked thousands of times per command; fixed for a target, so not looked up each time.
        self.byteorder = target.byteorder
        self.pointer_size = target.pointer_size
        # Large reads bypass the pages anyway: the backend's uncopied buffer where it has one.
        self.read_buffer = getattr(target, "read_buffer", target.read)

    def fresh(self):
        """An empty cache on the same target, for a live target that ran since (kmem-watch)."""
        return PageCache(self._target, self._max_pages)

    def __getattr__(self, name):
        value = getattr(self._target, name)
        if callable(value):      # a method: kept, so the next call does not come through here
            self.__dict__[name] = value
        return value

    def read_uncached(self, addr, size):
        """Straight to the target, leaving the cache alone: for reads whose page nothing else
        will ask for (a slab header or a slab's items, one read per slab), which would only
        push useful pages out."""
        return self._target.read(addr, size)

    def read(self, addr, size):
        if size <= 0:
            return b""
        start = addr % PAGE
        if start + size > PAGE:
            # Across a page boundary: arrays read once per command (uz_cpu[], mti_stats[],
            # per-CPU blocks) or a record straddling two pages; caching pages buys nothing.
            return self._target.read(addr, size)
        number, pages = addr // PAGE, self._pages
        page = pages.get(number, _UNSEEN)
        if page is _UNSEEN:
            if len(pages) >= self._max_pages:
                # Bounded LRU: a walk keeps the pages it keeps returning to (list heads, zone
                # headers) and drops the ones it passed (MAX_PAGES).
                pages.popitem(last=False)
            try:     # kept as the backend returns it (gdb's buffer): mostly read in part
                page = self.read_buffer(number * PAGE, PAGE)
            except MemoryFault:
                page = None
            pages[number] = page
        else:
            pages.move_to_end(number)
        if page is not None:
            return bytes(page[start:start + size])
        # The page is not readable as a whole; the target may still have these bytes (a
        # sub-page mapping), or raises the precise fault.
        return self._target.read(addr, size)


def read_uncached(target, addr, size):
    """``target.read_uncached`` behind a page cache, else ``target.read``."""
    return getattr(target, "read_uncached", target.read)(addr, size)


def read_buffer(target, addr, size):
    """``target.read_buffer`` where the backend has one (the debugger's buffer, not copied into
    ``bytes``), else ``target.read``: for large reads that only ``Strided`` unpacks."""
    return getattr(target, "read_buffer", target.read)(addr, size)
