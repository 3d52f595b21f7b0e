"""Bounded, cycle-checked walks of ``sys/queue.h`` lists (LIST, STAILQ, TAILQ).

Mirrors the forward ``*_FOREACH`` macros.  In every queue.h flavour the head's first pointer
(``lh_first``, ``stqh_first``, ``tqh_first``) is the head's first member and the entry's next
pointer (``le_next``, ``stqe_next``, ``tqe_next``) is the entry's first member, so one walker
serves all three; the members are often anonymous struct types the debug info cannot name.

A crash dump is exactly where lists are damaged, so every walk keeps a visited set and a
bound, and raises ``CycleError``/``BoundExceeded`` naming the list instead of spinning.
"""

import struct

from ..access import viewer
from ..access.errors import BoundExceeded, CycleError, MemoryFault, Misaligned
from ..access.record import Record, misaligned
from .memory import read_pointer

DEFAULT_BOUND = 1 << 20


def for_each_entry(target, first, layout, link, what, bound=DEFAULT_BOUND):
    """Yield a ``Record`` (one read each) for every element from ``first`` on.

    :param first: address of the first element (``struct X *``), 0 for an empty list.
    :param layout: ``StructLayout`` of the element type.
    :param link: the element's entry member (``uk_link``, ``uz_link``, ``ub_link``).
    :param what: the list's name for messages, e.g. ``uma_kegs`` or ``zone "mbuf" uz_buckets``.
    :raises CycleError, BoundExceeded, MemoryFault: naming ``what``.
    """
    byteorder, pointer_size, size = target.byteorder, target.pointer_size, layout.size
    for addr, buffer, offset in entry_views(target, first, layout, link, what, bound):
        yield Record(layout, buffer[offset:offset + size], addr, byteorder, pointer_size)


def entry_views(target, first, layout, link, what, bound=DEFAULT_BOUND):
    """``for_each_entry`` as ``(address, buffer, offset)``, the element's bytes being
    ``buffer[offset:offset + layout.size]`` (``access.viewer``: the cached page, not a copy),
    for a walk that unpacks the members it needs in one ``struct`` call: thousands of malloc
    types, each on a page of its own, where a copy, a ``Record`` and its member lookups per
    element were a good part of the walk's own time."""
    next_off = layout.offset(link)
    byteorder, size = target.byteorder, layout.size
    unpack_next = struct.Struct(("<" if byteorder == "little" else ">") + f"{next_off}x" +
                                ("Q" if target.pointer_size == 8 else "I")).unpack_from
    view = viewer(target)
    seen = set()
    prev, addr = 0, first
    while addr:
        if addr in seen:
            raise CycleError(what, f"{layout.name}.{link}", prev, addr)
        if len(seen) >= bound:
            raise BoundExceeded(what, bound)
        seen.add(addr)
        if misaligned(target, layout, addr):
            raise Misaligned(f"{layout.name} on {what}", addr, target.pointer_size)
        try:
            buffer, offset = view(addr, size)
        except MemoryFault as e:
            raise MemoryFault(addr, size, f"{layout.name} on {what}") from e
        yield addr, buffer, offset
        prev = addr
        addr, = unpack_next(buffer, offset)


def list_foreach(target, head_addr, layout, link, what, bound=DEFAULT_BOUND):
    """``LIST_FOREACH`` from the address of a ``LIST_HEAD``."""
    first = read_pointer(target, head_addr, f"list head {what}")
    return for_each_entry(target, first, layout, link, what, bound)
