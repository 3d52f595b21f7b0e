"""The kernel's bound on what UMA and malloc(9) may hold (kmem-summary shows it as the limit).
Sizes read from a dump are judged against it: a large allocation or a malloc type's memory use
beyond it is damage, not memory."""

from ..kernel.memory import read_symbol_int_or_none


def kmem_limit(target):
    """``(bytes kmem may hold, the global that says so)``, ``(None, None)`` when unreadable:
    ``uma_kmem_limit`` (12+), else ``vm_kmem_size``."""
    limit, name = read_symbol_int_or_none(target, "uma_kmem_limit"), "uma_kmem_limit"
    if not limit:
        limit, name = read_symbol_int_or_none(target, "vm_kmem_size"), "vm_kmem_size"
    return limit, (name if limit is not None else None)
