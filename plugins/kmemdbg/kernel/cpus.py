"""CPUs of the dumped kernel: ``mp_maxid``, ``mp_ncpus``, ``mp_maxcpus``, ``all_cpus``.

Mirrors ``sys/sys/smp.h``.  CPU ids may be sparse (``mp_maxid`` is the highest present id, not
``mp_ncpus - 1``); ``all_cpus`` says which ids exist.  MAXCPU is taken from the declared bound
of ``cpuid_to_pcpu[]`` in the debug info, which is what makes an absurd ``mp_maxid`` detectable.
"""

from dataclasses import dataclass
from typing import FrozenSet, Tuple

from ..access import probe
from ..access.errors import CorruptionError, SymbolNotFound
from ..access.layout import ARRAY, STRUCT
from .memory import read_symbol_int

CPUMASK, CPUSET = "cpumask", "cpuset"


@dataclass(frozen=True)
class CpuInfo:
    """CPU facts read once per command.

    :param maxid: ``mp_maxid``.
    :param ncpus: ``mp_ncpus``.
    :param maxcpus: ``mp_maxcpus`` (MAXCPU of the kernel build).
    :param present: ids set in ``all_cpus`` that are ``<= maxid``, ascending; every id
        ``0..maxid`` when ``all_cpus`` breaks an invariant (see ``warnings``).
    :param unsure: ids in ``present`` that ``all_cpus`` does not list: their per-CPU copies
        may be unmapped, which is then not an error.
    :param warnings: the broken invariants, naming ``all_cpus``/``mp_ncpus``/``mp_maxid``.
    """

    maxid: int
    ncpus: int
    maxcpus: int
    present: Tuple[int, ...]
    unsure: FrozenSet[int] = frozenset()
    warnings: Tuple[str, ...] = ()


@probe
def cpu_set_kind(target):
    """``all_cpus`` is a 32-bit ``cpumask_t`` up to 8.x and a ``cpuset_t`` bitset from 9.x on.

    Decided from the variable's declared type, not from the release.
    """
    return CPUSET if target.symbol_type("all_cpus").kind in (STRUCT, ARRAY) else CPUMASK


def maxcpu_bound(target):
    """MAXCPU from the DWARF bound of ``cpuid_to_pcpu[]``, else the value of ``mp_maxcpus``."""
    try:
        t = target.symbol_type("cpuid_to_pcpu")
        if t.kind == ARRAY and t.length:
            return t.length
    except SymbolNotFound:
        pass
    return read_symbol_int(target, "mp_maxcpus")


def _cpuset_bits(target, addr, t):
    """Set bits of a ``cpuset_t`` (``struct _cpuset { long __bits[N]; }``), word by word."""
    data = target.read(addr, t.size)
    word = target.pointer_size
    if t.kind == STRUCT and t.name:
        arrays = [f for f in target.layout(t.name).fields.values() if f.type.kind == ARRAY]
        if arrays and arrays[0].type.element is not None:
            word = arrays[0].type.element.size or word
    bits = []
    for w in range(len(data) // word):
        value = int.from_bytes(data[w * word:(w + 1) * word], target.byteorder)
        bits.extend(w * word * 8 + b for b in range(word * 8) if value >> b & 1)
    return bits


def read_cpu_info(target):
    """Read and sanity-check the CPU globals.

    :raises CorruptionError: ``mp_maxid`` beyond MAXCPU, or ``mp_ncpus`` out of range.
    """
    maxid = read_symbol_int(target, "mp_maxid")
    ncpus = read_symbol_int(target, "mp_ncpus")
    bound = maxcpu_bound(target)
    try:
        maxcpus = read_symbol_int(target, "mp_maxcpus")
    except SymbolNotFound:
        maxcpus = bound
    if not 0 <= maxid < bound:
        raise CorruptionError(f"mp_maxid = {maxid} is not below MAXCPU {bound} "
                              "(the bound of cpuid_to_pcpu[]); corrupt or not a kernel core")
    if not 1 <= ncpus <= maxid + 1:
        raise CorruptionError(f"mp_ncpus = {ncpus} does not fit mp_maxid = {maxid}")
    try:
        addr = target.symbol_address("all_cpus")
        t = target.symbol_type("all_cpus")
    except SymbolNotFound:
        return CpuInfo(maxid, ncpus, maxcpus, tuple(range(maxid + 1)))
    if cpu_set_kind(target) == CPUSET:
        bits = _cpuset_bits(target, addr, t)
    else:
        mask = int.from_bytes(target.read(addr, t.size), target.byteorder)
        bits = [b for b in range(t.size * 8) if mask >> b & 1]
    present = tuple(b for b in bits if b <= maxid)
    broken = _cpu_set_problems(bits, present, maxid, ncpus)
    if not broken:
        return CpuInfo(maxid, ncpus, maxcpus, present)
    # Absent CPUs' slots stay empty in a real kernel, so every id up to mp_maxid gives the
    # right sums where a damaged set would silently drop (or add) CPUs.
    everyone = tuple(range(maxid + 1))
    warning = (f"all_cpus at {addr:#x} is inconsistent ({'; '.join(broken)}): counting every "
               f"CPU 0-{maxid} instead")
    return CpuInfo(maxid, ncpus, maxcpus, everyone, frozenset(everyone) - set(present),
                   (warning,))


def _cpu_set_problems(bits, present, maxid, ncpus):
    """The invariants every kernel's ``all_cpus`` keeps (``sys/kern/subr_smp.c``): the boot CPU
    0 is in it, ``mp_ncpus`` is its population and ``mp_maxid`` its highest id."""
    problems = []
    if 0 not in present:
        problems.append("CPU 0 is missing")
    if len(bits) != ncpus:
        problems.append(f"it holds {len(bits)} CPU(s), mp_ncpus = {ncpus}")
    if maxid not in present:
        problems.append(f"mp_maxid = {maxid} is not in it")
    above = [b for b in bits if b > maxid]
    if above:
        problems.append(f"CPU(s) {format_cpu_ids(above)} above mp_maxid = {maxid}")
    return problems


def format_cpu_ids(ids):
    """``0-2,4``: compact ranges, for context lines."""
    out, ids = [], sorted(ids)
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(out)
