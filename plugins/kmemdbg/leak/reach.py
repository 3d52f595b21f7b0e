"""Conservative reachability: which allocated items can the kernel still reach?

The scan mdb's ``::findleaks`` does, for FreeBSD's allocators: start from the *sources* (the
kernel's and modules' data and bss, the per-CPU areas, kernel thread stacks), and every
pointer-sized aligned word that points anywhere inside an allocated item reaches that item,
whose own words are then scanned in turn, until nothing new is reached.  Items never reached
are the leak candidates; for the others the first word found pointing at them (its address and
the item or source holding it) is kept, so holder chains can be followed back to a source.

The allocated items come from the item index as sorted, non-overlapping ``[start, end)``
ranges (``Items``); free items are simply not in it, so they are never sources and never
reached.  Items whose ``scan`` flag is off are reached but not followed (UMA's own slab headers
and buckets point at free items and item 0 of their slabs, not at what the kernel holds).

Memory is read in chunks of at most ``chunk`` bytes (neighbouring items coalesced into one
read); unreadable pages are skipped and counted (``ScanStats.unreadable_bytes``, a warning
naming the first ones).  Each item is scanned at most once, so the work is bounded by the bytes
of the sources and the reached items, whatever cycles or corrupt pointers the memory holds.
Words are matched against the item starts with ``numpy.searchsorted`` when numpy imports in the
debugger's Python, else with ``bisect``; both give the same answer.
"""

import bisect
import struct
import time
from array import array
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from ..access import PAGE
from ..access.errors import MemoryFault

try:
    import numpy
except ImportError:  # the pure-Python matcher gives the same answer, slower
    numpy = None

CHUNK = 1 << 20          # bytes per read
COALESCE_GAP = 16 * PAGE  # items closer than this are read together (gaps are not scanned)
UNREACHED, FROM_SOURCE = -2, -1   # ReachResult.holder values besides item ids
MAX_WARNED_FAULTS = 4


@dataclass(frozen=True)
class Items:
    """The allocated items, the scan's interface to the item index: item ``i`` is
    ``[starts[i], ends[i])``, starts ascending, ranges disjoint and not empty (lists or numpy
    arrays; the index of an item here is its id in the result).  ``scan[i]`` False: reached
    but its words are not followed (default: every item is followed)."""

    starts: Sequence[int]
    ends: Sequence[int]
    scan: Optional[Sequence[bool]] = None

    def __len__(self):
        return len(self.starts)


@dataclass(frozen=True)
class Source:
    """Memory the scan starts from: ``name`` says what it is (``kernel:.bss``, ``pcpu 3``)."""

    name: str
    start: int
    end: int


@dataclass
class ScanStats:
    engine: str                  # "numpy" or "python"
    source_bytes: int = 0        # bytes of sources scanned
    item_bytes: int = 0          # bytes of reached items scanned
    words: int = 0               # words compared
    reads: int = 0
    items: int = 0
    reached: int = 0
    unreadable_bytes: int = 0
    seconds: float = 0.0


@dataclass
class ReachResult:
    """Per item (ids are indexes into ``Items``): reached or not, and its first holder.

    ``holder[i]``: the id of the item whose word reached item ``i``, ``FROM_SOURCE``, or
    ``UNREACHED``; ``holder_word[i]``: that word's address; ``holder_source[i]``: the index in
    ``sources`` when a source reached it (else -1).
    """

    sources: Tuple[Source, ...]
    holder: Sequence[int]
    holder_word: Sequence[int]
    holder_source: Sequence[int]
    stats: ScanStats
    warnings: List[str] = field(default_factory=list)

    def reached(self, i) -> bool:
        return self.holder[i] != UNREACHED

    def unreached(self) -> List[int]:
        return [i for i, h in enumerate(self.holder) if h == UNREACHED]

    def chain(self, i, limit=64):
        """``[(holder, word address), ...]`` from the source down to item ``i``: ``holder`` is
        a ``Source`` for the first hop, item ids after; [] when ``i`` was not reached."""
        hops = []
        while self.holder[i] != UNREACHED and len(hops) < limit:
            h = int(self.holder[i])
            if h == FROM_SOURCE:
                hops.append((self.sources[self.holder_source[i]], int(self.holder_word[i])))
                break
            hops.append((h, int(self.holder_word[i])))
            i = h
        return hops[::-1]


class _Matcher:
    """Finds the words of a buffer that point inside an item: (word index, item id) pairs."""

    def __init__(self, items: Items, pointer_size: int, byteorder: str, use_numpy):
        self.ps = pointer_size
        self.n = len(items)
        self.numpy = numpy is not None if use_numpy is None else use_numpy
        if self.numpy and numpy is None:
            raise ValueError("numpy is not importable here")
        if self.numpy:
            self.starts = numpy.asarray(items.starts, dtype=numpy.uint64)
            self.ends = numpy.asarray(items.ends, dtype=numpy.uint64)
            self.dtype = numpy.dtype(("<" if byteorder == "little" else ">")
                                     + ("u8" if pointer_size == 8 else "u4"))
            self._runs()
        else:
            self.starts = [int(a) for a in items.starts]
            self.ends = [int(a) for a in items.ends]
            self.fmt = ("<" if byteorder == "little" else ">") + ("Q" if pointer_size == 8
                                                                  else "I")
        self.lo = int(self.starts[0]) if self.n else 0
        self.hi = int(self.ends[-1]) if self.n else 0     # sorted, disjoint: the last end

    def _runs(self):
        """Group the items into runs of equal size and stride (a slab's items, usually), so a
        word is looked up among the runs (a few per page) instead of among all items."""
        s, e = self.starts, self.ends
        n = len(s)
        first = numpy.ones(n, dtype=bool)
        sizes = e - s
        first[1:] = sizes[1:] != sizes[:-1]
        if n > 2:
            gap = s[1:] - s[:-1]
            first[2:] |= gap[1:] != gap[:-1]
        self.run_first = numpy.nonzero(first)[0]
        self.run_start = s[self.run_first]
        self.run_last = numpy.append(self.run_first[1:], n) - 1
        two = numpy.minimum(self.run_first + 1, n - 1) if n else self.run_first
        self.run_stride = numpy.maximum(numpy.where(
            self.run_last > self.run_first, s[two] - self.run_start,
            sizes[self.run_first] if n else 0), 1)

    def _lookup(self, w):
        """Item ids for the sorted words ``w`` (each >= the first start): the only item of
        each word's run that can hold it; the caller checks the end."""
        r = numpy.searchsorted(self.run_start, w, side="right") - 1
        k = (w - self.run_start[r]) // self.run_stride[r]
        return numpy.minimum(self.run_first[r] + k.astype(numpy.int64), self.run_last[r])

    def words(self, buf: bytes, skip: int, count: int, at=None):
        """numpy: the ``count`` words of ``buf`` from byte ``skip`` (only those at the indexes
        ``at`` when given: picked before the uint64 copy, a sparse run costs what it scans)."""
        w = numpy.frombuffer(buf, self.dtype, count, skip)
        return (w if at is None else w[at]).astype(numpy.uint64)

    def match_words(self, w):
        """numpy: (indexes into ``w``, item ids) of the words pointing inside an item."""
        # Most words point nowhere near the items: drop them first, then look the rest up in
        # sorted order (searchsorted runs far faster on sorted keys).
        cand = numpy.nonzero((w >= self.lo) & (w < self.hi))[0]
        wc = w[cand]
        order = numpy.argsort(wc, kind="stable")
        i = numpy.empty(len(wc), dtype=numpy.int64)
        i[order] = self._lookup(wc[order])
        ok = wc < self.ends[i]
        return cand[ok], i[ok]

    def match(self, buf: bytes, skip: int, count: int):
        """Words ``skip .. skip + count*ps`` of ``buf``: (word indexes, item ids) of those
        pointing inside an item, in address order."""
        if count <= 0:
            return [], []
        if self.numpy:
            return self.match_words(self.words(buf, skip, count))
        words = struct.unpack_from(f"{self.fmt[0]}{count}{self.fmt[1]}", buf, skip)
        starts, ends, lo, hi, widx, ids = self.starts, self.ends, self.lo, self.hi, [], []
        for k, w in enumerate(words):
            if not lo <= w < hi:
                continue
            i = bisect.bisect_right(starts, w) - 1
            if i >= 0 and w < ends[i]:
                widx.append(k)
                ids.append(i)
        return widx, ids


class _Scan:
    def __init__(self, target, items, sources, chunk, use_numpy):
        self.target, self.items, self.chunk = target, items, max(chunk, PAGE)
        self.ps = target.pointer_size
        self.m = _Matcher(items, self.ps, target.byteorder, use_numpy)
        n = len(items)
        if self.m.numpy:
            self.holder = numpy.full(n, UNREACHED, dtype=numpy.int64)
            self.holder_word = numpy.zeros(n, dtype=numpy.uint64)
            self.holder_source = numpy.full(n, -1, dtype=numpy.int32)
            self.follow = None if items.scan is None else numpy.asarray(items.scan, dtype=bool)
        else:
            self.holder = array("q", [UNREACHED]) * n
            self.holder_word = array("Q", [0]) * n
            self.holder_source = array("i", [-1]) * n
            self.follow = items.scan
        self.sources = tuple(sources)
        self.stats = ScanStats("numpy" if self.m.numpy else "python", items=n)
        self.faults: List[str] = []
        self.pending: list = []      # ids to scan (numpy: arrays of ids, not Python ints)

    # ---- reading ------------------------------------------------------------------------------

    def runs(self, start, end, what):
        """Readable ``(addr, bytes)`` runs of ``[start, end)``, one read per chunk; a chunk
        that faults is read page by page and its unreadable pages are skipped and counted."""
        a = start
        while a < end:
            b = min(end, a + self.chunk)
            self.stats.reads += 1
            try:
                yield a, self.target.read(a, b - a)
            except MemoryFault:
                yield from self._pages(a, b, what)
            a = b

    def _pages(self, start, end, what):
        run_at, run = start, []
        a = start
        while a < end:
            b = min(end, (a // PAGE + 1) * PAGE)
            self.stats.reads += 1
            try:
                data = self.target.read(a, b - a)
            except MemoryFault:
                data = None
                self.stats.unreadable_bytes += b - a
                if len(self.faults) < MAX_WARNED_FAULTS:
                    self.faults.append(f"{what}: {a:#x}-{b:#x}")
            if data is None:
                if run:
                    yield run_at, b"".join(run)
                run, run_at = [], b
            else:
                run.append(data)
            a = b
        if run:
            yield run_at, b"".join(run)

    # ---- matching -----------------------------------------------------------------------------

    def word_span(self, addr, buf):
        """(first aligned word offset in buf, word count) of the run ``buf`` at ``addr``."""
        skip = -addr % self.ps
        count = max(0, (len(buf) - skip) // self.ps)
        self.stats.words += count
        return skip, count

    def reach(self, widx, ids, base, skip, owners=None, source=-1, by_word=None):
        """Mark the items hit by words ``widx`` (of the run at ``base``) reached, the first
        word in address order winning; ``owners[k]``: the item holding word k (numpy:
        ``owners[by_word[n]]`` for the n-th hit); None: the source ``source`` holds the run."""
        if self.m.numpy:
            if owners is not None:
                owners = owners[by_word]
            self._reach_numpy(widx, ids, base, skip, owners, source)
            return
        holder = self.holder
        for k, i in zip(widx, ids):
            if holder[i] != UNREACHED:
                continue
            holder[i] = FROM_SOURCE if owners is None else owners[k]
            self.holder_word[i] = base + skip + k * self.ps
            self.holder_source[i] = source
            self.stats.reached += 1
            if self.follow is None or self.follow[i]:
                self.pending.append(i)

    def _reach_numpy(self, widx, ids, base, skip, owners, source):
        """``owners[n]``: the item holding the n-th hit word (None: a source)."""
        new = self.holder[ids] == UNREACHED
        widx, ids = widx[new], ids[new]
        if owners is not None:
            owners = owners[new]
        if not len(ids):
            return
        ids, first = numpy.unique(ids, return_index=True)
        widx = widx[first]
        self.holder[ids] = FROM_SOURCE if owners is None else owners[first]
        self.holder_word[ids] = numpy.uint64(base + skip) + widx.astype(numpy.uint64) * \
            numpy.uint64(self.ps)
        self.holder_source[ids] = source
        self.stats.reached += len(ids)
        if self.follow is not None:
            ids = ids[self.follow[ids]]
        self.pending.append(ids)

    def scan_source(self, si, src):
        for addr, buf in self.runs(src.start, src.end, src.name):
            self.stats.source_bytes += len(buf)
            skip, count = self.word_span(addr, buf)
            widx, ids = self.m.match(buf, skip, count)
            self.reach(widx, ids, addr, skip, source=si)

    def scan_items(self, batch):
        """Scan the words of the items ``batch`` (sorted ids): items less than COALESCE_GAP
        apart, within one ``chunk``-aligned window, are read together."""
        if self.m.numpy:
            ids = numpy.asarray(batch, dtype=numpy.int64)
            starts, ends = self.m.starts[ids], self.m.ends[ids]
            cut = numpy.ones(len(ids), dtype=bool)
            cut[1:] = ((starts[1:] - ends[:-1] > COALESCE_GAP)
                       | (starts[1:] // self.chunk != starts[:-1] // self.chunk))
            bounds = numpy.append(numpy.nonzero(cut)[0], len(ids)).tolist()
        else:
            ids = batch
            starts, ends = [self.m.starts[i] for i in batch], [self.m.ends[i] for i in batch]
            bounds = [0] + [k for k in range(1, len(batch))
                            if starts[k] - ends[k - 1] > COALESCE_GAP
                            or starts[k] // self.chunk != starts[k - 1] // self.chunk] + \
                [len(batch)]
        for j, k in zip(bounds, bounds[1:]):
            lo, hi = int(starts[j]), int(ends[k - 1])
            for addr, buf in self.runs(lo, hi, f"item {lo:#x}"):
                self._scan_run(ids[j:k], starts[j:k], ends[j:k], addr, buf)

    def _scan_run(self, span, starts, ends, addr, buf):
        """Words of ``buf`` (at ``addr``) that lie inside the items ``span`` (their
        ``starts``, ``ends``)."""
        ps = self.ps
        skip, count = self.word_span(addr, buf)
        if self.m.numpy:
            # Word indexes [lo, hi) of each item inside the run, laid end to end (the items
            # are sorted and disjoint): `at` the words to scan, `owners` their items.
            base = numpy.uint64(addr + skip)
            rel_s = (numpy.asarray(starts, dtype=numpy.uint64) - base).view(numpy.int64)
            rel_e = (numpy.asarray(ends, dtype=numpy.uint64) - base).view(numpy.int64)
            lo = numpy.clip(-(-rel_s // ps), 0, count)
            hi = numpy.clip(rel_e // ps, 0, count)
            n = numpy.maximum(hi - lo, 0)
            total = int(n.sum())
            ends_cum = numpy.cumsum(n)
            at = numpy.arange(total, dtype=numpy.int64) + numpy.repeat(lo - (ends_cum - n), n)
            owners_all = numpy.repeat(numpy.asarray(span, dtype=numpy.int64), n)
            self.stats.item_bytes += len(at) * ps
            widx, ids = self.m.match_words(self.m.words(buf, skip, count, at))
            self.reach(at[widx], ids, addr, skip, owners_all, by_word=widx)
            return
        for i, start, end in zip(span, starts, ends):
            lo = max(start, addr + skip)
            lo += -lo % ps
            hi = min(end, addr + len(buf))
            n = (hi - lo) // ps
            if n <= 0:
                continue
            self.stats.item_bytes += n * ps
            widx, ids = self.m.match(buf, lo - addr, n)
            self.reach(widx, ids, addr, lo - addr, [i] * n)


def scan(target, items: Items, sources: Sequence[Source], chunk: int = CHUNK,
         use_numpy: Optional[bool] = None) -> ReachResult:
    """Reach every item ``sources`` can reach, transitively (see the module docstring).

    :param use_numpy: None: numpy when importable; True/False: force one matcher (tests).
    """
    t0 = time.monotonic()
    s = _Scan(target, items, sources, chunk, use_numpy)
    for si, src in enumerate(s.sources):
        s.scan_source(si, src)
    while s.pending:
        batch = numpy.sort(numpy.concatenate(s.pending)) if s.m.numpy else sorted(s.pending)
        s.pending = []
        s.scan_items(batch)
    s.stats.seconds = time.monotonic() - t0
    warnings = []
    if s.stats.unreadable_bytes:
        warnings.append(f"reachability scan: {s.stats.unreadable_bytes} unreadable bytes "
                        f"skipped ({', '.join(s.faults)}"
                        f"{', ...' if s.stats.unreadable_bytes > PAGE * len(s.faults) else ''})")
    return ReachResult(s.sources, s.holder, s.holder_word, s.holder_source, s.stats, warnings)
