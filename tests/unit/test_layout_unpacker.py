"""``StructLayout.unpacker``: many integer members of one record in one call, the same values
``Record.int`` reads (offset order, byte order, absent members, bit-fields, unions)."""

import struct

import pytest

from kmemdbg.access.errors import FieldNotFound
from kmemdbg.access.layout import INT, PTR, STRUCT, Field, StructLayout, TypeInfo
from kmemdbg.access.record import Record

U8, I16 = TypeInfo(INT, 8, "uint64_t"), TypeInfo(INT, 2, "short", signed=True)
U32, P = TypeInfo(INT, 4, "uint32_t"), TypeInfo(PTR, 8, "char *")
SUB = TypeInfo(STRUCT, 16, "struct mtx")


def layout(*fields):
    return StructLayout("struct t", 48, {f.name: f for f in fields})


PLAIN = layout(Field("a", 0, U8), Field("name", 8, P), Field("s", 16, I16),
               Field("w", 20, U32), Field("lock", 24, SUB))


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_values_equal_record_int(byteorder):
    data = bytes(range(7, 55))
    rec = Record(PLAIN, data, 0x1000, byteorder)
    values = PLAIN.unpacker(("w", "a", "s", "name"), byteorder)(data)
    for name in ("w", "a", "s", "name"):
        assert getattr(values, name) == rec.int(name)


def test_signed_member_stays_signed():
    data = bytes(16) + struct.pack("<h", -3) + bytes(30)
    assert PLAIN.unpacker(("s", "w"), "little")(data).s == -3


def test_absent_member_reads_none_and_is_cached():
    unpack = PLAIN.unpacker(("a", "uz_gone"), "little")
    assert PLAIN.unpacker(("a", "uz_gone"), "little") is unpack
    values = unpack(struct.pack("<Q", 5) + bytes(40))
    assert (values.a, values.uz_gone) == (5, None)


def test_non_integer_member_is_refused():
    with pytest.raises(FieldNotFound, match="lock"):
        PLAIN.unpacker(("a", "lock"), "little")


def test_bitfields_and_unions_one_by_one():
    bits = StructLayout("struct b", 16, {
        "lo": Field("lo", 0, U32, bit_offset=0, bit_size=3),
        "hi": Field("hi", 0, U32, bit_offset=3, bit_size=29),
        "u1": Field("u1", 8, U8), "u2": Field("u2", 8, U32)})     # a union's two views
    data = struct.pack("<IIQ", (1234 << 3) | 5, 0, 0x1122334455667788)
    rec = Record(bits, data, 0, "little")
    values = bits.unpacker(("hi", "lo", "u1", "u2"), "little")(data)
    assert (values.lo, values.hi, values.u1, values.u2) == \
        (rec.int("lo"), rec.int("hi"), rec.int("u1"), rec.int("u2")) == (5, 1234, 0x1122334455667788, 0x55667788)


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_column_of_an_array_equals_records(byteorder):
    dom = StructLayout("struct uma_domain", 24, {
        "ud_pages": Field("ud_pages", 8, U8), "ud_free": Field("ud_free", 16, U32),
        "ud_bits": Field("ud_bits", 20, U32, bit_offset=4, bit_size=7)})
    data = bytes(range(3, 3 + 3 * 24))
    records = [Record(dom, data[i * 24:(i + 1) * 24], i * 24, byteorder) for i in range(3)]
    for name in ("ud_pages", "ud_free", "ud_bits"):
        assert dom.column_unpacker(name, 3, byteorder)(data) == tuple(r.int(name) for r in records)


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_member_unpacker_reads_at_an_offset(byteorder):
    from kmemdbg.access.layout import member_unpacker
    data = bytes(range(5, 5 + 64))
    rec = Record(PLAIN, data[8:], 0x1000, byteorder)
    members = [(0, 8, False), (16, 2, True), (20, 4, False)]          # a, s, w
    assert member_unpacker(members, byteorder)(data, 8) == (rec.int("a"), rec.int("s"),
                                                            rec.int("w"))
    odd = [(16, 2, True), (1, 3, False)]       # a 3-byte member, out of order: one by one
    assert member_unpacker(odd, byteorder)(data, 8) == (
        rec.int("s"), int.from_bytes(data[9:12], byteorder))
