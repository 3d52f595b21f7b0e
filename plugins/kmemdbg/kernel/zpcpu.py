"""Per-CPU UMA memory (zpcpu) and counter(9) sums.

Mirrors ``zpcpu_get_cpu()`` of ``sys/sys/pcpu.h`` and libkvm's ``kvm_counter_u64_fetch``.
The copy of a per-CPU allocation for CPU *i* lives at ``base + i * UMA_PCPU_ALLOC_SIZE``
(``PAGE_SIZE``; on i386 and amd64 also ``sizeof(struct pcpu)``).  On amd64 from 13.0 the
stored base is an offset from the *value* of the pointer variable ``__pcpu`` (before 13
``__pcpu`` is the array of ``struct pcpu`` itself and bases are absolute); which case applies
is read from ``__pcpu``'s declared type.
"""

from ..target import target_cache
from ..target.errors import MemoryFault, SymbolNotFound
from ..target.layout import PTR
from .memory import pointer_mask, read_pointer

UMA_PCPU_ALLOC_SIZE = 4096  # PAGE_SIZE of i386 and amd64, the architectures kmemdbg reads


def pcpu_base_is_pointer(target):
    """amd64 13.0 made ``__pcpu`` a ``struct pcpu *`` and zpcpu pointers offsets from it."""
    cache = target_cache(target)
    if "pcpu_base_is_pointer" not in cache:
        try:
            cache["pcpu_base_is_pointer"] = target.symbol_type("__pcpu").kind == PTR
        except SymbolNotFound:
            cache["pcpu_base_is_pointer"] = False
    return cache["pcpu_base_is_pointer"]


class Zpcpu:
    """Address arithmetic for per-CPU allocations of one kernel, read once per command."""

    def __init__(self, target):
        self.target = target
        self.mask = pointer_mask(target)
        self.offset = 0
        if pcpu_base_is_pointer(target):
            self.offset = read_pointer(target, target.symbol_address("__pcpu"), "__pcpu")

    def address(self, base, cpu):
        """Address of CPU ``cpu``'s copy of the per-CPU allocation ``base``."""
        return (self.offset + base + cpu * UMA_PCPU_ALLOC_SIZE) & self.mask

    def read(self, base, cpu, size, what):
        addr = self.address(base, cpu)
        try:
            return self.target.read(addr, size)
        except MemoryFault as e:
            raise MemoryFault(addr, size, f"{what} (CPU {cpu})") from e

    def counter_fetch(self, base, cpus, absent_ok=(), what="counter(9)"):
        """Sum a ``counter_u64_t`` over ``cpus``.

        :param absent_ok: CPU ids whose copy may be unmapped (ids missing from ``all_cpus``
            that libkvm still visits because it loops to ``mp_ncpus``); they count as 0.
        """
        total = 0
        for cpu in cpus:
            try:
                data = self.read(base, cpu, 8, what)
            except MemoryFault:
                if cpu in absent_ok:
                    continue
                raise
            total += int.from_bytes(data, self.target.byteorder)
        return total
