"""The kernel's identity for display: the ``version`` banner and ``osreldate``.

Never a decision input for structure layouts; only the vmstat text format of 13.x-15 (which
the kernel's structures cannot tell apart) is chosen from ``osreldate``.
"""

from dataclasses import dataclass
from typing import Optional

from ..target import read_cstring
from ..target.errors import KmemdbgError
from .memory import read_symbol_int


@dataclass(frozen=True)
class Release:
    version: Optional[str]
    osreldate: Optional[int]


def read_release(target):
    """Read ``version`` (first line) and ``osreldate``; either may be ``None``."""
    try:
        version = read_cstring(target, target.symbol_address("version"), 256)
        version = version.split("\n")[0].strip() or None
    except KmemdbgError:
        version = None
    try:
        osreldate = read_symbol_int(target, "osreldate")
    except KmemdbgError:
        osreldate = None
    return Release(version, osreldate)
