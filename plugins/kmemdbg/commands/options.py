"""argparse ``type=`` validators: a bad value is a usage error (status 2, one line) before any
target is touched, in every command and both debuggers."""

import argparse
import re

AUTO = "auto"
_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def count(text):
    """A row count, 0 or more (``--top``)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("N must be 0 or more")
    return n


def positive_count(text):
    """A count of at least 1 (``--count``)."""
    n = count(text)
    if n == 0:
        raise argparse.ArgumentTypeError("N must be positive")
    return n


def seconds(text):
    """A positive duration in seconds (``--interval``)."""
    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not s > 0:
        raise argparse.ArgumentTypeError("SECONDS must be positive")
    return s


def regex(text):
    """A compiled regular expression (``--match``)."""
    try:
        return re.compile(text)
    except re.error as e:
        raise argparse.ArgumentTypeError(f"bad regular expression: {e}") from None


def size(text):
    """``4096``, ``64K``, ``1M``, ``2G`` -> bytes; ``auto`` -> None (``--threshold``)."""
    if text == AUTO:
        return None
    t = text.strip().upper().rstrip("B")
    try:
        n = int(float(t[:-1]) * _UNITS[t[-1]]) if t and t[-1] in _UNITS else int(t)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return n


def column_name(columns):
    """A validator for ``--sort``: the name of one of ``columns`` (key or header, any case)."""
    names = {name.lower() for c in columns for name in (c.key, c.header)}

    def check(text):
        if text.lower() not in names:
            raise argparse.ArgumentTypeError(f"unknown column '{text}'; choose from "
                                             + ", ".join(c.key for c in columns))
        return text
    return check


_ADDRESS = re.compile(r"&?(?:(?P<num>0[xX][0-9a-fA-F]+|\d+)|"
                      r"(?P<sym>[A-Za-z_][A-Za-z0-9_.]*)(?:\+(?P<off>0[xX][0-9a-fA-F]+|\d+))?)")


def address(text):
    """``0x...``, decimal, or a kernel variable's ``name[+OFFSET]`` -> ``(name or None, n)``
    (``kmem-whatis ADDR``); the name is looked up when the command runs."""
    m = _ADDRESS.fullmatch(text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not an address or symbol: {text!r}")
    if m["num"]:
        return None, int(m["num"], 0)
    return m["sym"], int(m["off"], 0) if m["off"] else 0
