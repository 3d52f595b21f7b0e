"""Integer columns of equal-stride records in one buffer, sliced at C speed.

A zone's ``uz_cpu[0..mp_maxid]``, a malloc type's ``mti_stats[MAXCPU]`` and the per-CPU copies
of a zpcpu allocation (one page apart) are all "the same member every ``stride`` bytes".  With
256 CPUs and thousands of zones, unpacking each CPU's member in Python costs seconds; a
``memoryview`` cast to the member's integer type and an extended slice (``[i::stride // size]``)
hands the same values to ``sum``/``min``/``max`` without a Python step per CPU.
"""

import struct
import sys
from array import array
from itertools import chain

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
    """

    def __init__(self, data, stride, byteorder):
        self.data = data
        self.stride = stride
        self.byteorder = byteorder
        self._views = {}

    def records(self, runs, start=0):
        """The records of ``runs`` (e.g. the CPUs a view sums), at ``start`` bytes into each."""
        return Records(self, start, runs)

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
    """Some records of a ``Strided`` buffer, each read from ``start``: members as columns."""

    __slots__ = ("_strided", "_start", "_runs")

    def __init__(self, strided, start, runs):
        self._strided, self._start, self._runs = strided, start, runs

    def column(self, offset, size, signed=False):
        """The integer member at ``offset`` (``size`` bytes) of each record, in record order."""
        return self._strided.column(self._start + offset, size, signed, self._runs)
