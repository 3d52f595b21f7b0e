"""The per-command page cache (access/pagecache.py): new pages in a short FIFO, pages asked for
again after it in a bounded LRU, unreadable pages remembered as faults, page-crossing reads
passed through."""

import pytest

from kmemdbg.access import PAGE
from kmemdbg.access.errors import MemoryFault
from kmemdbg.access.pagecache import PageCache


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


def test_new_pages_wait_in_a_short_fifo_and_pages_asked_again_stay():
    t = CountingTarget(16)
    c = PageCache(t, max_pages=2, recent_pages=2)
    c.read(0, 4)                  # page 0: into the FIFO
    c.read(8, 4)                  # asked again at once (a record, then its name): still the FIFO
    c.read(PAGE, 4)               # page 1
    c.read(2 * PAGE, 4)           # page 2 pushes page 0 out of the FIFO
    n = len(t.reads)
    assert c.read(16, 4) == b"\0" * 4 and len(t.reads) == n + 1     # read again...
    for p in range(3, 9):                                            # ...and then kept
        c.read(p * PAGE, 4)
    n = len(t.reads)
    assert c.read(24, 4) == b"\0" * 4 and len(t.reads) == n
    assert c.read(4 * PAGE, 4) == b"\4" * 4 and len(t.reads) == n + 1   # passed once: gone


def test_main_pages_are_least_recently_used_first_out():
    t = CountingTarget(16)
    c = PageCache(t, max_pages=2, recent_pages=1)
    for p in (0, 1, 2, 0, 1):     # pages 0 and 1 leave the FIFO, then come back: kept
        c.read(p * PAGE, 4)
    c.read(0, 4)                  # page 0 the most recently used
    for p in (3, 2):              # page 2 comes back too and pushes out page 1, not page 0
        c.read(p * PAGE, 4)
    n = len(t.reads)
    c.read(0, 4)
    assert len(t.reads) == n
    c.read(PAGE, 4)
    assert len(t.reads) == n + 1


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


def _zone_kernel():
    from kbuild import FakeKernel
    k = FakeKernel("fbsd14", cpus=(0, 1))
    k.zone(k.keg(256), "mbuf", allocs={0: 10, 1: 5}, frees={0: 4})
    k.malloc_type("devbuf", {0: (4096, 0, 2, 0, 1)})
    return k


def test_walks_are_memoized_for_the_run_only():
    from kmemdbg.alloc.malloc import malloc_type_stats
    from kmemdbg.alloc.uma import uma_zone_stats
    from kmemdbg.alloc.views import KVM
    k = _zone_kernel()
    run = PageCache(k.t)
    zones, types = uma_zone_stats(run), malloc_type_stats(run)
    reads = k.t.reads
    assert uma_zone_stats(run) is zones and malloc_type_stats(run) is types
    assert k.t.reads == reads                              # the second ask walked nothing
    kvm = uma_zone_stats(run, KVM)                         # another view is another walk
    assert kvm is not zones and uma_zone_stats(run, view=KVM) is not zones
    again = uma_zone_stats(run.fresh())                    # a live target ran: walk again
    assert again is not zones and again == zones and k.t.reads > reads
    assert uma_zone_stats(k.t) is not uma_zone_stats(k.t)  # no run: nothing is kept


def test_kmem_diff_against_the_target_walks_zones_once(tmp_path, monkeypatch):
    # The snapshot of the target and the owners of its culprits share one walk of the zones.
    import io
    from kmemdbg.alloc.uma import uma_zone_stats
    from kmemdbg.commands import REGISTRY, load_commands, run_command
    from kmemdbg.leak import collect, owner
    from kmemdbg.access import per_run
    load_commands()
    spec = {s.name: s for s in REGISTRY}
    k = _zone_kernel()
    old = tmp_path / "old.json"
    assert run_command(spec["kmem-snapshot"], lambda: k.t, ["save", str(old)], io.StringIO()) == 0
    k.zone(k.keg(64), "leaky", allocs={0: 100000})
    walks = []
    counted = per_run(lambda target, *args: walks.append(args) or
                      uma_zone_stats.__wrapped__(target, *args))
    monkeypatch.setattr(collect, "uma_zone_stats", counted)
    monkeypatch.setattr(owner, "uma_zone_stats", counted)
    out = io.StringIO()
    run_command(spec["kmem-diff"], lambda: k.t, [str(old), "--threshold", "1K"], out)
    assert "leaky" in out.getvalue() and len(walks) == 1, out.getvalue()


def test_view_is_the_cached_page_and_an_offset_into_it():
    t = CountingTarget(4)
    c = PageCache(t)
    buffer, offset = c.view(PAGE + 40, 8)
    assert (len(buffer), offset, buffer[offset:offset + 8]) == (PAGE, 40, b"\1" * 8)
    assert c.view(PAGE + 100, 4)[0] is buffer and len(t.reads) == 1       # the same page
    assert c.view(2 * PAGE - 2, 4) == (b"\1\1\2\2", 0)                    # its own read
    assert c.read(PAGE + 40, 3) == b"\1" * 3 and c.read(0, 0) == b""
