"""The reachability scan's sources (leak/roots.py) on a fake kernel: data sections, one pcpu
area per present CPU, the kernel stacks of the threads on allproc and zombproc; what cannot be
found or read is a warning, never an exception."""
from kmemdbg.backends.fake import PAGE
from kmemdbg.leak.roots import scan_sources

from kbuild import FakeKernel

KSTACK_PAGES = 4


def kernel(with_kstack=True, cpus=(0, 1, 3)):
    k = FakeKernel("fbsd13", cpus=cpus)
    ct = k.types
    ct.struct("proc", [(ct.list_entry("proc"), "p_list"), (ct.stailq_head("thread"), "p_threads"),
                       ("int", "p_numthreads")])
    members = [("void *", "td_lock"), ("struct proc *", "td_proc"),
               (ct.stailq_entry("thread"), "td_plist"), ("int", "td_tid")]
    if with_kstack:
        members += [("unsigned long", "td_kstack"), ("int", "td_kstack_pages")]
    ct.struct("thread", members)
    k.t.add_data_section("kernel", ".data", 0x1000, 0x2000, main=True)
    k.t.add_data_section("kernel", ".bss", 0x2000, 0x3000, main=True)
    k.t.add_data_section("libalias.ko", ".bss", 0x9000, 0x9100)
    return k


def proc_list(k, name, threads_per_proc):
    """Processes on list ``name``; returns [(tid, stack address or 0)]."""
    t = k.t
    head = t.add_symbol(name, "struct proc *")
    out, prev = [], head
    for n, stacks in enumerate(threads_per_proc):
        p = t.new("struct proc")
        t.write_int(prev, t.pointer_size, p)             # le_next of the previous (or head)
        prev = p                                         # p_list.le_next is at offset 0
        link = p + t.types.layout("struct proc").offset("p_threads")
        for m, has_stack in enumerate(stacks):
            tid = 100000 + 10 * n + m
            stack = t.alloc_pages(KSTACK_PAGES) if has_stack else 0
            extra = {"td_kstack": stack, "td_kstack_pages": KSTACK_PAGES if has_stack else 0} \
                if "td_kstack" in t.types.layout("struct thread").fields else {}
            td = t.new("struct thread", td_tid=tid, **extra)
            t.write_int(link, t.pointer_size, td)
            link = td + t.types.layout("struct thread").offset("td_plist")
            out.append((tid, stack))
    return out


def test_sources():
    k = kernel()
    live = proc_list(k, "allproc", [[True, True], [True, False]])
    zombies = proc_list(k, "zombproc", [[True]])
    sources, warnings = scan_sources(k.t)
    assert warnings == []
    names = [s.name for s in sources]
    assert names[:3] == ["kernel:.data", "kernel:.bss", "libalias.ko:.bss"]
    pcpu = [s for s in sources if s.name.startswith("pcpu")]
    size = k.t.type_size("struct pcpu")
    assert [(s.name, s.start, s.end) for s in pcpu] == [
        (f"pcpu {c}", k.pcpu_area + c * PAGE, k.pcpu_area + c * PAGE + size) for c in (0, 1, 3)]
    stacks = [(s.name, s.start, s.end) for s in sources if s.name.startswith("kstack")]
    assert stacks == [(f"kstack tid {tid}", st, st + KSTACK_PAGES * PAGE)
                      for tid, st in live + zombies if st]


def test_missing_parts_are_warnings():
    k = kernel(with_kstack=False)
    k.t.sections = []
    proc_list(k, "allproc", [[False]])
    sources, warnings = scan_sources(k.t)
    assert [s.name for s in sources] == ["pcpu 0", "pcpu 1", "pcpu 3"]
    assert len(warnings) == 2
    assert "no data or bss sections" in warnings[0]
    assert "kernel stacks not scanned" in warnings[1] and "td_kstack" in warnings[1]


def test_damaged_process_list():
    k = kernel()
    [(tid, stack)] = proc_list(k, "allproc", [[True]])
    first = k.t.symbols["allproc"][0]
    p = int.from_bytes(k.t.read(first, 8), "little")
    k.t.write_int(p, 8, p)                               # p_list.le_next points at itself
    sources, warnings = scan_sources(k.t)
    assert [s.name for s in sources if s.name.startswith("kstack")] == [f"kstack tid {tid}"]
    assert len(warnings) == 1 and warnings[0].startswith("kernel stacks: allproc:")
