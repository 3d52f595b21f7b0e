import pytest

from kmemdbg.kernel.queue import list_foreach
from kmemdbg.access.errors import BoundExceeded, CycleError, MemoryFault

from kbuild import FakeKernel


def _chain(k, counts):
    head = k.t.add_symbol("test_head", k.types.list_head("uma_bucket"))
    k._bucket_list(head, counts)
    return head


def _walk(k, head, bound=1 << 20):
    layout = k.t.layout("struct uma_bucket")
    return [r.int("ub_cnt") for r in list_foreach(k.t, head, layout, "ub_link", "test", bound)]


@pytest.mark.parametrize("era", ["fbsd9", "fbsd13"])   # LIST and STAILQ entries
def test_list_foreach_order(era):
    k = FakeKernel(era)
    assert _walk(k, _chain(k, [1, 2, 3])) == [1, 2, 3]


def test_list_foreach_empty():
    k = FakeKernel("fbsd9")
    assert _walk(k, _chain(k, [])) == []


def test_list_foreach_cycle_names_list_and_member():
    k = FakeKernel("fbsd13")
    head = _chain(k, [1, 2])
    first = int.from_bytes(k.t.read(head, 8), "little")
    second = int.from_bytes(k.t.read(first, 8), "little")
    k.t.write_int(second, 8, first)
    with pytest.raises(CycleError) as e:
        _walk(k, head)
    assert "ub_link" in str(e.value) and f"{second:#x}" in str(e.value)


def test_list_foreach_bound():
    k = FakeKernel("fbsd11", "i386")
    with pytest.raises(BoundExceeded):
        _walk(k, _chain(k, [1] * 5), bound=3)


def test_list_foreach_bad_pointer():
    k = FakeKernel("fbsd6", "i386")
    head = _chain(k, [1])
    first = int.from_bytes(k.t.read(head, 4), "little")
    k.t.write_int(first, 4, 0xdead0000)
    with pytest.raises(MemoryFault) as e:
        _walk(k, head)
    assert "0xdead0000" in str(e.value)
