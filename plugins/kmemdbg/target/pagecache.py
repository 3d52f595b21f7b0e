"""A page cache in front of ``Target.read`` for the duration of one command.

Before FreeBSD 13 every per-CPU bucket is a pointer to a small ``struct uma_bucket`` header,
and counter(9)/malloc statistics live one page apart per CPU; thousands of tiny reads hit the
same few pages.  Reading whole pages once makes that a handful of debugger round trips.  The
cache lives for one command only, so a live target is never shown stale memory across commands.
"""

from . import target_cache
from .errors import MemoryFault

PAGE = 4096
_UNSEEN = object()


class PageCache:
    """Wraps a target: ``read`` goes through a page cache, everything else is delegated."""

    def __init__(self, target, max_pages=16384):
        self._target = target
        self._pages = {}
        self._max_pages = max_pages
        self.cache = target_cache(target)   # strategies outlive the run; pages do not
        # Asked thousands of times per command; fixed for a target, so not looked up each time.
        self.byteorder = target.byteorder
        self.pointer_size = target.pointer_size

    def __getattr__(self, name):
        return getattr(self._target, name)

    def read(self, addr, size):
        if size <= 0:
            return b""
        start = addr % PAGE
        if start + size <= PAGE:        # within one page: most reads (records, names, headers)
            page = self._pages.get(addr // PAGE, _UNSEEN)
            if page is _UNSEEN:
                page = self._page(addr // PAGE)
            if page is not None:
                return page[start:start + size]
            return self._target.read(addr, size)
        first, last = addr // PAGE, (addr + size - 1) // PAGE
        if last - first >= 2:           # big arrays (uz_cpu[], mti_stats[]) are read once anyway
            return self._target.read(addr, size)
        pages = [self._page(p) for p in range(first, last + 1)]
        if any(p is None for p in pages):
            # Part of the range is not readable page-wise; let the target answer exactly
            # (it may still succeed for a sub-page mapping, or raise the precise fault).
            return self._target.read(addr, size)
        return b"".join(pages)[start:start + size]

    def _page(self, number):
        if number in self._pages:
            return self._pages[number]
        if len(self._pages) >= self._max_pages:
            self._pages.clear()
        try:
            data = self._target.read(number * PAGE, PAGE)
        except MemoryFault:
            data = None
        self._pages[number] = data
        return data
