"""Expected ``uma-items`` and ``kmem-whatis`` answers, from the simulator's item ledger.

``items.json`` (vm_images/GROUND_TRUTH.md) records every keg slab with the state of each item
('a' allocated, 'k' free in its slab, 'b' free in a bucket, placed in ``buckets``), the zones
and the malloc(9) large allocations, as the simulator booked them while items moved.  These
helpers turn it into the records the commands print (the keys of the JSON contract that the
ledger knows), and pick a sample of addresses of every kind.
"""

import json
import os
import random

import pytest

CODES = {"a": "allocated", "k": "free", "b": "free"}


class ItemLedger:
    def __init__(self, directory):
        with open(os.path.join(directory, "items.json")) as f:
            self.doc = json.load(f)
        self.slabs = self.doc["slabs"]
        self.places = {b["item"]: b for b in self.doc["buckets"]}
        self.zones_of = {}
        for z in self.doc["zones"]:
            self.zones_of.setdefault(z["keg"], []).append(z["name"])

    def zone_names(self):
        """Zones on kegs, each name once (uma-items takes a name; cache-only zones, keg 0,
        have no items of their own)."""
        return sorted({z["name"] for z in self.doc["zones"] if z["keg"]})


    def item(self, slab, idx, offset=0):
        """The record of item ``idx`` of ``slab`` as ``kmem-whatis``/``uma-items`` print it."""
        start = slab["data"] + idx * slab["rsize"]
        code = slab["items"][idx]
        place = self.places.get(start) if code == "b" else None
        return {"address": start + offset, "kind": "uma-item", "keg": slab["keg"],
                "zone": place["zone"] if place else slab["zone"],
                "zones": self.zones_of.get(slab["keg"], []), "slab": slab["slab"],
                "item": start, "index": idx, "offset": offset, "size": slab["size"],
                "rsize": slab["rsize"], "state": CODES[code],
                "where": place["where"] if place else ("keg" if code == "k" else None),
                "cpu": place["cpu"] if place else None, "domain": slab["domain"],
                "symbol": None}

    def zone_items(self, name):
        """Every item of the kegs of the zones named ``name``, in address order."""
        kegs = {z["keg"] for z in self.doc["zones"] if z["name"] == name}
        return [self.item(s, i) for s in self.slabs if s["keg"] in kegs
                for i in range(s["ipers"])]

    def samples(self, seed, per_kind=6):
        """``[(address, expected record or None, kind)]``: item starts and interiors (every
        state and place), in-page slab headers, large allocations, NULL and unmapped."""
        rng = random.Random(seed)
        out = []
        by_code = {}
        for s in self.slabs:
            for i, c in enumerate(s["items"]):
                key = c if c != "b" else self.places[s["data"] + i * s["rsize"]]["where"]
                by_code.setdefault(key, []).append((s, i))
        for key, items in sorted(by_code.items()):
            for s, i in rng.sample(items, min(per_kind, len(items))):
                out.append(self.item(s, i))
                off = rng.randrange(1, s["rsize"]) if s["rsize"] > 1 else 0
                out.append(self.item(s, i, off))
        inpage = [s for s in self.slabs if s["header_inpage"]]
        for s in rng.sample(inpage, min(per_kind, len(inpage))):
            k = rng.randrange(s["header_size"])
            out.append({"address": s["header"] + k, "kind": "uma-slab-header", "keg": s["keg"],
                        "zone": self.zones_of[s["keg"]][0], "zones": self.zones_of[s["keg"]],
                        "slab": s["slab"], "item": s["header"], "index": None, "offset": k,
                        "size": s["header_size"], "rsize": None, "state": None, "where": None,
                        "cpu": None, "domain": s["domain"], "symbol": None})
        for big in self.doc["large"][:per_kind]:
            k = rng.randrange(big["size"])
            if big["header"]:
                out.append({"address": big["start"] + k, "kind": "malloc-large", "keg": None,
                            "zone": None, "zones": None, "slab": big["header"],
                            "item": big["start"], "index": None, "offset": k,
                            "size": big["size"], "rsize": None, "state": "allocated",
                            "where": None, "cpu": None, "domain": None, "symbol": None})
            else:     # 13+: only struct vm_page records it, which kmemdbg does not read
                out.append({"address": big["start"] + k, "kind": "unknown"})
        out.append({"address": 0, "kind": "unknown"})
        out.append({"address": 0x10, "kind": "unknown"})
        return out


def item_ledger(image):
    """The image's ``ItemLedger``; a named skip when the image has no items.json."""
    if not os.path.exists(os.path.join(image.dir, "items.json")):
        pytest.skip(f"{image.id}: no items.json (rebuild with `make -C vm_images`)")
    return ItemLedger(image.dir)


def compare(got, want):
    """The keys of ``want`` that ``got`` answers differently: ``{key: (got, want)}``."""
    return {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
