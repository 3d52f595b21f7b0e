"""``humanize_number(3)`` as libxo calls it for FreeBSD 15's ``vmstat -m`` (``{h:...}`` fields).

libxo picks the scale itself (the largest power of the divisor not above the value) and asks
humanize_number for exactly that scale, with ``HN_NOSPACE``; ``hn-decimal`` adds one decimal
below 10, ``hn-1000`` divides by 1000 with SI prefixes instead of 1024.
"""

_PREFIXES_1000 = ("", "k", "M", "G", "T", "P", "E")
_PREFIXES_1024 = ("", "K", "M", "G", "T", "P", "E")


def humanize(value, decimal=False, divisor_1000=False):
    divisor = 1000 if divisor_1000 else 1024
    cut = 950 if divisor_1000 else 973
    prefixes = _PREFIXES_1000 if divisor_1000 else _PREFIXES_1024
    scale, left = 0, value
    while left:
        left //= divisor
        scale += 1
    scale = max(scale - 1, 0)
    quotient, remainder = value, 0
    for _ in range(min(scale, len(prefixes) - 1)):
        remainder = quotient % divisor
        quotient //= divisor
    if decimal and scale > 0 and (quotient < 9 or (quotient == 9 and remainder < cut)):
        tenths = (remainder * 10 + divisor // 2) // divisor
        return f"{quotient + tenths // 10}.{tenths % 10}{prefixes[scale]}"
    return f"{quotient + (remainder + divisor // 2) // divisor}{prefixes[scale]}"
