"""What allocated items look like: their first pointer-sized words, classified and grouped.

``uma-items --summary`` answers "what is this growing zone full of" the way one would by eye:
a first word pointing at an ops table (a kernel symbol), into another zone's items, NULL or a
small integer.  Items are read one slab at a time.
"""

from collections import Counter

from ..access.errors import MemoryFault
from ..access.pagecache import read_uncached

SMALL = 1 << 16
WORDS = 2


def classify(index, word, symbols):
    """A short description of one word's value."""
    if word == 0:
        return "NULL"
    if word < SMALL:
        return "small integer"
    slab = index.slab_at(word)
    if slab is not None:
        return f"-> zone '{index.kegs[slab.keg].name}'"
    if word not in symbols:
        sym = index._symbolize(word)
        symbols[word] = f"&{sym.name}" if sym is not None else "other"
    return symbols[word]


def summarize(index, zone_addrs, warnings):
    """``[{"count", "word0", "word1", "example"}]`` over the allocated items of the zones'
    kegs, biggest group first, and the number of items summed."""
    t = index.target
    ps, order = t.pointer_size, t.byteorder
    counts, examples, symbols = Counter(), {}, {}
    total = 0
    for slab in index.slabs_of(zone_addrs):
        g = index.kegs[slab.keg].geo
        try:
            data = read_uncached(t, slab.data, g.ipers * g.rsize)
        except MemoryFault as e:
            warnings.append(f"items of slab {slab.header:#x}: {e}")
            continue
        for idx in range(g.ipers):
            item = slab.data + idx * g.rsize
            if index.state_of(slab, idx, item)[0] != "allocated":
                continue
            off = idx * g.rsize
            key = tuple(classify(index, int.from_bytes(data[off + i * ps:off + (i + 1) * ps],
                                                       order), symbols)
                        if (i + 1) * ps <= g.rsize else "-" for i in range(WORDS))
            counts[key] += 1
            examples.setdefault(key, item)
            total += 1
    groups = [{"count": n, "word0": k[0], "word1": k[1], "example": examples[k]}
              for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return groups, total
