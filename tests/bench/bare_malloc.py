"""The bench's *bare* malloc-types: the least Python that prints the same table, as a bound.

Issue 17 asks for every command within 3x of its read floor in gdb.  How close any Python walk
can come depends on the host (how fast the debugger's embedded Python runs against its memory
reads), so the bench measures, next to ``malloc-types``, this walk of the same list: the
``kmemstatistics`` list read a page at a time into a plain dict, each type's members unpacked
with one ``struct`` call, its name found in its page, the per-CPU statistics of each
UMA_PCPU_ALLOC_SIZE block summed with two numpy passes, rows formatted with f-strings.  No
cycle, alignment, version or plausibility check (only a cap on the list's length), no warning,
no table engine: whatever kmemdbg adds for a damaged dump is left out, so its time over the
floor is what the walk itself costs on this host.  ``matches`` compares its numbers with the
command's JSON, so a bound that computes something else is not reported as one.

Only the layout the 256-CPU image has (statistics embedded in ``ks_mti``, 13 and later) is
walked; for another, ``BareMalloc`` says why not.  The layouts, ``__pcpu`` and ``kmemzones[]``
are read once, outside the timed walk, through the plugin's own ``Target``.
"""

import struct

import numpy as np

PAGE = 4096
TYPE_LIMIT = 100000      # no list is longer; a damaged image must not make the bench spin


class BareMalloc:
    """``walk()`` returns the table; ``rows()`` the numbers, for ``matches``.

    :param target: the plugin's ``Target`` for the image (layouts and set-up reads).
    :param read: the debugger's own read, ``read(addr, size) -> bytes-like``.
    """

    def __init__(self, target, read):
        from kmemdbg.alloc import probes
        from kmemdbg.alloc.malloc import read_zone_sizes
        from kmemdbg.kernel.cpus import read_cpu_info
        from kmemdbg.kernel.zpcpu import Zpcpu

        self.read = read
        self.why_not = None
        if probes.malloc_stats_kind(target) != probes.STATS_EMBEDDED_PCPU:
            self.why_not = "statistics not embedded in ks_mti (before 13): not walked"
            return
        mt = target.layout("struct malloc_type")
        mti = target.layout(mt.field("ks_mti").type.name or "struct malloc_type_internal")
        stats = target.layout("struct malloc_type_stats")
        ptr = "<Q" if target.pointer_size == 8 else "<I"
        members = sorted([(mt.offset("ks_next"), "next"), (mt.offset("ks_shortdesc"), "name"),
                          (mt.offset("ks_mti") + mti.offset("mti_stats"), "stats")])
        fmt, at = "<", 0
        for offset, _ in members:
            fmt += f"{offset - at}x{ptr[1]}"
            at = offset + target.pointer_size
        self.unpack = struct.Struct(fmt).unpack_from
        self.span = at
        self.order = [name for _, name in members]
        self.pointer = struct.Struct(ptr).unpack_from
        self.pointer_size = target.pointer_size
        self.head = target.symbol_address("kmemstatistics")
        self.columns = [stats.offset(m) // 8 for m in ("mts_memalloced", "mts_memfreed",
                                                       "mts_numallocs", "mts_numfrees",
                                                       "mts_size")]
        zpcpu = Zpcpu(target, read_cpu_info(target))
        self.offset, self.mask, self.copies = zpcpu.offset, zpcpu.mask, zpcpu.ncopies
        self.zone_sizes = read_zone_sizes(target)

    def rows(self):
        """``[(name, in use, memory use, requests, (sizes))]`` as the command lists them: in
        vmstat's order (the list's, reversed), types never used left out."""
        read, unpack, span = self.read, self.unpack, self.span
        pages, types = {}, []
        at_next, at_name, at_stats = (self.order.index(m) for m in ("next", "name", "stats"))
        addr, = self.pointer(bytes(read(self.head, self.pointer_size)), 0)
        while addr and len(types) < TYPE_LIMIT:
            start = addr % PAGE
            if start + span <= PAGE:
                page = pages.get(addr // PAGE)
                if page is None:
                    page = pages[addr // PAGE] = bytes(read(addr - start, PAGE))
                values = unpack(page, start)
            else:
                values = unpack(bytes(read(addr, span)), 0)
            name = values[at_name]
            start = name % PAGE
            page = pages.get(name // PAGE)
            if page is None:
                page = pages[name // PAGE] = bytes(read(name - start, PAGE))
            end = page.find(b"\0", start, start + 31)
            types.append((page[start:end if end >= 0 else start + 31].decode("latin-1"),
                          values[at_stats]))
            addr = values[at_next]
        blocks = {}
        for i, (_, base) in enumerate(types):
            first = (self.offset + base) & self.mask
            blocks.setdefault(first - first % PAGE, []).append((i, first % PAGE // 8))
        sums = [None] * len(types)
        allocated, freed, allocs, frees, size = self.columns
        for block, members in blocks.items():
            words = np.frombuffer(read(block, self.copies * PAGE), np.uint64)
            words = words.reshape(self.copies, PAGE // 8)
            total = words.sum(axis=0).tolist()
            ored = np.bitwise_or.reduce(words, axis=0).tolist()
            for i, w in members:
                sums[i] = (total[w + allocated], total[w + freed], total[w + allocs],
                           total[w + frees], ored[w + size])
        rows, sizes = [], {}
        for (name, _), (allocated, freed, allocs, frees, mask) in zip(reversed(types),
                                                                      reversed(sums)):
            if allocs or allocs != frees:
                if mask not in sizes:
                    sizes[mask] = tuple(self.zone_sizes[bit] for bit in range(mask.bit_length())
                                        if mask >> bit & 1)
                rows.append((name, allocs - frees, allocated - freed, allocs, sizes[mask]))
        return rows

    def walk(self):
        """The table, as text."""
        cells = {}
        lines = []
        for name, in_use, memory, requests, sizes in self.rows():
            if sizes not in cells:
                cells[sizes] = ",".join(map(str, sizes))
            lines.append(f"{name:<16} {in_use:>6} {(memory + 1023) // 1024:>6}K {requests:>9}  "
                         f"{cells[sizes]}")
        return "Type InUse MemUse Requests Size(s)\n" + "\n".join(lines)

    def matches(self, document):
        """None when ``rows()`` equals the ``malloc-types --format json`` ``document``, else
        the first difference."""
        mine = self.rows()
        theirs = [(m["type"], m["in-use"], m["memory-use"], m["requests"], tuple(m["size"]))
                  for m in document["malloc-statistics"]["memory"]]
        if len(mine) != len(theirs):
            return f"{len(mine)} types walked, the command shows {len(theirs)}"
        for a, b in zip(mine, theirs):
            if a != b:
                return f"bare {a} != command {b}"
        return None
