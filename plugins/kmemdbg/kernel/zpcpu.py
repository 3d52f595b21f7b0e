"""Per-CPU UMA memory (zpcpu) and counter(9) sums.

Mirrors ``zpcpu_get_cpu()`` of ``sys/sys/pcpu.h`` and libkvm's ``kvm_counter_u64_fetch``.
The copy of a per-CPU allocation for CPU *i* lives at ``base + i * UMA_PCPU_ALLOC_SIZE``
(``PAGE_SIZE``; on i386 and amd64 also ``sizeof(struct pcpu)``).  On amd64 from 13.0 the
stored base is an offset from the *value* of the pointer variable ``__pcpu`` (before 13
``__pcpu`` is the array of ``struct pcpu`` itself and bases are absolute); which case applies
is read from ``__pcpu``'s declared type.

Reading: a per-CPU slab page P0 holds hundreds of counters, and CPU *i*'s copies of all of
them are page P0 + i.  So the pages P0 .. P0 + mp_maxid (a "block") are read in one target read
the first time any of them is needed, kept for the command, and each counter is summed with a
strided slice over the block (``kernel/strided.py``): 4,000 counters on 256 CPUs cost a few
dozen bulk reads instead of a million 8-byte ones.  A walk that knows its objects beforehand
(every zone's counters, every malloc type's statistics) totals them block by block instead
(``counter_totals``, ``prefetch``): each block read once, and with numpy all its objects summed
in one pass.
"""

from collections import namedtuple

from ..access import probe
from ..access.errors import MemoryFault, SymbolNotFound
from ..access.layout import PTR
from ..access.pagecache import read_buffer
from .cpus import read_cpu_info
from .memory import PAGE_SIZE, pointer_mask, read_pointer
from .strided import Strided, cpu_runs

UMA_PCPU_ALLOC_SIZE = PAGE_SIZE
COUNTER = ((0, 8, False),)    # a counter(9)'s copy: one uint64_t
MAX_BLOCK_BYTES = 16 << 20   # blocks kept per command; beyond that the oldest are dropped
# Where the backend copies every read into a new object (lldb), a block above this is read in
# pieces of it into one buffer the prefetch reuses: read whole, each block was a fresh allocation
# of 4 MiB (1024 CPUs) that the C allocator maps and unmaps and lldb copies into, page fault by
# page fault (lldb-19: 2.2 s for uma-zones instead of 0.5 s).  gdb hands over its own buffer.
PIECE_BYTES = 1 << 20

# A block: its bytes as ``Strided`` records one page apart, and the CPUs whose page is unreadable.
_Block = namedtuple("_Block", "pages missing")


@probe
def pcpu_base_is_pointer(target):
    """amd64 13.0 made ``__pcpu`` a ``struct pcpu *`` and zpcpu pointers offsets from it."""
    try:
        return target.symbol_type("__pcpu").kind == PTR
    except SymbolNotFound:
        return False


class Zpcpu:
    """Per-CPU allocations of one kernel for one command run: address math and cached blocks.

    :param cpus: the ``CpuInfo`` of this run (read here when not given); ``mp_maxid`` sets the
        block size.
    """

    def __init__(self, target, cpus=None, max_block_bytes=MAX_BLOCK_BYTES):
        self.target = target
        self.mask = pointer_mask(target)
        self.offset = 0
        if pcpu_base_is_pointer(target):
            self.offset = read_pointer(target, target.symbol_address("__pcpu"), "__pcpu")
        self.ncopies = (cpus or read_cpu_info(target)).maxid + 1
        self.max_blocks = max(1, max_block_bytes // (self.ncopies * UMA_PCPU_ALLOC_SIZE))
        self._blocks = {}     # address of CPU 0's page -> _Block, least recently used first
        self._last_runs = (None, ())    # (cpus, cpu_runs(cpus)) of the last copies()
        self._scratch = None     # the buffer large prefetched blocks are read into

    def address(self, base, cpu):
        """Address of CPU ``cpu``'s copy of the per-CPU allocation ``base``."""
        return (self.offset + base + cpu * UMA_PCPU_ALLOC_SIZE) & self.mask

    def copies(self, base, size, cpus, absent_ok=(), what="per-CPU data"):
        """The ``size``-byte object at ``base`` on each CPU of ``cpus`` (ascending ids), as
        ``Records`` whose columns list one value per CPU.

        :param absent_ok: CPU ids whose copy may be unmapped (ids missing from ``all_cpus``
            that libkvm still visits because it loops to ``mp_ncpus``); unreadable, they read
            as 0, which leaves sums and ORs as if they had been skipped.
        :raises MemoryFault: naming ``what`` and the first other CPU whose copy is unreadable.
        """
        if cpus is not self._last_runs[0]:     # one CPU set per walk: hashed once, not per object
            self._last_runs = (cpus, cpu_runs(cpus))
        runs = self._last_runs[1]
        first = self.address(base, 0)
        start = first % UMA_PCPU_ALLOC_SIZE
        if start + size > UMA_PCPU_ALLOC_SIZE:     # never for UMA items; a corrupt pointer
            return self._read_each(base, size, cpus, absent_ok, what).records(runs)
        block = self._block(first - start)
        for cpu in cpus if block.missing else ():
            if cpu in block.missing and cpu not in absent_ok:
                raise MemoryFault(self.address(base, cpu), size, f"{what} (CPU {cpu})")
        return block.pages.records(runs, start)

    def counter_fetch(self, base, cpus, absent_ok=(), what="counter(9)"):
        """Sum a ``counter_u64_t`` over ``cpus`` (see ``copies`` for ``absent_ok``)."""
        return self.copies(base, 8, cpus, absent_ok, what).sum(0, 8)

    def prefetch(self, bases, cpus, absent_ok, size, sums, ors=()):
        """Total the ``size``-byte objects at ``bases`` over ``cpus`` block by block, each block
        read once and dropped: ``{base: (sums, ors)}``, per object the sums of its members
        ``sums`` and the ORs of its members ``ors`` (each an ``(offset, size, signed)``).

        The malloc types of one page are not walked together, so object by object a walk
        returns to each block several times: kept, the blocks were most of a command's memory
        (1 MiB each on 256 CPUs); dropped, they were read again.  An object this cannot total
        (it crosses into the next page, or a CPU's copy is unreadable) is left out, for the
        object-by-object path (``copies``) to say why.
        """
        return self._by_block(bases, size, cpus, absent_ok,
                              lambda pages, runs, starts:
                              pages.object_totals(runs, starts, sums, ors))

    def counter_totals(self, bases, cpus, absent_ok=()):
        """``{base: sum}`` of the counter(9)s at ``bases`` over ``cpus``, block by block as
        ``prefetch`` does (one zone's counters lie in different per-CPU pages: all zones'
        ``uz_allocs`` together, then all ``uz_frees``...), one number per counter.  A counter
        left out is for ``counter_fetch`` to name."""
        return self._by_block(bases, 8, cpus, absent_ok,
                              lambda pages, runs, starts:
                              pages.member_totals(runs, starts, COUNTER[0]))

    def _by_block(self, bases, size, cpus, absent_ok, totals):
        """``{base: total}`` of the objects at ``bases``, ``totals(pages, runs, starts)``
        giving those of the objects at ``starts`` (offsets in the page) of one block."""
        runs = cpu_runs(cpus)
        by_block, offset, mask, page = {}, self.offset, self.mask, UMA_PCPU_ALLOC_SIZE
        for base in bases:
            first = (offset + base) & mask        # self.address(base, 0), a few thousand times
            start = first % page
            if start + size <= page:
                by_block.setdefault(first - start, []).append((base, start))
        done = {}
        for addr, members in by_block.items():
            done.update(self._block_totals(addr, members, cpus, runs, absent_ok, totals))
        return done

    def _block_totals(self, addr, members, cpus, runs, absent_ok, totals):
        """``(base, total)`` of the objects ``members`` (``(base, offset in page)``) of the
        block at ``addr``; none when a CPU's page is unreadable.  The block is gone on return,
        before the next one is read, so the allocator hands its memory to the next read (a MiB
        kept while the next is read made each read fault in fresh pages: half again the read
        time)."""
        block = self._read_block(addr, reuse=True)
        if block.missing and any(cpu in block.missing and cpu not in absent_ok for cpu in cpus):
            return ()
        return zip([base for base, _ in members],
                   totals(block.pages, runs, [start for _, start in members]))

    def _block(self, addr):
        """The block at ``addr``, kept for the command (up to ``max_blocks``, least recently
        used dropped first)."""
        block = self._blocks.pop(addr, None)
        if block is None:
            block = self._read_block(addr)
            if len(self._blocks) >= self.max_blocks:
                del self._blocks[next(iter(self._blocks))]
        self._blocks[addr] = block          # most recently used last
        return block

    def _read_block(self, addr, reuse=False):
        """Pages ``addr`` .. ``addr + mp_maxid`` pages in one read; page by page where part of
        the range is unreadable (absent CPUs), the unreadable ones zero and listed.

        :param reuse: the block is dropped before the next is read (``prefetch``): a large one
            is read in pieces into the buffer of the previous one (``PIECE_BYTES``).
        """
        page, size = UMA_PCPU_ALLOC_SIZE, self.ncopies * UMA_PCPU_ALLOC_SIZE
        try:
            if reuse and size > PIECE_BYTES and not getattr(self.target, "reads_in_place", False):
                data, missing = self._read_pieces(addr, size), frozenset()
            else:
                data, missing = read_buffer(self.target, addr, size), frozenset()
        except MemoryFault:
            parts, missing = [], set()
            for cpu in range(self.ncopies):
                try:
                    parts.append(self.target.read((addr + cpu * page) & self.mask, page))
                except MemoryFault:
                    parts.append(bytes(page))
                    missing.add(cpu)
            data, missing = b"".join(parts), frozenset(missing)
        return _Block(Strided(data, page, self.target.byteorder, group=self.ncopies), missing)

    def _read_pieces(self, addr, size):
        """``size`` bytes at ``addr`` read ``PIECE_BYTES`` at a time into the reused buffer."""
        if self._scratch is None or len(self._scratch) != size:
            self._scratch = bytearray(size)
        data = self._scratch
        for at in range(0, size, PIECE_BYTES):
            data[at:at + PIECE_BYTES] = read_buffer(self.target, addr + at,
                                                    min(PIECE_BYTES, size - at))
        return data

    def _read_each(self, base, size, cpus, absent_ok, what):
        """Copies read one CPU at a time, as ``Strided`` records ``size`` apart by CPU id."""
        data = bytearray(self.ncopies * size)
        for cpu in cpus:
            addr = self.address(base, cpu)
            try:
                data[cpu * size:(cpu + 1) * size] = self.target.read(addr, size)
            except MemoryFault as e:
                if cpu not in absent_ok:
                    raise MemoryFault(addr, size, f"{what} (CPU {cpu})") from e
        return Strided(bytes(data), size, self.target.byteorder)
