"""The reachability scan (leak/reach.py) on fake memory: what it reaches, through which word,
what it skips, and that the numpy and pure-Python matchers give the same answer."""
import random

import pytest

from kmemdbg.backends.fake import ILP32, LP64, CTypes, FakeTarget
from kmemdbg.leak import reach
from kmemdbg.leak.reach import FROM_SOURCE, UNREACHED, Items, Source, scan
from kmemdbg.access import PAGE

ENGINES = [False] + ([True] if reach.numpy is not None else [])


class Heap:
    """A fake kernel: a data section (the source) and items carved from pages."""

    def __init__(self, abi=LP64, byteorder="little", npages=8):
        self.t = FakeTarget(CTypes(abi), byteorder=byteorder)
        self.ps = abi.pointer
        self.data = self.t.alloc_pages(1)
        self.heap = self.t.alloc_pages(npages)
        self.starts, self.ends = [], []

    def items(self, n, size, gap=0, at=0):
        """``n`` items of ``size`` bytes from heap offset ``at``; returns their addresses."""
        addrs = []
        for k in range(n):
            a = self.heap + at + k * (size + gap)
            self.starts.append(a)
            self.ends.append(a + size)
            addrs.append(a)
        return addrs

    def point(self, where, to):
        self.t.write_int(where, self.ps, to)

    def run(self, use_numpy, chunk=reach.CHUNK, scan_flags=None, sources=None):
        order = sorted(range(len(self.starts)), key=self.starts.__getitem__)
        self.ids = {self.starts[i]: k for k, i in enumerate(order)}
        its = Items([self.starts[i] for i in order], [self.ends[i] for i in order],
                    None if scan_flags is None else [scan_flags[i] for i in order])
        srcs = sources or [Source("kernel:.data", self.data, self.data + PAGE)]
        return scan(self.t, its, srcs, chunk=chunk, use_numpy=use_numpy)

    def id(self, addr):
        return self.ids[addr]


@pytest.mark.parametrize("use_numpy", ENGINES)
@pytest.mark.parametrize("abi", [LP64, ILP32])
def test_chain_from_source_through_interior_pointers(use_numpy, abi):
    h = Heap(abi)
    a, b, c, lost = h.items(4, 64)
    h.point(h.data + 3 * h.ps, a)            # a global points at a
    h.point(a + 2 * h.ps, b + 40)            # a points into the middle of b
    h.point(b + 5 * h.ps, c)                 # b -> c
    h.point(c, a)                            # a cycle back to a
    h.point(lost, c)                         # lost points at c, nothing points at lost
    r = h.run(use_numpy)
    assert [r.reached(h.id(x)) for x in (a, b, c, lost)] == [True, True, True, False]
    assert r.unreached() == [h.id(lost)]
    assert r.chain(h.id(c)) == [(r.sources[0], h.data + 3 * h.ps), (h.id(a), a + 2 * h.ps),
                                (h.id(b), b + 5 * h.ps)]
    assert r.holder[h.id(a)] == FROM_SOURCE and r.holder[h.id(lost)] == UNREACHED
    assert r.chain(h.id(lost)) == []
    assert r.stats.reached == 3 and r.stats.items == 4 and not r.warnings


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_pointer_edges_misaligned_words_and_free_memory(use_numpy):
    h = Heap()
    a, b, c, d = h.items(4, 64, gap=64, at=64)   # free 64 bytes before and between items
    h.point(h.data, a + 64)                  # one past a's end: inside the free gap, no item
    h.point(h.data + 8, b + 63)              # b's last byte: reaches b
    h.t.write(h.data + 20, c.to_bytes(8, "little"))   # misaligned word: not a pointer
    h.point(b + 64, d)                       # in the free gap after b: free memory, not scanned
    h.point(a - 8, c)
    r = h.run(use_numpy)
    assert [r.reached(h.id(x)) for x in (a, b, c, d)] == [False, True, False, False]


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_items_not_followed(use_numpy):
    h = Heap()
    slab_hdr, a = h.items(2, 64)
    h.point(h.data, slab_hdr)
    h.point(slab_hdr, a)                     # a slab header's pointer at item 0
    r = h.run(use_numpy, scan_flags=[False, True])
    assert r.reached(h.id(slab_hdr)) and not r.reached(h.id(a))


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_unreadable_pages_skipped_and_counted(use_numpy):
    h = Heap(npages=4)
    big = h.items(1, 2 * PAGE)[0]            # an item over pages 0-1 of the heap
    x, y = h.items(2, 64, at=3 * PAGE)
    h.point(h.data, big)
    h.point(big + 8, x)                      # on the page that goes missing
    h.point(big + PAGE + 8, y)               # on the page that stays
    h.t.unmap(big, 1)
    r = h.run(use_numpy)
    assert r.reached(h.id(big)) and r.reached(h.id(y)) and not r.reached(h.id(x))
    assert r.stats.unreadable_bytes == PAGE
    assert len(r.warnings) == 1 and f"{big:#x}" in r.warnings[0] and "unreadable" in \
        r.warnings[0]


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_small_chunks_and_big_endian(use_numpy):
    h = Heap(byteorder="big")
    items = h.items(40, 200, gap=8)
    h.point(h.data, items[0])
    for p, q in zip(items, items[1:]):
        h.point(p + 192, q)                  # a list through the last word of each item
    r = h.run(use_numpy, chunk=PAGE)         # the list crosses many chunk boundaries
    assert r.unreached() == [] and len(r.chain(h.id(items[-1]))) == 40


@pytest.mark.parametrize("abi", [LP64, ILP32])
def test_numpy_and_python_give_the_same_answer(abi):
    if reach.numpy is None:
        pytest.skip("numpy is not importable")
    rng = random.Random(15)
    h = Heap(abi, npages=64)
    sizes = [16, 32, 64, 128, 256]
    addrs, at = [], 0
    while True:
        size = rng.choice(sizes)
        if at + size > 64 * PAGE:
            break
        if rng.random() < 0.8:
            addrs += h.items(1, size, at=at)
        at += size + rng.choice([0, 0, 16])
    for _ in range(3 * len(addrs)):
        p = rng.choice(addrs)
        h.point(p + rng.randrange(0, 16, h.ps), rng.choice(addrs) + rng.randrange(0, 16))
    for k in range(8):
        h.point(h.data + 8 * k, rng.choice(addrs))
    for page in rng.sample(range(64), 3):
        h.t.unmap(h.heap + page * PAGE, 1)
    a = h.run(False, chunk=3 * PAGE)
    b = h.run(True, chunk=3 * PAGE)
    assert 0 < len(a.unreached()) < len(addrs)
    assert list(map(int, a.holder)) == list(map(int, b.holder))
    assert list(map(int, a.holder_word)) == list(map(int, b.holder_word))
    assert list(map(int, a.holder_source)) == list(map(int, b.holder_source))
    assert a.stats.unreadable_bytes == b.stats.unreadable_bytes > 0
    assert a.warnings == b.warnings


def test_numpy_forced_without_numpy(monkeypatch):
    monkeypatch.setattr(reach, "numpy", None)
    h = Heap()
    (a,) = h.items(1, 64)
    with pytest.raises(ValueError):
        h.run(True)
    h.point(h.data, a)
    assert h.run(None).stats.engine == "python"


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_holder_is_from_the_earliest_round(use_numpy):
    """Breadth first: c is reached through a (round 2), not through b (round 3), although b's
    word comes first in memory; within a round the first word in address order wins."""
    h = Heap()
    b, a, c, d = h.items(4, 64)
    h.point(h.data, a)
    h.point(a, b)
    h.point(b, c)                            # round 3 via b, lower address than a's word
    h.point(a + 8, c)                        # round 2 via a
    h.point(b + 8, d)
    h.point(c + 8, d)                        # d: round 3 both ways; b's word is first
    r = h.run(use_numpy)
    assert r.holder[h.id(c)] == h.id(a) and r.holder_word[h.id(c)] == a + 8
    assert r.holder[h.id(d)] == h.id(b) and r.holder_word[h.id(d)] == b + 8


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_edge_budget_reads_the_rest_when_reached(use_numpy, monkeypatch):
    """With room for two edges the sweep stops early; the items above where it stopped are
    read when reached, and the answer is the same."""
    h = Heap(npages=16)
    items = h.items(60, 96, gap=32)
    h.point(h.data, items[30])
    ring = items[30:] + items[:30]           # one list through every item, wrapping around
    for p, q in zip(ring, ring[1:]):
        h.point(p + 88, q)
    whole = h.run(use_numpy)
    monkeypatch.setattr(reach, "EDGE_BYTES", 2 * 16)
    cut = h.run(use_numpy)
    assert whole.unreached() == cut.unreached() == []
    assert list(map(int, whole.holder)) == list(map(int, cut.holder))
    assert list(map(int, whole.holder_word)) == list(map(int, cut.holder_word))
    assert cut.stats.reads > whole.stats.reads


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_far_apart_regions_and_slab_runs(use_numpy):
    """Items in regions far apart (the direct map and the kernel map) and slabs described as
    runs with holes: the same answer as items on their own."""
    h = Heap(npages=4)
    far = h.heap + 5000 * PAGE
    h.t.write(far, bytes(2 * PAGE))
    near = h.items(3, 128, gap=128)          # slots 0, 2, 4 of a 128-byte slab: 1, 3 free
    away = h.items(2, 64, at=far - h.heap)   # slots 0, 1 of another run
    h.point(h.data, near[2])
    h.point(near[2] + 8, away[1] + 60)
    h.point(near[2] + 16, near[1] - 8)       # into free slot 1: no item
    h.point(away[1], near[0] + 127)
    h.point(near[0] + 120, away[1] + 64)     # one past away[1]: no item
    runs = ([h.heap, far], [128, 64], [5, 8], [3, 2])
    plain = h.run(use_numpy)
    its = Items(h.starts, h.ends, runs=runs)
    slabs = scan(h.t, its, [Source("kernel:.data", h.data, h.data + PAGE)], use_numpy=use_numpy)
    assert [plain.reached(h.id(x)) for x in near + away] == [True, False, True, False, True]
    if use_numpy:                            # the runs were taken, not one run per item
        assert len(reach._Matcher(its, h.ps, "little", True).lookup.run) == 2
    assert list(map(int, plain.holder)) == list(map(int, slabs.holder))


@pytest.mark.parametrize("use_numpy", ENGINES)
def test_source_shorter_than_a_word_and_faults_counted_once(use_numpy, monkeypatch):
    """A 4-byte source reaches nothing (no whole word); with a tiny edge budget the items above
    the cut are read when reached, and a fault they meet is counted once."""
    h = Heap(npages=4)
    a, b = h.items(2, 64)
    big = h.items(1, 2 * PAGE, at=PAGE)[0]
    h.point(h.data, a)
    h.point(a, b)
    h.point(b, big)
    h.point(a + 8, big + 8)
    h.t.unmap(big + PAGE, 1)
    tiny = h.run(use_numpy, sources=[Source("kernel:.tiny", h.data, h.data + 4)])
    assert tiny.unreached() == [h.id(a), h.id(b), h.id(big)] and not tiny.warnings
    whole = h.run(use_numpy)
    monkeypatch.setattr(reach, "EDGE_BYTES", 16)
    cut = h.run(use_numpy)
    assert whole.unreached() == cut.unreached() == []
    assert whole.stats.unreadable_bytes == cut.stats.unreadable_bytes == PAGE


def test_runs_with_an_item_past_its_stride_are_not_taken():
    """A damaged keg (item size above its stride) would leave part of an item off the page
    table: such runs are refused, each item looked up on its own, and the answer stays right."""
    if reach.numpy is None:
        pytest.skip("numpy is not importable")
    h = Heap(npages=8)
    a, big = h.items(1, 64) + h.items(1, 2 * PAGE, at=3 * 256)
    h.point(h.data, big + PAGE + 16)          # into big's second page
    its = Items(h.starts, h.ends, runs=([h.heap], [256], [4], [2]))
    r = scan(h.t, its, [Source("kernel:.data", h.data, h.data + PAGE)], use_numpy=True)
    assert r.unreached() == [0] and r.reached(1)
    assert len(reach._Matcher(its, h.ps, "little", True).lookup.run) == 2   # one per item
