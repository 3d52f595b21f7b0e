"""Bounded, cycle-checked walks of ``sys/queue.h`` lists (LIST, STAILQ, TAILQ).

Mirrors the forward ``*_FOREACH`` macros.  In every queue.h flavour the head's first pointer
(``lh_first``, ``stqh_first``, ``tqh_first``) is the head's first member and the entry's next
pointer (``le_next``, ``stqe_next``, ``tqe_next``) is the entry's first member, so one walker
serves all three; the members are often anonymous struct types the debug info cannot name.

A crash dump is exactly where lists are damaged, so every walk keeps a visited set and a
bound, and raises ``CycleError``/``BoundExceeded`` naming the list instead of spinning.
"""

from ..access.errors import BoundExceeded, CycleError
from ..access.record import read_record
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
    next_off = layout.offset(link)
    size = target.pointer_size
    seen = set()
    prev, addr = 0, first
    while addr:
        if addr in seen:
            raise CycleError(what, f"{layout.name}.{link}", prev, addr)
        if len(seen) >= bound:
            raise BoundExceeded(what, bound)
        seen.add(addr)
        rec = read_record(target, layout, addr, f"{layout.name} on {what}")
        yield rec
        prev = addr
        addr = int.from_bytes(rec.data[next_off:next_off + size], target.byteorder)


def list_foreach(target, head_addr, layout, link, what, bound=DEFAULT_BOUND):
    """``LIST_FOREACH`` from the address of a ``LIST_HEAD``."""
    first = read_pointer(target, head_addr, f"list head {what}")
    return for_each_entry(target, first, layout, link, what, bound)
