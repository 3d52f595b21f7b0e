"""Integer columns of equal-stride records in one buffer, sliced at C speed.

A zone's ``uz_cpu[0..mp_maxid]``, a malloc type's ``mti_stats[MAXCPU]`` and the per-CPU copies
of a zpcpu allocation (one page apart) are all "the same member every ``stride`` bytes".  With
256 CPUs and thousands of zones, unpacking each CPU's member in Python costs seconds; a
``memoryview`` cast to the member's integer type and an extended slice (``[i::stride // size]``)
hands the same values to ``sum``/``min``/``max`` without a Python step per CPU.

Where one buffer holds many such objects (a zpcpu block: hundreds of counters or malloc
statistics per page; a batch of zones' ``uz_cpu[]``), their totals are asked of a ``_Totals`` of
the whole buffer (``Records.sum``/``bit_or``/``min``/``any_greater``, ``Strided.per_group`` for
every group, ``Strided.object_totals`` for every object of a block): with numpy importable in
the debugger's Python it reduces the words of all of them over the selected records in a few
array operations, and each member's total becomes a list lookup; without numpy (or for a buffer
not laid out as whole groups of whole words) the same numbers come from the columns, one member
at a time.  Sums are exact, as Python's are: 8-byte words are summed in 64 bits only where no
sum can wrap, else as 32-bit halves joined in Python.
"""

import struct
import sys
from array import array
from functools import reduce
from itertools import chain
from operator import gt, or_

try:
    import numpy
except ImportError:       # optional: the same totals come from the columns, one by one
    numpy = None

_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}   # signed codes; upper case is unsigned


def cpu_runs(cpus):
    """``(0, 1, 2, 5, 6)`` -> ``((0, 2), (5, 6))``: contiguous runs of ascending CPU ids."""
    runs = []
    for cpu in cpus:
        if runs and cpu == runs[-1][1] + 1:
            runs[-1][1] = cpu
        else:
            runs.append([cpu, cpu])
    return tuple((first, last) for first, last in runs)


class Strided:
    """``data`` holding records ``stride`` bytes apart (record *i* at ``i * stride``).

    :param byteorder: the target's; the host-order views are byteswapped when it differs.
    :param group: records per group when ``data`` holds several objects' records one after the
        other (group *g*'s record *i* is record ``g * group + i``); given, ``Records`` totals
        are reduced for the whole buffer at once (see the module docstring).
    """

    def __init__(self, data, stride, byteorder, group=None):
        self.data = data
        self.stride = stride
        self.byteorder = byteorder
        self.group = group
        self._views = {}
        self._totals = {}     # runs -> _Totals

    def records(self, runs, start=0, group=0):
        """The records of ``runs`` (e.g. the CPUs a view sums) of group ``group``, at ``start``
        bytes into each."""
        return Records(self, start, runs, group)

    def totals(self, runs):
        """The ``_Totals`` of ``runs`` (None without numpy, or when ``data`` is not whole
        groups of whole records)."""
        totals = self._totals.get(runs)
        if totals is None and runs not in self._totals:
            totals = self._totals[runs] = _Totals.of(self, runs)
        return totals

    def per_group(self, op, runs, column, other=None):
        """``Records.sum`` ("sum"), ``min`` ("min") or ``any_greater`` ("gt", with ``other``) of
        the member ``column`` (``(offset, size, signed)``) for the records ``runs`` of every
        group of a grouped buffer, in group order: one call for a batch of zones (with numpy,
        the list the totals already hold)."""
        totals = self.totals(runs)
        values = None if totals is None else totals.per_group(op, column, other)
        if values is not None:
            return values
        groups = [self.records(runs, group=g) for g in range(len(self.data) // (self.group *
                                                                               self.stride))]
        if op == "gt":
            return [r.any_greater(column, other) for r in groups]
        return [getattr(r, op)(*column) for r in groups]

    def object_totals(self, runs, starts, sums, ors=()):
        """Group 0's totals over the records ``runs`` of the objects at byte ``starts`` of the
        record, one ``(sums, ors)`` per object: the sums (exact) of its members ``sums`` and the
        ORs of its members ``ors``, lists in member order (each member an ``(offset, size,
        signed)``).  For every object of one zpcpu block, known beforehand (with numpy, only
        their words are reduced, each once, and the objects checked once for both)."""
        totals = self.totals(runs) if starts else None
        values = None if totals is None else totals.of_objects(starts, sums, ors)
        if values is not None:
            summed, ored = values
            return list(zip(summed.tolist(), ored.tolist() if ors else [[]] * len(starts)))
        return [([sum(self.column(start + offset, size, signed, runs))
                  for offset, size, signed in sums],
                 [reduce(or_, self.column(start + offset, size, signed, runs), 0)
                  for offset, size, signed in ors]) for start in starts]

    def member_totals(self, runs, starts, column):
        """``object_totals`` of one summed member: a flat list, one sum per object (the
        counter(9)s of a block, hundreds of them: no list per counter)."""
        totals = self.totals(runs) if starts else None
        values = None if totals is None else totals.of_objects(starts, (column,))
        if values is not None:
            return values[0][:, 0].tolist()
        return [sums[0] for sums, _ in self.object_totals(runs, starts, (column,))]

    def column(self, offset, size, signed, runs):
        """The integer member at ``offset`` (``size`` bytes) of the records in ``runs``.

        :param runs: ``cpu_runs()`` of the record indexes wanted, in that order.
        :returns: a sequence of ints (no Python work per element when the member is aligned).
        """
        if offset % size or self.stride % size:
            return self._unpacked(offset, size, signed, runs)
        view = self._views.get((size, signed))
        if view is None:
            view = self._view(size, signed)
        step = self.stride // size
        first = offset // size
        if len(runs) == 1:
            (a, b), = runs
            return view[first + a * step:first + b * step + 1:step]
        return list(chain.from_iterable(view[first + a * step:first + b * step + 1:step]
                                        for a, b in runs))

    def _view(self, size, signed):
        """The buffer as host-order integers of ``size`` bytes (cast, or swapped copy)."""
        code = _CODES[size] if signed else _CODES[size].upper()
        usable = len(self.data) - len(self.data) % size
        if self.byteorder == sys.byteorder:
            view = memoryview(self.data)[:usable].cast(code)
        else:
            view = array(code)
            view.frombytes(memoryview(self.data)[:usable])
            view.byteswap()
        self._views[size, signed] = view
        return view

    def _unpacked(self, offset, size, signed, runs):
        """A member not aligned to its size (only corrupt pointers produce that): one by one."""
        code = _CODES[size] if signed else _CODES[size].upper()
        unpacker = struct.Struct(("<" if self.byteorder == "little" else ">") + code)
        return [unpacker.unpack_from(self.data, offset + i * self.stride)[0]
                for a, b in runs for i in range(a, b + 1)]


class Records:
    """Some records of a ``Strided`` buffer, each read from ``start``: members as columns, and
    their totals over the records."""

    __slots__ = ("_strided", "_start", "_runs", "_group")

    def __init__(self, strided, start, runs, group=0):
        self._strided, self._start, self._runs, self._group = strided, start, runs, group

    def column(self, offset, size, signed=False):
        """The integer member at ``offset`` (``size`` bytes) of each record, in record order."""
        runs = self._runs
        if self._group:
            shift = self._group * self._strided.group
            runs = tuple((a + shift, b + shift) for a, b in runs)
        return self._strided.column(self._start + offset, size, signed, runs)

    def _total(self, op, column, other=None):
        """``op`` of ``column`` (offset from ``start``) from the buffer's totals, or None."""
        totals = self._strided.totals(self._runs)
        if totals is None:
            return None
        offset, size, signed = column
        if other is not None:
            other = (other[0] + self._start,) + tuple(other[1:])
        values = totals.per_group(op, (offset + self._start, size, signed), other)
        return None if values is None else values[self._group]

    def sum(self, offset, size, signed=False):
        """The member summed over the records (exactly)."""
        total = self._total("sum", (offset, size, signed))
        return sum(self.column(offset, size, signed)) if total is None else total

    def sums(self, columns):
        """``sum`` of each member of ``columns`` (``(offset, size, signed)`` each), in order: the
        statistics of one object of a zpcpu block asked together."""
        totals = self._strided.totals(self._runs)
        if totals is not None:
            start, group = self._start, self._group
            values = [totals.per_group("sum", (offset + start, size, signed))
                      for offset, size, signed in columns]
            if None not in values:
                return [v[group] for v in values]
        return [sum(self.column(*column)) for column in columns]

    def bit_or(self, offset, size, signed=False):
        """The member ORed over the records (0 for none)."""
        total = self._total("or", (offset, size, signed))
        return reduce(or_, self.column(offset, size, signed), 0) if total is None else total

    def min(self, offset, size, signed=False):
        """The smallest value of the member, None for no records."""
        if not self._runs:
            return None
        total = self._total("min", (offset, size, signed))
        return min(self.column(offset, size, signed)) if total is None else total

    def any_greater(self, column, other):
        """Whether the member ``column`` exceeds the member ``other`` in any record (each an
        ``(offset, size, signed)``)."""
        total = self._total("gt", column, other)
        if total is None:
            return any(map(gt, self.column(*column), self.column(*other)))
        return total


class _Totals:
    """Reductions of ``size``-byte words of a ``Strided`` buffer's groups over the records
    ``runs``, with numpy, each computed once and kept as lists.

    ``per_group(op, column)[g]``: the sum (exact), OR or minimum of the member ``column``
    (a whole word of the record) of group ``g``.  One group (a zpcpu block, whose one
    record holds hundreds of objects) is reduced for every word at once; many groups (a batch
    of zones, a few members each) for the word asked, in every group at once.  ``of_objects``
    reduces the members of every object of group 0 (a block's objects, known beforehand).
    """

    def __init__(self, strided, rows, groups):
        # The buffer's facts, not the Strided itself: it keeps this object, and a cycle would
        # keep each MiB block alive until the garbage collector ran (every block read into
        # fresh memory, and a walk's blocks piling up).
        self._data, self._byteorder = strided.data, strided.byteorder
        self._group, self._stride = strided.group, strided.stride
        self._rows, self._groups = rows, groups
        self._done = {}

    @classmethod
    def of(cls, strided, runs):
        """The totals of ``runs``, or None when numpy is absent, no record is selected, or the
        buffer is not whole groups of whole 8-byte-aligned records."""
        count, stride = strided.group, strided.stride
        if numpy is None or not count or not runs or stride % 8 or runs[-1][1] >= count:
            return None
        groups = len(strided.data) // (count * stride)
        if not groups or len(strided.data) % (count * stride):
            return None
        if len(runs) == 1:
            (a, b), = runs
            rows = slice(a, b + 1)
        else:
            rows = numpy.concatenate([numpy.arange(a, b + 1) for a, b in runs])
        return cls(strided, rows, groups)

    def _words(self, size, signed):
        """``(groups, records, words)`` array of the buffer, the selected records only."""
        order = "<" if self._byteorder == "little" else ">"
        words = numpy.frombuffer(self._data, dtype=f"{order}{'i' if signed else 'u'}{size}")
        return words.reshape(self._groups, self._group, self._stride // size)[:, self._rows, :]

    def per_group(self, op, column, other=None):
        """``op`` ("sum", "or", "min"; "gt": whether ``column`` exceeds ``other`` in any record)
        of the member ``column`` for every group, or None when the member is not a whole word
        of the record (then the columns answer)."""
        offset, size, signed = column
        word = self._word(offset, size)
        if word is None:
            return None
        if op == "gt":
            other_word = self._word(other[0], size) if tuple(other[1:]) == (size, signed) else None
            return None if other_word is None else self._greater(word, other_word, size, signed)
        if self._groups == 1:     # every word of the one group at once
            key = (op, size, signed)
            done = self._done.get(key)
            if done is None:
                done = self._done[key] = self._every_word(op, size, signed).tolist()
            return [done[word]]
        key = (op, word, size, signed)     # this word of every group at once
        done = self._done.get(key)
        if done is None:
            done = self._done[key] = self._compute(op, word, size, signed)
        return done

    def _word(self, offset, size):
        """Which ``size``-byte word of the record the member at ``offset`` is, or None."""
        if offset % size or offset + size > self._stride:
            return None
        return offset // size

    def _compute(self, op, words, size, signed):
        """``op`` of ``words`` (a slice or one index) over the records, as lists."""
        return self._reduce(op, self._words(size, signed)[:, :, words], size, signed).tolist()

    def _every_word(self, op, size, signed):
        """``op`` of every word of group 0 over the records, an array (kept): where a block's
        objects use a good part of it, one pass over all of it costs less than gathering their
        words first."""
        key = ("every", op, size, signed)
        done = self._done.get(key)
        if done is None:
            done = self._done[key] = self._reduce(op, self._words(size, signed)[:1], size,
                                                  signed)[0]
        return done

    @classmethod
    def _reduce(cls, op, words, size, signed):
        """``op`` ("sum", exact; "or"; "min") of ``words`` over the records (axis 1), an array."""
        if op == "or":
            return numpy.bitwise_or.reduce(words, axis=1)
        if op == "min":
            return words.min(axis=1)
        if size < 8:
            return _sum(words, signed)
        return cls._sums8(words, signed)

    def of_objects(self, starts, sums, ors=()):
        """Group 0's sums of the members ``sums`` and ORs of the members ``ors`` of the objects
        at ``starts``: two arrays with a row per object (the second None without ``ors``), or
        None unless every member is a whole word and all have one size and signedness."""
        columns = tuple(sums) + tuple(ors)
        size, signed = columns[0][1:]
        if any(tuple(column[1:]) != (size, signed) or column[0] % size or column[0] < 0
               for column in columns) or min(starts) < 0 or \
                max(starts) + max(column[0] for column in columns) + size > self._stride:
            return None
        first = numpy.array(starts, dtype=numpy.int64)
        if int(numpy.bitwise_or.reduce(first)) % size:     # a start not on a word
            return None
        first //= size
        return (self._picked("sum", first, sums, size, signed),
                self._picked("or", first, ors, size, signed) if ors else None)

    def _picked(self, op, first, columns, size, signed):
        """``op`` of the members ``columns`` of the objects whose first words are ``first``."""
        words = first[:, None] + numpy.array([column[0] // size for column in columns],
                                             dtype=numpy.int64)
        if words.size * 4 >= self._stride // size:
            # a good part of the record (malloc statistics): every word's total, picked
            return self._every_word(op, size, signed)[words]
        # a few words of it (counter(9)s, a size mask per object): gathered, then reduced
        picked = self._words(size, signed)[:1].take(words, axis=2)
        return self._reduce(op, picked, size, signed)[0]

    @staticmethod
    def _sums8(words, signed):
        """Exact sums over the records (axis 1) of 8-byte ``words``: in 64 bits where no sum can
        wrap (no word is above the 64-bit limit divided by the number of records), else with
        the low and the high 32-bit halves summed apart (neither wraps below 2**31 records) and
        joined as Python ints (an array of objects)."""
        dtype = "i8" if signed else "u8"
        bound = ((1 << (63 if signed else 64)) - 1) // max(1, words.shape[1])
        if words.max(initial=0) <= bound and (not signed or words.min(initial=0) >= -bound):
            return words.sum(axis=1, dtype=dtype)
        low = (words & 0xFFFFFFFF).sum(axis=1, dtype=dtype)
        high = (words >> 32).sum(axis=1, dtype=dtype)     # arithmetic shift when signed
        return (high.astype(object) << 32) + low.astype(object)

    def _greater(self, a, b, size, signed):
        """Per group: whether word ``a`` exceeds word ``b`` in any selected record."""
        key = ("gt", a, b, size, signed)
        done = self._done.get(key)
        if done is None:
            words = self._words(size, signed)
            done = self._done[key] = (words[:, :, a] > words[:, :, b]).any(axis=1).tolist()
        return done


def _sum(words, signed):
    """``words`` (groups, records[, words]) summed over the records in 64 bits: exact for
    4-byte and smaller words below 2**31 records."""
    return words.sum(axis=1, dtype="i8" if signed else "u8")

