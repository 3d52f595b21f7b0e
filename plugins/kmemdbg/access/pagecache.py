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
# Two tiers (the "2Q" policy).  A page read for the first time waits in a short FIFO: a walk
# mostly comes back to such a page at once or never (a malloc type, then its name; a zone record
# read once), and a page dropped early frees its buffer for the next read (with thousands kept,
# reads went to memory out of the CPU's caches: the malloc walk of 2,000 types on their own pages
# took 10% longer).  A page asked for again after it left the FIFO has shown it is shared across
# the walk (list heads; before 13, the pages of bucket headers that many zones' CPUs point into)
# and is kept in the main LRU.
RECENT_PAGES = 64        # the FIFO (256 KiB)
GHOST_PAGES = 4096       # numbers of pages that left the FIFO, remembered without their data
MAX_PAGES = 16384        # the main LRU (64 MiB at most)


class PageCache:
    """Wraps a target: ``read`` goes through a page cache, everything else is delegated."""

    def __init__(self, target, max_pages=MAX_PAGES, recent_pages=RECENT_PAGES):
        self._target = target
        self._recent = {}             # page number -> buffer or None, oldest first (the FIFO)
        self._ghosts = {}             # page numbers that left the FIFO, oldest first
        self._pages = OrderedDict()   # page number -> buffer or None, least recently used first
        self._max_pages = max_pages
        self._recent_pages = recent_pages
        self.cache = target_cache(target)   # strategies outlive the run; pages do not
        self.run_memo = {}                  # walks of this run (target.per_run)
        # Asked thousands of times per command; fixed for a target, so not looked up each time.
        self.byteorder = target.byteorder
        self.pointer_size = target.pointer_size
        # Large reads bypass the pages anyway: the backend's uncopied buffer where it has one.
        self.read_buffer = getattr(target, "read_buffer", target.read)
        self._read_page = target.read   # pages are kept as bytes: view() hands them out

    def fresh(self):
        """An empty cache on the same target, for a live target that ran since (kmem-watch)."""
        return PageCache(self._target, self._max_pages, self._recent_pages)

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
        buffer, offset = self.view(addr, size)
        return buffer[offset:offset + size] if offset or len(buffer) != size else buffer

    def view(self, addr, size):
        """``(buffer, offset)``, the ``size`` bytes at ``addr`` being ``buffer[offset:offset +
        size]`` (``bytes``): the cached page itself where they lie in one readable page, so a
        walk of thousands of small records unpacks and searches them in place, without a copy
        each (``access.viewer``); else a read of their own, at offset 0.

        :raises MemoryFault:
        """
        start = addr % PAGE
        if start + size > PAGE or size <= 0:
            # Across a page boundary: arrays read once per command (uz_cpu[], mti_stats[],
            # per-CPU blocks) or a record straddling two pages; caching pages buys nothing.
            return self._target.read(addr, size), 0
        number = addr // PAGE
        page = self._recent.get(number, _UNSEEN)
        if page is _UNSEEN:
            pages = self._pages
            page = pages.get(number, _UNSEEN)
            if page is _UNSEEN:
                page = self._miss(number)
            else:
                pages.move_to_end(number)
        if page is not None:
            return page, start
        # The page is not readable as a whole; the target may still have these bytes (a
        # sub-page mapping), or raises the precise fault.
        return self._target.read(addr, size), 0

    def _miss(self, number):
        """Read page ``number`` (None when unreadable) into the FIFO, or into the main LRU when
        it was read before and left the FIFO."""
        try:
            page = self._read_page(number * PAGE, PAGE)
        except MemoryFault:
            page = None
        ghosts = self._ghosts
        if ghosts.pop(number, _UNSEEN) is not _UNSEEN:
            pages = self._pages
            if len(pages) >= self._max_pages:
                pages.popitem(last=False)
            pages[number] = page
            return page
        recent = self._recent
        if len(recent) >= self._recent_pages:
            oldest = next(iter(recent))
            del recent[oldest]
            if len(ghosts) >= GHOST_PAGES:
                del ghosts[next(iter(ghosts))]
            ghosts[oldest] = None
        recent[number] = page
        return page


def read_uncached(target, addr, size):
    """``target.read_uncached`` behind a page cache, else ``target.read``."""
    return getattr(target, "read_uncached", target.read)(addr, size)


def read_buffer(target, addr, size):
    """``target.read_buffer`` where the backend has one (the debugger's buffer, not copied into
    ``bytes``), else ``target.read``: for large reads that only ``Strided`` unpacks."""
    return getattr(target, "read_buffer", target.read)(addr, size)
