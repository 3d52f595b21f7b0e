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

How: the sources are scanned first; then one *sweep* reads every followed item once, in address
order, and keeps its pointers into other items (the edges: word address and item pointed at)
in memory; the transitive closure is then a breadth-first walk over those edges without
reading memory again.  Breadth first, rounds in address order, so an item's holder is the first
word, in address order, of the earliest round that reaches it: chains are as short as the
memory allows, and the answer does not depend on how reads are cut.  The edges are bounded
(``EDGE_BYTES``): past that the sweep stops, and items above where it stopped are read when
they are reached (round by round, neighbouring items coalesced into one read).

Memory is read in chunks of at most ``chunk`` bytes; unreadable pages are skipped, and those
of sources and reached items counted (``ScanStats.unreadable_bytes``, a warning naming the first
ones).  Each item is read at most once, so the work is bounded by the bytes of the sources and
the items, whatever cycles or corrupt pointers the memory holds.  Words are matched against the
item starts with ``numpy.searchsorted`` when numpy imports in the debugger's Python, else with
``bisect``; both give the same answer.
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
    from .lookup import PageLookup
except ImportError:  # the pure-Python matcher gives the same answer, slower
    numpy = None

CHUNK = 1 << 20          # bytes per read
COALESCE_GAP = 16 * PAGE  # items closer than this are read together (gaps are not scanned)
EDGE_BYTES = 256 << 20   # memory for the sweep's edges (12 bytes each with numpy)
SLICE = 1 << 20           # items per step of the numpy sweep (bounds its temporaries)
UNREACHED, FROM_SOURCE = -2, -1   # ReachResult.holder values besides item ids
MAX_WARNED_FAULTS = 4


@dataclass(frozen=True)
class Items:
    """The allocated items, the scan's interface to the item index: item ``i`` is
    ``[starts[i], ends[i])``, starts ascending, ranges disjoint and not empty (lists or numpy
    arrays; the index of an item here is its id in the result).  ``scan[i]`` False: reached
    but its words are not followed (default: every item is followed).

    ``runs``, optional, makes the numpy matcher's lookups direct: ``(start, stride, slots,
    count)`` per run, runs in item order, run *j* holding the next ``count[j]`` items, each at
    ``start[j] + k * stride[j]`` for some slot ``k < slots[j]`` (a slab: its free slots are the
    holes).  Without it every item is a run of its own."""

    starts: Sequence[int]
    ends: Sequence[int]
    scan: Optional[Sequence[bool]] = None
    runs: Optional[Tuple[Sequence[int], Sequence[int], Sequence[int], Sequence[int]]] = None

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

    The three are sequences of ints (memoryviews or arrays).  ``holder[i]``: the id of the
    item whose word reached item ``i``, ``FROM_SOURCE``, or ``UNREACHED``; ``holder_word[i]``:
    that word's address; ``holder_source[i]``: the index in ``sources`` when a source reached
    it (else -1).
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
        if numpy is not None:
            return numpy.nonzero(numpy.asarray(self.holder) == UNREACHED)[0].tolist()
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


def _edge_arrays():
    """Pure Python: (owners, word addresses, targets) as arrays, not lists of int objects."""
    return array("q"), array("Q"), array("q")


def _uint_array(values):
    return values if isinstance(values, array) and values.typecode == "Q" else array("Q", values)


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
            self.lookup = PageLookup(self.starts, self.ends, items.runs)
        else:       # compact arrays (bisect takes any sequence): 6 million items, 96 MB
            self.starts = _uint_array(items.starts)
            self.ends = _uint_array(items.ends)
            self.fmt = ("<" if byteorder == "little" else ">") + ("Q" if pointer_size == 8
                                                                  else "I")
        self.lo = int(self.starts[0]) if self.n else 0
        self.hi = int(self.ends[-1]) if self.n else 0     # sorted, disjoint: the last end

    def words(self, buf: bytes, skip: int, count: int):
        """numpy: the ``count`` words of ``buf`` from byte ``skip`` (a view, not a copy)."""
        return numpy.frombuffer(buf, self.dtype, count, skip)

    def match_words(self, w):
        """numpy: (indexes into ``w``, item ids) of the words pointing inside an item."""
        cand = numpy.nonzero((w >= self.lo) & (w < self.hi))[0]   # most words: nowhere near
        i = self.lookup(w[cand].astype(numpy.uint64))
        ok = i >= 0
        return cand[ok], i[ok]

    def match(self, buf: bytes, skip: int, count: int):
        """Words ``skip .. skip + count*ps`` of ``buf``: (word indexes, item ids) of those
        pointing inside an item, in address order."""
        if count <= 0:
            return (numpy.zeros(0, numpy.int64),) * 2 if self.numpy else ([], [])
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
    """One scan: the matcher, the per-item results, the sweep's edges, the faults met."""

    def __init__(self, target, items, sources, chunk, use_numpy):
        self.target, self.items, self.chunk = target, items, max(chunk, PAGE)
        self.ps = target.pointer_size
        self.m = _Matcher(items, self.ps, target.byteorder, use_numpy)
        n = len(items)
        if self.m.numpy:
            ids = numpy.int32 if n < 1 << 31 else numpy.int64
            self.holder = numpy.full(n, UNREACHED, dtype=ids)
            self.holder_word = numpy.zeros(n, dtype=numpy.uint64)
            self.holder_source = numpy.full(n, -1, dtype=numpy.int32)
            self.follow = None if items.scan is None else numpy.asarray(items.scan, dtype=bool)
            self.scratch = numpy.empty(n, dtype=ids)    # reach(): first edges
        else:
            self.holder = array("q", [UNREACHED]) * n
            self.holder_word = array("Q", [0]) * n
            self.holder_source = array("i", [-1]) * n
            self.follow = items.scan
        self.sources = tuple(sources)
        self.stats = ScanStats("numpy" if self.m.numpy else "python", items=n)
        self.faults: List[Tuple[int, int, int]] = []   # (start, end, source index or -1)
        self.cut = 0          # the sweep kept the edges of the items below this id

    # ---- reading ------------------------------------------------------------------------------

    def runs(self, start, end, source=-1):
        """Readable ``(addr, bytes)`` runs of ``[start, end)``, one read per chunk; a chunk
        that faults is read page by page and its unreadable pages are skipped and noted."""
        a = start
        while a < end:
            b = min(end, a + self.chunk)
            self.stats.reads += 1
            try:
                yield a, self.target.read(a, b - a)
            except MemoryFault:
                yield from self._pages(a, b, source)
            a = b

    def _pages(self, start, end, source):
        run_at, run = start, []
        a = start
        while a < end:
            b = min(end, (a // PAGE + 1) * PAGE)
            self.stats.reads += 1
            try:
                data = self.target.read(a, b - a)
            except MemoryFault:
                data = None
                self.faults.append((a, b, source))
            if data is None:
                if run:
                    yield run_at, b"".join(run)
                run, run_at = [], b
            else:
                run.append(data)
            a = b
        if run:
            yield run_at, b"".join(run)

    def groups(self, ids):
        """The items ``ids`` (ascending) as read groups ``(ids, starts, ends)``: items less than
        COALESCE_GAP apart, within one ``chunk``-aligned window, are read together."""
        if self.m.numpy:    # ids: an array, or arrays one after the other
            for part in ([ids] if isinstance(ids, numpy.ndarray) else ids):
                for k in range(0, len(part), SLICE):      # bounded temporaries
                    yield from self._groups_numpy(part[k:k + SLICE])
            return
        span, starts, ends = [], [], []
        for i in ids:
            s, e = self.m.starts[i], self.m.ends[i]
            if span and (s - ends[-1] > COALESCE_GAP
                         or s // self.chunk != starts[-1] // self.chunk):
                yield span, starts, ends
                span, starts, ends = [], [], []
            span.append(i)
            starts.append(s)
            ends.append(e)
        if span:
            yield span, starts, ends

    def _groups_numpy(self, ids):
        starts, ends = self.m.starts[ids], self.m.ends[ids]
        cut = numpy.ones(len(ids), dtype=bool)
        cut[1:] = ((starts[1:] - ends[:-1] > COALESCE_GAP)
                   | (starts[1:] // self.chunk != starts[:-1] // self.chunk))
        bounds = numpy.append(numpy.nonzero(cut)[0], len(ids)).tolist()
        for j, k in zip(bounds, bounds[1:]):
            yield ids[j:k], starts[j:k], ends[j:k]

    def edges(self, group):
        """The pointers of a group's items into other items, read from memory: lists (numpy:
        arrays) ``(owners, word addresses, targets)``, in address order; an item's pointers
        into itself are left out (it is already reached when its words count)."""
        span, starts, ends = group
        parts = [self._run_edges(span, starts, ends, addr, buf)
                 for addr, buf in self.runs(int(starts[0]), int(ends[-1]))]
        if self.m.numpy:
            return tuple(numpy.concatenate(p) for p in zip(*parts)) if parts else \
                (numpy.zeros(0, numpy.int64), numpy.zeros(0, numpy.uint64),
                 numpy.zeros(0, numpy.int64))
        out = _edge_arrays()
        for part in parts:
            for whole, piece in zip(out, part):
                whole.extend(piece)
        return out

    def word_span(self, addr, buf):
        """(first aligned word offset in buf, word count) of the run ``buf`` at ``addr``."""
        skip = -addr % self.ps
        count = max(0, (len(buf) - skip) // self.ps)
        self.stats.words += count
        return skip, count

    def _run_edges(self, span, starts, ends, addr, buf):
        """``edges`` of the words of ``buf`` (at ``addr``) that lie inside the items ``span``."""
        ps = self.ps
        skip, count = self.word_span(addr, buf)
        if self.m.numpy:
            # Each item's whole words [lo, hi) in the run, ascending (items sorted, disjoint):
            # every word of the run is matched, the hits then assigned to the item holding them.
            base = numpy.uint64(addr + skip)
            lo = numpy.clip(-(-(starts - base).view(numpy.int64) // ps), 0, count)
            hi = numpy.clip((ends - base).view(numpy.int64) // ps, 0, count)
            self.stats.item_bytes += int(numpy.maximum(hi - lo, 0).sum()) * ps
            k, targets = self.m.match_words(self.m.words(buf, skip, count))
            pos = numpy.maximum(numpy.searchsorted(lo, k, side="right") - 1, 0)
            owners = span[pos]
            keep = (k >= lo[pos]) & (k < hi[pos]) & (owners != targets)
            return owners[keep], base + k[keep].astype(numpy.uint64) * numpy.uint64(ps), \
                targets[keep]
        owners, addrs, targets = _edge_arrays()
        for i, start, end in zip(span, starts, ends):
            lo = max(start, addr + skip)
            lo += -lo % ps
            n = (min(end, addr + len(buf)) - lo) // ps
            if n <= 0:
                continue
            self.stats.item_bytes += n * ps
            widx, ids = self.m.match(buf, lo - addr, n)
            for k, t in zip(widx, ids):
                if t != i:
                    owners.append(i)
                    addrs.append(lo + k * ps)
                    targets.append(t)
        return owners, addrs, targets

    # ---- reaching -----------------------------------------------------------------------------

    def reach(self, owners, addrs, targets, source=-1):
        """Mark the unreached ``targets`` reached, the first edge (in the given order) winning;
        ``owners`` None: the source ``source`` holds the words.  Returns the newly reached
        items to follow, ascending."""
        if self.m.numpy:
            new = self.holder[targets] == UNREACHED
            targets, addrs = targets[new], addrs[new]
            # The first edge to each target: positions written in reverse, so the first one's
            # stays (numpy assigns a repeated index in order, the last value kept; the
            # numpy-against-Python unit test would catch a numpy that did not).
            at = numpy.arange(len(targets), dtype=self.scratch.dtype)
            self.scratch[targets[::-1]] = at[::-1]
            first = self.scratch[targets] == at
            targets = targets[first]
            self.holder[targets] = FROM_SOURCE if owners is None else owners[new][first]
            self.holder_word[targets] = addrs[first]
            if source >= 0:
                self.holder_source[targets] = source
            self.stats.reached += len(targets)
            if self.follow is not None:
                targets = targets[self.follow[targets]]
            if len(targets) * 32 < len(self.holder):
                return numpy.sort(targets)
            mark = numpy.zeros(len(self.holder), dtype=bool)   # many: cheaper than a sort
            mark[targets] = True
            return numpy.nonzero(mark)[0]
        holder, found = self.holder, []
        for k, t in enumerate(targets):
            if holder[t] != UNREACHED:
                continue
            holder[t] = FROM_SOURCE if owners is None else owners[k]
            self.holder_word[t] = addrs[k]
            self.holder_source[t] = source
            found.append(t)
        self.stats.reached += len(found)
        return sorted(t for t in found if self.follow is None or self.follow[t])

    def scan_source(self, si, src):
        for addr, buf in self.runs(src.start, src.end, si):
            self.stats.source_bytes += len(buf)
            skip, count = self.word_span(addr, buf)
            widx, ids = self.m.match(buf, skip, count)
            if self.m.numpy:
                addrs = numpy.uint64(addr + skip) + widx.astype(numpy.uint64) * \
                    numpy.uint64(self.ps)
            else:
                addrs = [addr + skip + k * self.ps for k in widx]
            self.reach(None, addrs, ids, si)

    def followed(self):
        """The ids of the items whose words are followed, ascending (numpy: in slices)."""
        n = len(self.items)
        if not self.m.numpy:
            return (i for i in range(n) if self.follow is None or self.follow[i])
        if self.follow is None:
            return (numpy.arange(k, min(n, k + SLICE)) for k in range(0, n, SLICE))
        return (k + numpy.nonzero(self.follow[k:k + SLICE])[0] for k in range(0, n, SLICE))

    def reached_followed(self):
        if self.m.numpy:
            ids = numpy.nonzero(self.holder != UNREACHED)[0]
            return ids if self.follow is None else ids[self.follow[ids]]
        return [i for i in self.followed() if self.holder[i] != UNREACHED]

    # ---- the sweep and the closure ------------------------------------------------------------

    def sweep(self):
        """Read every followed item once, in address order, and keep its edges to items the
        sources did not reach (as ``off``/``edge_addr``/``edge_target``, by owner), while they
        fit in EDGE_BYTES; ``cut``: the first item whose edges were not kept."""
        n = len(self.items)
        budget = EDGE_BYTES // (12 if self.m.numpy else 16)
        kept, parts, self.cut = 0, [], n
        if self.m.numpy:
            narrow = numpy.int32 if n < 1 << 31 else numpy.int64
            counts = numpy.zeros(n + 1, dtype=narrow)     # kept edges < 2**31 (budget)
        else:
            counts, self.edge_addr, self.edge_target = array("q", [0]) * (n + 1), array("Q"), \
                array("q")
        for group in self.groups(self.followed()):
            owners, addrs, targets = self.edges(group)
            if self.m.numpy:
                new = self.holder[targets] == UNREACHED
                owners, addrs, targets = owners[new], addrs[new], targets[new]
            else:
                new = [k for k, t in enumerate(targets) if self.holder[t] == UNREACHED]
                owners, addrs, targets = ([x[k] for k in new] for x in (owners, addrs, targets))
            if kept + len(targets) > budget:
                self.cut = int(group[0][0])
                break
            kept += len(targets)
            if self.m.numpy:
                if len(owners):     # owners ascending: count them by their runs
                    ends = numpy.append(numpy.nonzero(owners[1:] != owners[:-1])[0] + 1,
                                        len(owners))
                    counts[owners[ends - 1] + 1] += numpy.diff(ends, prepend=0)
                parts.append((addrs, targets.astype(narrow)))
            else:
                for i in owners:
                    counts[i + 1] += 1
                self.edge_addr.extend(addrs)
                self.edge_target.extend(targets)
        if self.m.numpy:
            self.off = numpy.cumsum(counts, out=counts)
            self.edge_addr = numpy.empty(kept, dtype=numpy.uint64)
            self.edge_target = numpy.empty(kept, dtype=narrow)
            at = 0
            for k, (addrs, targets) in enumerate(parts):
                parts[k] = None                      # freed as copied: a peak of one part
                self.edge_addr[at:at + len(addrs)] = addrs
                self.edge_target[at:at + len(addrs)] = targets
                at += len(addrs)
            return
        for i in range(n):
            counts[i + 1] += counts[i]
        self.off = counts

    def closure(self, frontier):
        """Breadth first from ``frontier`` (ascending ids of reached items to follow): each
        round, the kept edges of the items below ``cut`` and the words of those above it (read
        now), in address order."""
        while len(frontier):
            if self.m.numpy:
                split = int(numpy.searchsorted(frontier, self.cut))
                parts = [self._kept(frontier[:split])] + \
                    [self.edges(g) for g in self.groups(frontier[split:])]
                edges = [numpy.concatenate(x) for x in zip(*parts)]
            else:
                split = bisect.bisect_left(frontier, self.cut)
                edges = self._kept(frontier[:split])
                for g in self.groups(frontier[split:]):
                    for k, x in enumerate(self.edges(g)):
                        edges[k] += x
            frontier = self.reach(*edges)

    def _kept(self, ids):
        """The kept edges of ``ids`` (ascending, all below ``cut``), by owner."""
        off = self.off
        if self.m.numpy:
            first = off[ids]
            count = off[ids + 1] - first
            pos = numpy.arange(int(count.sum())) + numpy.repeat(first - (numpy.cumsum(count)
                                                                         - count), count)
            return numpy.repeat(ids, count), self.edge_addr[pos], \
                self.edge_target[pos].astype(numpy.int64)
        owners, addrs, targets = _edge_arrays()
        for i in ids:
            for e in range(off[i], off[i + 1]):
                owners.append(i)
                addrs.append(self.edge_addr[e])
                targets.append(self.edge_target[e])
        return [owners, addrs, targets]

    def unreadable(self):
        """``(bytes, [what: range, ...])`` of the faults that matter: in sources, and in items
        that were reached and followed (the sweep also meets pages of items nothing reaches)."""
        total, named = 0, []
        starts, ends = self.m.starts, self.m.ends
        for a, b, si in sorted(set(self.faults)):   # past the edge budget a page may be met twice
            if si >= 0:
                total += b - a
                named.append(f"{self.sources[si].name}: {a:#x}-{b:#x}")
                continue
            i = max(bisect.bisect_right(starts, a) - 1, 0)
            while i < len(starts) and starts[i] < b:
                lo, hi = max(a, int(starts[i])), min(b, int(ends[i]))
                if lo < hi and self.holder[i] != UNREACHED and (self.follow is None
                                                                 or self.follow[i]):
                    total += hi - lo
                    named.append(f"item {int(starts[i]):#x}: {lo:#x}-{hi:#x}")
                i += 1
        return total, named


def scan(target, items: Items, sources: Sequence[Source], chunk: int = CHUNK,
         use_numpy: Optional[bool] = None) -> ReachResult:
    """Reach every item ``sources`` can reach, transitively (see the module docstring).

    :param use_numpy: None: numpy when importable; True/False: force one matcher (tests).
    """
    t0 = time.monotonic()
    s = _Scan(target, items, sources, chunk, use_numpy)
    for si, src in enumerate(s.sources):
        s.scan_source(si, src)
    s.sweep()
    s.closure(s.reached_followed())
    s.stats.unreadable_bytes, named = s.unreadable()
    s.stats.seconds = time.monotonic() - t0
    warnings = []
    if named:
        more = ", ..." if len(named) > MAX_WARNED_FAULTS else ""
        warnings.append(f"reachability scan: {s.stats.unreadable_bytes} unreadable bytes "
                        f"skipped ({', '.join(named[:MAX_WARNED_FAULTS])}{more})")
    # memoryviews of the numpy arrays: indexing them gives Python ints, at list speed
    return ReachResult(s.sources, *map(memoryview, (s.holder, s.holder_word, s.holder_source)),
                       s.stats, warnings)
