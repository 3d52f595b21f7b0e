"""The per-command page cache (target/pagecache.py): bounded, least recently used pages evicted
first, unreadable pages remembered as faults, page-crossing reads passed through."""

import pytest

from kmemdbg.target import PAGE
from kmemdbg.target.errors import MemoryFault
from kmemdbg.target.pagecache import PageCache


class CountingTarget:
    """Pages 0..n-1 readable (byte value = page number), everything else faults; counts reads."""

    byteorder = "little"
    pointer_size = 8

    def __init__(self, pages):
        self.pages = pages
        self.reads = []

    def read(self, addr, size):
        self.reads.append((addr, size))
        first, last = addr // PAGE, (addr + size - 1) // PAGE
        if last >= self.pages:
            raise MemoryFault(addr, size)
        return bytes(a // PAGE for a in range(addr, addr + size))


def test_recently_used_page_survives_eviction():
    t = CountingTarget(8)
    c = PageCache(t, max_pages=2)
    c.read(0, 4)                 # page 0
    c.read(PAGE, 4)              # page 1
    c.read(8, 4)                 # page 0 again: now the most recent
    c.read(2 * PAGE, 4)          # page 2 evicts page 1, not page 0
    n = len(t.reads)
    assert c.read(16, 4) == b"\0" * 4
    assert len(t.reads) == n     # page 0 still cached
    assert c.read(PAGE + 4, 4) == b"\1" * 4
    assert len(t.reads) == n + 1  # page 1 was evicted and read again


def test_unreadable_page_is_read_once_then_faults_precisely():
    t = CountingTarget(1)
    c = PageCache(t)
    with pytest.raises(MemoryFault):
        c.read(5 * PAGE + 8, 8)
    with pytest.raises(MemoryFault):
        c.read(5 * PAGE + 16, 8)
    assert t.reads.count((5 * PAGE, PAGE)) == 1


def test_page_crossing_read_goes_to_the_target():
    t = CountingTarget(4)
    c = PageCache(t)
    assert c.read(PAGE - 2, 4) == b"\0\0\1\1"
    assert t.reads == [(PAGE - 2, 4)]
