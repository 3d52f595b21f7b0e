"""malloc(9) walkers against planted per-CPU statistics, every era, true and kvm views."""

import pytest

from kmemdbg.alloc.malloc import malloc_type_stats
from kmemdbg.alloc.views import KVM, TRUE

from eras import IMAGES, M_VERSION, MAXCPU
from kbuild import FakeKernel


def by_name(report):
    return {m.name: m for m in report.types}


def plant(era, arch):
    # CPUs 0, 1, 3 present: mp_ncpus 3, so 12+ kvm reads CPUs 0..2 and misses CPU 3.
    k = FakeKernel(era, arch, cpus=(0, 1, 3))
    k.malloc_type("devbuf", {0: (4096, 1024, 10, 4, 0b1), 3: (2048, 0, 2, 0, 0b100000)})
    k.malloc_type("temp", {1: (640, 640, 5, 5, 0b10)})
    k.malloc_type("unused", {})
    return k


@pytest.mark.parametrize("era,arch", IMAGES)
def test_true_view(era, arch):
    k = plant(era, arch)
    r = malloc_type_stats(k.t, TRUE)
    assert [m.name for m in r.types] == ["unused", "temp", "devbuf"]    # newest first
    d = by_name(r)["devbuf"]
    assert (d.in_use, d.memory_use, d.requests, d.frees) == (8, 5120, 12, 4)
    assert d.size_mask == 0b100001
    # bit 5 is the 384-byte zone from 13 on, 512 before
    assert d.sizes == ((16, 384) if k.n >= 13 else (16, 512))
    assert by_name(r)["temp"].in_use == 0 and by_name(r)["temp"].sizes == (32,)
    assert not r.warnings and all(not m.issues for m in r.types)


@pytest.mark.parametrize("era,arch", IMAGES)
def test_kvm_view(era, arch):
    k = plant(era, arch)
    d = by_name(malloc_type_stats(k.t, KVM))["devbuf"]
    if k.n >= 12:      # CPU 3 >= mp_ncpus: not visited by libmemstat
        assert (d.in_use, d.memory_use, d.requests) == (6, 3072, 10)
    else:              # every mti_stats[] slot up to mp_maxcpus
        assert (d.in_use, d.memory_use, d.requests) == (8, 5120, 12)


@pytest.mark.parametrize("era,arch", [(e, a) for e, a in IMAGES if int(e[4:]) <= 11])
def test_array_kvm_reads_mp_maxcpus_slots(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1))
    last = MAXCPU[(era, arch)] - 1
    k.malloc_type("pcb", {0: (100, 0, 1, 0, 1), last: (100, 0, 1, 0, 1)})
    k.t.write_int(k.t.symbol_address("mp_maxcpus"), 4, 2)
    assert by_name(malloc_type_stats(k.t, KVM))["pcb"].requests == 1
    assert by_name(malloc_type_stats(k.t, TRUE))["pcb"].requests == 2


@pytest.mark.parametrize("era", ["fbsd13", "fbsd14", "fbsd15"])
def test_kvm_skips_module_type_of_another_version(era):
    """vmstat skips types whose ks_version is not its M_VERSION, which is the kernel's own."""
    k = FakeKernel(era)
    own = M_VERSION[era]
    other = M_VERSION["fbsd15"] if own != M_VERSION["fbsd15"] else M_VERSION["fbsd14"]
    k.malloc_type("devbuf", {0: (16, 0, 1, 0, 1)})
    k.malloc_type("oldmod", {0: (16, 0, 1, 0, 1)}, version=other)
    k.malloc_type("good", {0: (16, 0, 1, 0, 1)})
    r = malloc_type_stats(k.t, KVM)
    assert list(by_name(r)) == ["good", "devbuf"]
    # vmstat skips it too: a note, not a read failure (no failing status for batch use)
    assert "oldmod" in r.notes[0] and str(other) in r.notes[0] and str(own) in r.notes[0]
    assert r.warnings == ()
    assert set(by_name(malloc_type_stats(k.t, TRUE))) == {"good", "oldmod", "devbuf"}


@pytest.mark.parametrize("era", ["fbsd14", "fbsd15"])
def test_kvm_version_comes_from_the_kernel_not_a_constant(era):
    """A kernel whose own types all carry another value: vmstat built for it shows them all."""
    k = FakeKernel(era)
    for name in ("devbuf", "temp", "pcb"):
        k.malloc_type(name, {0: (16, 0, 1, 0, 1)}, version=1234567890)
    r = malloc_type_stats(k.t, KVM)
    assert set(by_name(r)) == {"devbuf", "temp", "pcb"} and not r.notes and not r.warnings


def test_kvm_version_unknown_without_kernel_types():
    """No M_DEVBUF/M_TEMP to read: every type shown, with a warning saying why."""
    k = FakeKernel("fbsd15")
    k.malloc_type("pcb", {0: (16, 0, 1, 0, 1)})
    r = malloc_type_stats(k.t, KVM)
    assert list(by_name(r)) == ["pcb"]
    assert len(r.warnings) == 1 and "M_VERSION is unknown" in r.warnings[0]
    assert "M_DEVBUF" in r.warnings[0] and "M_TEMP" in r.warnings[0]


@pytest.mark.parametrize("era,arch", IMAGES)
def test_bad_stats_pointer_marks_row(era, arch):
    k = plant(era, arch)
    temp = by_name(malloc_type_stats(k.t))["temp"]
    ml = k.t.layout("struct malloc_type")
    member = "ks_handle" if ml.has("ks_handle") else None
    if member:
        k.t.write_int(temp.address + ml.offset(member), k.t.pointer_size, 0xdead0000)
    else:
        k.t.put(temp.address, "struct malloc_type", {"ks_mti.mti_stats": 0xdead0000})
    r = malloc_type_stats(k.t)
    bad = by_name(r)["temp"]
    assert bad.in_use is None and bad.requests is None and bad.issues
    assert by_name(r)["devbuf"].in_use == 8


@pytest.mark.parametrize("era,arch", IMAGES)
def test_type_list_cycle(era, arch):
    k = plant(era, arch)
    first = by_name(malloc_type_stats(k.t))["unused"].address
    last = by_name(malloc_type_stats(k.t))["devbuf"].address
    k.t.put(last, "struct malloc_type", {"ks_next": first})
    r = malloc_type_stats(k.t)
    assert len(r.types) == 3 and "cycle in list kmemstatistics" in r.warnings[0]


@pytest.mark.parametrize("era,arch", IMAGES)
def test_unreadable_name_keeps_the_row_and_says_why(era, arch):
    k = plant(era, arch)
    temp = by_name(malloc_type_stats(k.t))["temp"]
    ptr = k.t.layout("struct malloc_type").offset("ks_shortdesc")
    k.t.write_int(temp.address + ptr, k.t.pointer_size, 0xdead0000)
    r = malloc_type_stats(k.t)
    row = {t.address: t for t in r.types}[temp.address]
    assert row.name == f"<malloc_type {temp.address:#x}>" and row.in_use == temp.in_use
    assert row.issues == ("ks_shortdesc: cannot read 32 bytes of string at 0xdead0000",)


@pytest.mark.parametrize("era", ["fbsd12", "fbsd14"])
def test_size_bit_without_a_kmemzones_entry_is_named(era):
    k = FakeKernel(era, cpus=(0, 1))
    k.malloc_type("odd", {0: (64, 0, 1, 0, 1 << 40)})
    odd, = malloc_type_stats(k.t).types
    assert odd.sizes == (16 << 40,) and odd.issues == ("mts_size bit 40 has no kmemzones[] entry",)


@pytest.mark.parametrize("era", ["fbsd9", "fbsd14"])
def test_statistics_no_kernel_keeps_are_named_and_still_shown(era):
    """A damaged per-CPU word: more allocations than bytes allocated, or more memory in use than
    kmem may hold (a pointer stored over mts_memalloced)."""
    k = FakeKernel(era, cpus=(0, 1))
    k.t.add_symbol("vm_kmem_size", "u_long", 1 << 30)
    k.malloc_type("many", {0: (64, 0, 1, 0, 1), 1: (0, 0, 0x7ffff7621e80, 0, 0)})
    k.malloc_type("huge", {0: (0x7ffff7621e80, 0, 2, 0, 1)})
    k.malloc_type("fine", {0: (4096, 64, 3, 1, 1)})
    rows = by_name(malloc_type_stats(k.t))
    many, huge = rows["many"], rows["huge"]
    assert many.in_use == 0x7ffff7621e80 + 1 and many.issues == (
        f'malloc type "many" at {many.address:#x} counts {0x7ffff7621e81} allocations in 64 '
        "bytes (mts_numallocs > mts_memalloced over the CPUs): every allocation adds at least "
        "a byte",)
    assert huge.memory_use == 0x7ffff7621e80 and huge.issues == (
        f'memory use of malloc type "huge" at {huge.address:#x} ({0x7ffff7621e80} bytes) is '
        f"above the kmem limit {1 << 30} (vm_kmem_size)",)
    assert rows["fine"].issues == ()


def test_size_bits_of_a_damaged_mask_are_one_issue():
    k = FakeKernel("fbsd14", cpus=(0, 1))
    k.malloc_type("odd", {0: (64, 0, 1, 0, 1 << 40 | 1 << 41 | 1 << 63)})
    odd, = malloc_type_stats(k.t).types
    assert odd.issues == ("mts_size bits 40, 41, 63 have no kmemzones[] entry",)
