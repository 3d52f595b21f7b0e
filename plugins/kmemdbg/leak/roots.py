"""Where the reachability scan starts: the memory the kernel reaches without any pointer.

* the writable sections (data, bss, linker sets) of the kernel and of every loaded module
  (``Target.data_sections()``);
* each present CPU's ``struct pcpu`` (``cpuid_to_pcpu[]``);
* 8.0+: each present CPU's copy of the dynamic per-CPU (DPCPU) data, where ``DPCPU_DEFINE``
  variables live (netisr's workstreams and their packet queues, ...): the linker set
  ``set_pcpu`` (``[__start_set_pcpu, __stop_set_pcpu)``, the modules' reserve included) moved by
  ``dpcpu_off[cpu]``; a kernel without the set (6.x, 7.x) has none, silently;
* the kernel stack of every thread of every process on ``allproc`` (and ``zombproc`` where it
  exists): ``td_kstack``, ``td_kstack_pages`` pages, where the dump holds them (a minidump may
  not; unreadable pages are the scan's to skip and count).

Each part that cannot be read is left out with a warning naming it; the scan then reports more
leak candidates, never a traceback.
"""

from typing import List, Tuple

from ..kernel.cpus import read_cpu_info
from ..kernel.memory import PAGE_SIZE, pointer_mask, read_pointer
from ..kernel.queue import for_each_entry, list_foreach
from ..access.errors import KmemdbgError, MemoryFault, SymbolNotFound
from .reach import Source

PROC_LISTS = ("allproc", "zombproc")


def scan_sources(target) -> Tuple[List[Source], List[str]]:
    """The scan's sources and the warnings about those that could not be found or read."""
    warnings: List[str] = []
    sources = data_sources(target, warnings) + pcpu_sources(target, warnings) + \
        dpcpu_sources(target, warnings) + kstack_sources(target, warnings)
    return sources, warnings


def data_sources(target, warnings) -> List[Source]:
    sections = getattr(target, "data_sections", None)
    found = sections() if sections is not None else []
    if not found:
        warnings.append("no data or bss sections of the kernel found: the scan cannot start "
                        "from the kernel's globals")
    return [Source(f"{s.module}:{s.name}", s.start, s.end) for s in found]


def pcpu_sources(target, warnings) -> List[Source]:
    try:
        info = read_cpu_info(target)
        base = target.symbol_address("cpuid_to_pcpu")
        size = target.type_size("struct pcpu")
        out = []
        for cpu in info.present:
            pc = read_pointer(target, base + cpu * target.pointer_size, f"cpuid_to_pcpu[{cpu}]")
            if pc:
                out.append(Source(f"pcpu {cpu}", pc, pc + size))
        return out
    except KmemdbgError as e:
        warnings.append(f"per-CPU areas not scanned: {e}")
        return []


def dpcpu_sources(target, warnings) -> List[Source]:
    """One ``dpcpu N`` source per present CPU: the DPCPU set as ``dpcpu_init`` copied it for
    that CPU, at the set's addresses plus ``dpcpu_off[N]`` (modulo the address size: a copy
    below the set has a wrapped offset).  CPUs whose offset is 0 have no copy."""
    try:
        start = target.symbol_address("__start_set_pcpu")
    except SymbolNotFound:
        return []                       # no DPCPU before 8.0
    try:
        stop = target.symbol_address("__stop_set_pcpu")
        info = read_cpu_info(target)
        ps = target.pointer_size
        base = target.symbol_address("dpcpu_off")
        count = max(info.present, default=0) + 1
        try:
            data = target.read(base, count * ps)
        except MemoryFault as e:
            raise MemoryFault(base, count * ps, f"dpcpu_off[0..{count - 1}]") from e
    except KmemdbgError as e:
        warnings.append(f"DPCPU areas not scanned: {e}")
        return []
    mask = pointer_mask(target)
    out = []
    for cpu in info.present:
        off = int.from_bytes(data[cpu * ps:(cpu + 1) * ps], target.byteorder)
        if off:
            out.append(Source(f"dpcpu {cpu}", (start + off) & mask, (stop + off) & mask))
    return out


def kstack_sources(target, warnings) -> List[Source]:
    """Kernel stacks of the threads on the process lists, when ``struct thread`` describes
    them (``td_kstack``, ``td_kstack_pages``) and the lists are there."""
    try:
        proc = target.layout("struct proc")
        thread = target.layout("struct thread")
        for member in ("td_kstack", "td_kstack_pages", "td_plist", "td_tid"):
            thread.offset(member)
        threads_off = proc.offset("p_threads")
    except KmemdbgError as e:
        warnings.append(f"kernel stacks not scanned: {e}")
        return []
    out = []
    for name in PROC_LISTS:
        try:
            head = target.symbol_address(name)
        except SymbolNotFound:
            continue
        try:
            for p in list_foreach(target, head, proc, "p_list", name):
                first = read_pointer(target, p.addr + threads_off,
                                     f"struct proc {p.addr:#x} p_threads")
                for td in for_each_entry(target, first, thread, "td_plist",
                                         f"p_threads of proc {p.addr:#x}"):
                    stack, pages = td.int("td_kstack"), td.int("td_kstack_pages")
                    if stack and pages > 0:
                        out.append(Source(f"kstack tid {td.int('td_tid')}", stack,
                                          stack + pages * PAGE_SIZE))
        except KmemdbgError as e:
            warnings.append(f"kernel stacks: {name}: {e}; the threads after it not scanned")
    return out
