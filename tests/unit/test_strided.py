"""Strided columns (kernel/strided.py) and zpcpu blocks (kernel/zpcpu.py): the fast paths must
give exactly what one read and one unpack per CPU gave, in both byte orders, with holes."""

import functools
import operator
import random
import struct

import pytest

from kmemdbg.alloc import uma
from kmemdbg.alloc.malloc import malloc_type_stats
from kmemdbg.alloc.uma import uma_zone_stats
from kmemdbg.alloc.views import KVM, TRUE
from kmemdbg.backends.fake import PAGE
from kmemdbg.kernel import strided, zpcpu
from kmemdbg.kernel.strided import Strided, cpu_runs
from kmemdbg.kernel.zpcpu import Zpcpu
from kmemdbg.access.errors import MemoryFault

from eras import IMAGES
from kbuild import FakeKernel

BYTEORDERS = ("little", "big")


def test_cpu_runs():
    assert cpu_runs((0, 1, 2, 5, 6, 9)) == ((0, 2), (5, 6), (9, 9))
    assert cpu_runs(range(4)) == ((0, 3),)
    assert cpu_runs(()) == ()


@pytest.mark.parametrize("byteorder", BYTEORDERS)
@pytest.mark.parametrize("size,signed", [(1, True), (2, True), (2, False), (4, False), (4, True),
                                         (8, False), (8, True)])
@pytest.mark.parametrize("offset", [0, 8, 16, 3])        # 3: misaligned for sizes > 1
def test_column_matches_struct_unpack(byteorder, size, signed, offset):
    stride, n = 40, 9
    data = bytes(random.Random(size * 100 + offset).randrange(256) for _ in range(stride * n))
    code = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
    code = code if signed else code.upper()
    fmt = ("<" if byteorder == "little" else ">") + code
    expect = [struct.unpack_from(fmt, data, offset + i * stride)[0] for i in range(n)]
    s = Strided(data, stride, byteorder)
    for cpus in ((0, 1, 2, 3, 4, 5, 6, 7, 8), (0, 2, 3, 7), (5,), ()):
        assert list(s.column(offset, size, signed, cpu_runs(cpus))) == [expect[i] for i in cpus]
    shifted = [struct.unpack_from(fmt, data, 8 + offset + i * stride)[0] for i in (1, 2, 6)]
    assert list(s.records(cpu_runs((1, 2, 6)), start=8).column(offset, size, signed)) == shifted


def _shared_page(k, per_cpu_by_offset):
    """Several counters in one per-CPU slab page: ``{offset: {cpu: value}}`` -> stored bases."""
    stored, base = k.pcpu_alloc(8)
    for off, values in per_cpu_by_offset.items():
        for cpu, v in values.items():
            k.t.write_int(base + off + cpu * PAGE, 8, v)
    return stored, base


@pytest.mark.parametrize("byteorder", BYTEORDERS)
@pytest.mark.parametrize("era,arch", [("fbsd12", "amd64"), ("fbsd14", "amd64"), ("fbsd11", "i386")])
def test_counters_of_one_page_cost_one_read(era, arch, byteorder):
    k = FakeKernel(era, arch, cpus=tuple(range(8)), byteorder=byteorder)
    values = {0: {c: c + 1 for c in range(8)}, 64: {c: 1 << 40 for c in range(8)},
              4088: {7: 3}}
    stored, _ = _shared_page(k, values)
    z = Zpcpu(k.t)
    k.t.reads = 0
    for off, v in values.items():
        assert z.counter_fetch(stored + off, range(8)) == sum(v.values())
        assert z.counter_fetch(stored + off, (1, 2, 5)) == sum(v.get(c, 0) for c in (1, 2, 5))
    assert k.t.reads == 1


@pytest.mark.parametrize("era", ["fbsd12", "fbsd13"])
def test_unreadable_absent_cpu_pages(era):
    # CPUs 0, 1, 3 present, mp_ncpus 3: libkvm visits 0, 1, 2; CPU 2's page is a hole.
    k = FakeKernel(era, cpus=(0, 1, 3))
    stored, base = _shared_page(k, {16: {0: 5, 1: 7, 3: 100}})
    k.t.unmap(base + 2 * PAGE, PAGE)
    z = Zpcpu(k.t)
    assert z.counter_fetch(stored + 16, (0, 1, 3)) == 112
    assert z.counter_fetch(stored + 16, range(3), absent_ok={2}) == 12
    with pytest.raises(MemoryFault) as e:
        z.counter_fetch(stored + 16, range(4), what="counter(9) x")
    assert e.value.addr == base + 16 + 2 * PAGE and e.value.size == 8
    assert str(e.value) == f"cannot read 8 bytes of counter(9) x (CPU 2) at {base + 16 + 2 * PAGE:#x}"


def test_first_unreadable_cpu_is_named():
    k = FakeKernel("fbsd14", cpus=tuple(range(6)))
    stored, base = _shared_page(k, {0: {c: 1 for c in range(6)}})
    for cpu in (4, 2):
        k.t.unmap(base + cpu * PAGE, PAGE)
    with pytest.raises(MemoryFault) as e:
        Zpcpu(k.t).counter_fetch(stored, range(6), absent_ok={4})
    assert "(CPU 2)" in str(e.value)
    assert Zpcpu(k.t).counter_fetch(stored, (0, 1, 3, 5)) == 4


def test_wholly_unmapped_block_faults_like_a_bad_pointer():
    k = FakeKernel("fbsd14", cpus=(0, 1))
    with pytest.raises(MemoryFault) as e:
        Zpcpu(k.t).counter_fetch(0xdead0000 - k.pcpu_offset, (0, 1))
    assert e.value.addr == 0xdead0000 and "(CPU 0)" in str(e.value)


def test_object_crossing_a_page_is_read_per_cpu():
    k = FakeKernel("fbsd12", cpus=(0, 1, 2))
    stored, base = k.pcpu_alloc(16)
    for cpu in range(3):
        k.t.write_int(base + 4092 + cpu * PAGE, 8, 10 + cpu)     # straddles pages
    copies = Zpcpu(k.t).copies(stored + 4092, 8, (0, 2))
    assert list(copies.column(0, 8)) == [10, 12]


def test_blocks_beyond_the_budget_are_read_again():
    k = FakeKernel("fbsd14", cpus=tuple(range(4)))
    a = k.counter({c: 1 for c in range(4)})
    b = k.counter({c: 2 for c in range(4)})
    z = Zpcpu(k.t, max_block_bytes=4 * PAGE)       # room for one block
    k.t.reads = 0
    assert [z.counter_fetch(x, range(4)) for x in (a, b, a, a)] == [4, 8, 4, 4]
    assert k.t.reads == 3


def _uma_kernel(era, arch, byteorder, cpus=(0, 1, 3, 4, 5)):
    """Zones with per-CPU caches on sparse CPUs, counter(9) on absent and present CPUs."""
    k = FakeKernel(era, arch, cpus=cpus, byteorder=byteorder, ncpus=len(cpus) - 1)
    kg = k.keg(256, ipers=15, maxpages=100, free=7)
    for i in range(3):
        caches = {c: dict(alloc=c + i, free=1, cross=2, allocs=100 * c + 1, frees=50 * c)
                  for c in cpus}
        k.zone(kg, f"z{i}", allocs={c: 1000 + c for c in cpus}, frees={0: 10, 4: 20},
               fails={5: 1 << 33}, xdomain={1: 3}, caches=caches, buckets=[5, 6])
    return k


@pytest.mark.parametrize("era,arch", IMAGES)
def test_uma_views_are_byte_order_independent(era, arch):
    for view in (TRUE, KVM):
        little = uma_zone_stats(_uma_kernel(era, arch, "little").t, view)
        big = uma_zone_stats(_uma_kernel(era, arch, "big").t, view)
        assert little.zones == big.zones and little.cpus == big.cpus
        assert not any(z.issues for z in little.zones)
    z0 = [z for z in little.zones if z.name == "z0"][0]
    cpu_free = sum(c + 1 + (2 if int(era[4:]) >= 13 else 0) for c in (0, 1, 3, 4, 5))
    assert z0.free_cpu == cpu_free


@pytest.mark.parametrize("era,arch", [(e, a) for e, a in IMAGES if int(e[4:]) >= 13])
def test_absurd_inline_count_names_its_cpu(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1, 2, 3))
    k.zone(k.keg(64), "victim", caches={1: dict(alloc=9, entries=4), 3: dict(free=-1),
                                        2: dict(alloc=2)})
    k.zone(k.keg(64), "healthy", caches={c: dict(alloc=3, free=3, cross=0) for c in range(4)})
    z = {s.name: s for s in uma_zone_stats(k.t).zones}
    assert z["victim"].free_cpu is None
    assert z["victim"].issues == (f"struct uma_cache.uc_allocbucket of CPU 1 in zone at "
                                  f"{z['victim'].address:#x}: ucb_cnt = 9 is absurd "
                                  f"(bucket holds 4)",)
    assert z["healthy"].free_cpu == 24 and not z["healthy"].issues


@pytest.mark.parametrize("era,arch", [(e, a) for e, a in IMAGES if int(e[4:]) <= 12])
def test_bad_bucket_pointers_fault_in_cpu_order(era, arch):
    # CPU 2's alloc bucket and CPU 1's free bucket are bad: CPU 1 is named, as before.
    k = FakeKernel(era, arch, cpus=(0, 1, 2))
    k.zone(k.keg(64), "victim", caches={0: dict(alloc=3, free=4),
                                        1: dict(alloc=None, free=0xbeef0000, raw=True),
                                        2: dict(alloc=0xdead0000, raw=True)})
    (victim,) = uma_zone_stats(k.t).zones
    assert victim.free_cpu is None and len(victim.issues) == 1
    assert "uc_freebucket of CPU 1" in victim.issues[0] and "0xbeef0000" in victim.issues[0]


def _malloc_kernel(era, arch, byteorder):
    k = FakeKernel(era, arch, cpus=(0, 1, 3), byteorder=byteorder)
    k.malloc_type("devbuf", {0: (4096, 1024, 10, 4, 0b1), 3: (2048, 0, 2, 0, 0b100000)})
    k.malloc_type("temp", {1: (1 << 40, 640, 5, 5, 0b10), 2: (7, 0, 1, 0, 0b1000)})
    return k


@pytest.mark.parametrize("era,arch", IMAGES)
def test_malloc_views_are_byte_order_independent(era, arch):
    for view in (TRUE, KVM):
        little = malloc_type_stats(_malloc_kernel(era, arch, "little").t, view)
        big = malloc_type_stats(_malloc_kernel(era, arch, "big").t, view)
        assert little.types == big.types
        assert not any(m.issues for m in little.types)
    big = malloc_type_stats(_malloc_kernel(era, arch, "big").t, TRUE)
    devbuf = {m.name: m for m in big.types}["devbuf"]
    assert (devbuf.in_use, devbuf.memory_use, devbuf.size_mask) == (8, 5120, 0b100001)


@pytest.mark.parametrize("era", ["fbsd12", "fbsd14"])
def test_malloc_pcpu_hole_on_absent_cpu(era):
    # mp_ncpus 3: the kvm view visits CPU 2, absent and unmapped here; CPU 1 unmapped is an error.
    k = FakeKernel(era, cpus=(0, 1, 3))
    k.malloc_type("devbuf", {0: (4096, 1024, 10, 4, 0b1)})
    bases, pcpu_alloc = [], k.pcpu_alloc
    k.pcpu_alloc = lambda size: bases.append(pcpu_alloc(size)) or bases[-1]
    k.malloc_type("temp", {1: (640, 0, 5, 0, 0b10), 2: (7, 0, 1, 0, 0b1000)})
    (_, base), = bases

    def temp(view):
        return {m.name: m for m in malloc_type_stats(k.t, view).types}["temp"]

    assert temp(KVM).requests == 6 and temp(KVM).size_mask == 0b1010
    k.t.unmap(base + 2 * PAGE, PAGE)
    t = temp(KVM)
    assert (t.requests, t.size_mask, t.issues) == (5, 0b10, ())
    assert temp(TRUE).requests == 5
    k.t.unmap(base + PAGE, PAGE)
    t = temp(TRUE)
    assert t.requests is None and "mti_stats of malloc type" in t.issues[0] and "(CPU 1)" in t.issues[0]
    assert {m.name: m for m in malloc_type_stats(k.t).types}["devbuf"].requests == 10


@pytest.mark.parametrize("byteorder", BYTEORDERS)
def test_prefetched_counters_read_each_block_once_and_keep_none(byteorder):
    # Counters interleaved over three per-CPU pages, asked for page by page in turn (as zones
    # ask for uz_allocs, uz_frees, uz_fails): each block is read once, then dropped.
    cpus = (0, 1, 3)
    k = FakeKernel("fbsd14", cpus=cpus, byteorder=byteorder)
    pages = [_shared_page(k, {off: {c: (p + 1) * 1000 + off + c for c in cpus}
                              for off in range(0, 80, 8)}) for p in range(3)]
    bases = [stored + off for off in range(0, 80, 8) for stored, _ in pages]
    expect = {b: Zpcpu(k.t).counter_fetch(b, cpus) for b in bases}
    z = Zpcpu(k.t)
    k.t.reads = 0
    done = z.counter_totals(bases + [0xdead0000 - k.pcpu_offset], cpus)   # one bad pointer
    assert k.t.reads == 3 + 1 + k.maxid + 1 and not z._blocks       # + the bad block, page by page
    assert done == expect
    with pytest.raises(MemoryFault) as e:        # left out: counter_fetch says what is wrong
        z.counter_fetch(0xdead0000 - k.pcpu_offset, cpus, what="counter(9) x")
    assert "counter(9) x (CPU 0)" in str(e.value)


def test_prefetch_leaves_a_block_with_an_unreadable_cpu_to_counter_fetch():
    k = FakeKernel("fbsd14", cpus=(0, 1, 2))
    stored, base = _shared_page(k, {16: {0: 5, 1: 7, 2: 100}})
    k.t.unmap(base + 2 * PAGE, PAGE)
    z = Zpcpu(k.t)
    cpus = (0, 1, 2)
    assert z.counter_totals([stored + 16], cpus) == {}
    with pytest.raises(MemoryFault) as e:
        z.counter_fetch(stored + 16, cpus, what="counter(9) y")
    assert "counter(9) y (CPU 2)" in str(e.value)
    assert z.counter_totals([stored + 16], cpus, {2}) == {stored + 16: 12}
    sums, ors = [(0, 8, False)], [(0, 4, False)]    # the general form: members summed and ORed
    assert z.prefetch([stored + 16], cpus, {2}, 8, sums, ors) == {stored + 16: ([12], [7 | 5])}


# ---- totals: numpy and pure Python give the same numbers ---------------------------------

ENGINES = ["python"] + (["numpy"] if strided.numpy is not None else [])


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    """Run the test with numpy's totals, and again with the pure-Python columns."""
    if request.param == "python":
        monkeypatch.setattr(strided, "numpy", None)
    return request.param


def _words(rng, n, size, signed, magnitude):
    """Random words: "small" ones (no 64-bit sum can wrap), any, or "huge" (half of them at the
    type's limits)."""
    lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << 8 * size) - 1)
    if magnitude == "small":
        lo, hi = max(lo, -1000), 1000
    return [rng.choice((lo, hi, hi - 1, lo + 1)) if magnitude == "huge" and rng.random() < 0.5
            else rng.randint(lo, hi) for _ in range(n)]


@pytest.mark.parametrize("byteorder", BYTEORDERS)
@pytest.mark.parametrize("size,signed", [(2, True), (2, False), (4, True), (8, False), (8, True)])
@pytest.mark.parametrize("magnitude", ["small", "any", "huge"])
@pytest.mark.parametrize("stride", [16, 64])
def test_totals_are_exact_python_reductions(engine, byteorder, size, signed, magnitude, stride):
    # Three groups of 6 records of 16 (or 64) bytes; 8-byte sums of huge values pass 2**64
    # (numpy's uint64 would wrap), signed ones go below -2**63.
    rng = random.Random(size * 10 + signed + 7 * len(magnitude) + stride)
    groups, count = 3, 6
    per = stride // size
    values = _words(rng, groups * count * per, size, signed, magnitude)
    fmt = ("<" if byteorder == "little" else ">") + {2: "h", 4: "i", 8: "q"}[size]
    fmt = fmt if signed else fmt.upper()
    data = b"".join(struct.pack(fmt, v) for v in values)
    s = Strided(data, stride, byteorder, group=count)
    for cpus in ((0, 1, 2, 3, 4, 5), (0, 2, 3, 5), (4,)):
        runs = cpu_runs(cpus)
        for g in range(groups):
            recs = s.records(runs, group=g)
            for w in range(per):
                column = [values[(g * count + i) * per + w] for i in cpus]
                off = w * size
                assert list(recs.column(off, size, signed)) == column
                assert recs.sum(off, size, signed) == sum(column)
                assert recs.min(off, size, signed) == min(column)
                assert recs.bit_or(off, size, signed) == functools.reduce(operator.or_, column, 0)
            a, b = [values[(g * count + i) * per] for i in cpus], \
                [values[(g * count + i) * per + 1] for i in cpus]
            assert recs.any_greater((0, size, signed), (size, size, signed)) == \
                any(x > y for x, y in zip(a, b))
        assert (s.totals(runs) is not None) == (engine == "numpy")
        starts, columns = (0, size), [(w * size, size, signed) for w in (1, 0, per - 2)]
        column = [[[values[i * per + (start + o) // size] for i in cpus] for o, _, _ in columns]
                  for start in starts]
        assert s.object_totals(runs, starts, columns, columns[1:]) == \
            [([sum(c) for c in cs], [functools.reduce(operator.or_, c, 0) for c in cs[1:]])
             for cs in column]
        assert s.object_totals(runs, starts, columns) == \
            [([sum(c) for c in cs], []) for cs in column]
        # one word of a wide record (a block's few counters): gathered, not every word reduced
        last = [values[i * per + per - 1] for i in cpus]
        one = [(0, size, signed)]
        assert s.object_totals(runs, (stride - size,), one, one) == \
            [([sum(last)], [functools.reduce(operator.or_, last, 0)])]
        assert s.member_totals(runs, (stride - size, 0), one[0]) == \
            [sum(last), sum(values[i * per] for i in cpus)]


def test_huge_counters_sum_past_64_bits(engine):
    k = FakeKernel("fbsd14", cpus=tuple(range(8)))
    top = (1 << 64) - 1
    stored, _ = _shared_page(k, {0: {c: top for c in range(8)}, 8: {c: 1 << 63 for c in range(8)}})
    z = Zpcpu(k.t)
    assert z.counter_fetch(stored, range(8)) == 8 * top
    assert z.counter_totals([stored, stored + 8], range(8)) == {stored: 8 * top,
                                                                 stored + 8: 8 << 63}


def test_totals_need_whole_groups(engine):
    # Records past the group, a buffer of no whole group: the columns answer, the same way.
    s = Strided(bytes(range(48)), 16, "little", group=2)     # one group and a half
    assert s.records(((0, 1),)).sum(0, 8) == sum(s.column(0, 8, False, ((0, 1),)))
    assert s.records(((0, 1),), start=4).sum(0, 4) == sum(s.column(4, 4, False, ((0, 1),)))
    assert s.records(()).min(0, 8) is None


@pytest.mark.parametrize("era,arch", IMAGES)
def test_walks_agree_with_and_without_numpy(era, arch, monkeypatch):
    if strided.numpy is None:
        pytest.skip("numpy is not importable: only the pure-Python totals exist here")
    zones = uma_zone_stats(_uma_kernel(era, arch, "big").t, TRUE)
    types = malloc_type_stats(_malloc_kernel(era, arch, "little").t, TRUE)
    monkeypatch.setattr(strided, "numpy", None)
    assert uma_zone_stats(_uma_kernel(era, arch, "big").t, TRUE) == zones
    assert malloc_type_stats(_malloc_kernel(era, arch, "little").t, TRUE) == types


def test_sums_of_several_members(engine):
    rng = random.Random(5)
    data = bytes(rng.randrange(256) for _ in range(4 * 64))
    s = Strided(data, 64, "big", group=4)
    recs = s.records(cpu_runs((0, 2, 3)), start=8)
    columns = [(0, 8, False), (8, 8, True), (20, 4, False), (3, 2, False)]    # the last misaligned
    assert recs.sums(columns) == [recs.sum(*c) for c in columns] == \
        [sum(recs.column(*c)) for c in columns]
    assert recs.sums(columns[:2]) == [sum(recs.column(*c)) for c in columns[:2]]
    # objects of a block: a misaligned start or mixed member types are summed column by column
    runs = cpu_runs((1, 3))
    for starts, cols in (((3, 16), [(0, 8, False)]), ((0, 8), [(0, 8, False), (4, 4, True)])):
        assert s.object_totals(runs, starts, cols, cols[:1]) == \
            [([sum(s.column(st + o, sz, sg, runs)) for o, sz, sg in cols],
              [functools.reduce(operator.or_, s.column(st + o, sz, sg, runs), 0)
               for o, sz, sg in cols[:1]]) for st in starts]


@pytest.mark.parametrize("byteorder", BYTEORDERS)
def test_malloc_types_of_one_page_read_their_block_once(engine, byteorder):
    # Twenty types whose statistics share one per-CPU page (as 64 of them do in a kernel), two
    # CPUs' mts_memalloced at 2**63: every type summed from one block read, past 64 bits.
    k = FakeKernel("fbsd14", cpus=(0, 1, 3), byteorder=byteorder)
    stored, base = k.pcpu_alloc(8)
    slots = iter(range(0, PAGE, 64))
    k.pcpu_alloc = lambda size: (lambda off: (stored + off, base + off))(next(slots))
    for i in range(20):
        k.malloc_type(f"t{i}", {0: (100 * i, 10, i + 1, 1, 1 << (i % 5)),
                                1: (1 << 63, 0, 1, 0, 0), 3: (1 << 63, 0, 1 << 62, 0, 0b10)})
    sizes, read = [], k.t.read
    k.t.read = lambda addr, size: sizes.append(size) or read(addr, size)
    types = {m.name: m for m in malloc_type_stats(k.t).types}
    assert sizes.count((k.maxid + 1) * PAGE) == 1
    for i in range(20):
        t = types[f"t{i}"]
        assert (t.memory_use, t.requests, t.in_use, t.size_mask, t.issues) == \
            ((1 << 64) + 100 * i - 10, i + 2 + (1 << 62), i + 1 + (1 << 62), (1 << (i % 5)) | 2, ())


@pytest.mark.parametrize("era,arch", IMAGES)
def test_zones_read_in_several_batches_agree_with_one(era, arch, monkeypatch):
    # Batches of one or two zones' uz_cpu[] (the internal zones skipped) sum as one batch does.
    whole = uma_zone_stats(_uma_kernel(era, arch, "little").t, TRUE)
    for zones in (1, 2):
        k = _uma_kernel(era, arch, "little")
        cache = k.t.layout(uma.CACHE).size
        monkeypatch.setattr(uma, "BATCH_BYTES", zones * (k.maxid + 1) * cache)
        assert uma_zone_stats(k.t, TRUE) == whole


def test_a_block_is_freed_when_dropped():
    """Totals do not refer back to their buffer's Strided: dropped, a MiB block is freed at
    once by reference counting, not whenever the cycle collector runs (fresh memory for every
    block read, and a walk's blocks piling up)."""
    import gc
    import weakref
    if strided.numpy is None:
        pytest.skip("numpy is not installed: no totals are kept")
    enabled = gc.isenabled()
    gc.disable()
    try:
        s = Strided(bytes(8 * 4 * 2), 8, "little", group=4)
        assert s.per_group("sum", ((0, 3),), (0, 8, False)) == [0, 0]
        ref = weakref.ref(s)
        del s
        assert ref() is None
    finally:
        if enabled:
            gc.enable()


@pytest.mark.parametrize("era,arch", IMAGES)
def test_blocks_read_in_pieces_agree_with_whole_reads(era, arch, monkeypatch):
    # A backend that copies its reads (lldb) reads large per-CPU blocks in pieces into one reused
    # buffer: pieces of one page here, so every block of these small kernels takes that path.
    whole = uma_zone_stats(_uma_kernel(era, arch, "little").t, TRUE)
    k = _uma_kernel(era, arch, "little")
    sizes, read = [], k.t.read
    k.t.read = lambda addr, size: sizes.append(size) or read(addr, size)
    monkeypatch.setattr(zpcpu, "PIECE_BYTES", PAGE)
    assert uma_zone_stats(k.t, TRUE) == whole
    if whole.has_xdomain:       # counter(9)s: their blocks were read a page at a time
        assert (k.maxid + 1) * PAGE not in sizes and PAGE in sizes
