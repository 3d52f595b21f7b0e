import pytest

from kmemdbg.kernel.cpus import CPUMASK, CPUSET, cpu_set_kind, format_cpu_ids, read_cpu_info
from kmemdbg.kernel.zpcpu import Zpcpu, pcpu_base_is_pointer
from kmemdbg.access.errors import CorruptionError

from eras import IMAGES
from kbuild import FakeKernel


@pytest.mark.parametrize("era,arch", IMAGES)
def test_cpu_info_sparse_ids(era, arch):
    k = FakeKernel(era, arch, cpus=(0, 1, 3, 5))
    info = read_cpu_info(k.t)
    assert (info.maxid, info.ncpus, info.present) == (5, 4, (0, 1, 3, 5))
    assert cpu_set_kind(k.t) == (CPUMASK if era == "fbsd6" else CPUSET)


def test_absurd_mp_maxid_is_refused():
    k = FakeKernel("fbsd13")
    k.t.write_int(k.t.symbol_address("mp_maxid"), 4, 5000)
    with pytest.raises(CorruptionError) as e:
        read_cpu_info(k.t)
    assert "mp_maxid = 5000" in str(e.value) and "MAXCPU 256" in str(e.value)


def test_absurd_mp_ncpus_is_refused():
    k = FakeKernel("fbsd9")
    k.t.write_int(k.t.symbol_address("mp_ncpus"), 4, 0)
    with pytest.raises(CorruptionError):
        read_cpu_info(k.t)


@pytest.mark.parametrize("era,arch,pointer", [("fbsd12", "amd64", False), ("fbsd13", "amd64", True),
                                              ("fbsd14", "amd64", True), ("fbsd11", "i386", False)])
def test_pcpu_base_kind(era, arch, pointer):
    assert pcpu_base_is_pointer(FakeKernel(era, arch).t) is pointer


@pytest.mark.parametrize("era", ["fbsd12", "fbsd13"])
def test_counter_fetch_true_and_kvm_cpu_sets(era):
    # CPUs 0, 1, 3 present; mp_ncpus = 3 so libkvm visits 0, 1, 2 (2 is absent: 0).
    k = FakeKernel(era, cpus=(0, 1, 3))
    stored = k.counter({0: 5, 1: 7, 3: 100})
    z = Zpcpu(k.t)
    assert z.counter_fetch(stored, (0, 1, 3)) == 112
    assert z.counter_fetch(stored, range(3), absent_ok={2}) == 12


def test_zpcpu_offset_from_pcpu_value():
    k = FakeKernel("fbsd13")
    stored, base = k.pcpu_alloc(8)
    assert stored != base            # an offset, not an address
    assert Zpcpu(k.t).address(stored, 2) == base + 2 * 4096


def test_format_cpu_ids():
    assert format_cpu_ids([0, 1, 2, 4, 6, 7]) == "0-2,4,6-7"
