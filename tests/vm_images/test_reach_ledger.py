"""The reachability ledger (reach.json, GROUND_TRUTH.md) against the core's own bytes.

Read straight from the ELF core and ELF files (corefile.py), never through the plugin:
  * every item the ledger calls reachable is really held: the pointer word at `at` holds its
    address, or the list whose head is at `at` reaches it; `at` lies inside its holder (a kept,
    reachable item) or inside its root (a kernel or module global, a kernel thread stack, a
    CPU's struct pcpu, or a CPU's copy of a DPCPU variable);
  * every item it calls unreachable (the router's planted libalias leak) is pointed at by no
    pointer-sized aligned word of the kernel's and modules' data and bss, of the thread stacks,
    the pcpu and DPCPU areas, or of any reachable item: a scan from the kernel's roots cannot
    reach it.
"""
import json
import sys

import numpy as np
import pytest

from conftest import ERAS, ROOT, SCENARIOS, image_dir
from corefile import Core, Elf

sys.path.insert(0, str(ROOT / "plugins"))
from kmemdbg.leak.reach import Items, Source, scan  # noqa: E402
from kmemdbg.access.errors import MemoryFault  # noqa: E402

CASES = [(e, s) for e in ERAS for s in SCENARIOS]
MAX_LIST = 100000
PAGE = 4096


def load_reach(d):
    r = json.loads((d / "reach.json").read_text())
    cols = r["columns"]
    items = [dict(zip(cols, row)) for row in r["items"]]
    for it in items:
        it.update(r["kinds"][it["kind"]])
    return r, items


class Image:
    """Core, ledger, and the global symbols and writable sections of kernel and modules."""

    def __init__(self, era, scenario):
        d = image_dir(era, scenario)
        self.core = Core(d / "vmcore")
        self.reach, self.items = load_reach(d)
        self.by_addr = {it["addr"]: it for it in self.items}
        self.symbols, self.sections = {}, []
        for f in [d / "kernel", *sorted((d / "modules").glob("*.ko"))]:
            elf = Elf(f)
            base = self.core.load_base(elf)
            if base is None:
                assert f.suffix == ".ko", f     # a module the scenario does not load
                continue
            for name, (val, size) in elf.symbols().items():
                if val:
                    self.symbols.setdefault(name, (base + val, size))
            self.sections += [(f"{f.name}:{n}", base + a, s) for n, a, s in
                              elf.writable_sections()]
        self.lists = {}

    def pcpu(self, path):
        """The struct pcpu of the CPU a ledger path ``[cpu].member`` names (cpuid_to_pcpu)."""
        cpu = int(path[1:path.index("]")])
        return self.core.word(self.symbols["cpuid_to_pcpu"][0] + cpu * self.core.ptr)

    def dpcpu_off(self, cpu):
        return self.core.word(self.symbols["dpcpu_off"][0] + cpu * self.core.ptr)

    def dpcpu(self, path):
        """``(start, end)`` of the CPU's copy of the DPCPU variable a ledger path
        ``[cpu].pcpu_entry_<name>.member`` names: the variable's place in the set plus
        ``dpcpu_off[cpu]``."""
        cpu = int(path[1:path.index("]")])
        addr, size = self.symbols[path.split(".")[1]]
        return addr + self.dpcpu_off(cpu), addr + self.dpcpu_off(cpu) + size

    def dpcpu_areas(self):
        """``(name, start, end)`` of every CPU's copy of the DPCPU set (8+; none in 6.x)."""
        if "__start_set_pcpu" not in self.symbols:
            return []
        start, stop = self.symbols["__start_set_pcpu"][0], self.symbols["__stop_set_pcpu"][0]
        n = self.symbols["dpcpu_off"][1] // self.core.ptr
        offs = [(cpu, self.dpcpu_off(cpu)) for cpu in range(n)]
        return [(f"dpcpu {cpu}", start + off, stop + off) for cpu, off in offs if off]

    def list_members(self, head, next_off):
        """Addresses on the list whose head word is at `head` (bounded, cycle-safe)."""
        key = (head, next_off)
        if key not in self.lists:
            seen, p = set(), self.core.word(head)
            while p and p not in seen and len(seen) < MAX_LIST:
                seen.add(p)
                p = self.core.word(p + next_off)
            self.lists[key] = seen
        return self.lists[key]


@pytest.fixture(scope="module")
def image_cache():
    return {}


def image(cache, era, scenario):
    if (era, scenario) not in cache:
        cache.clear()                   # one image in memory at a time
        cache[(era, scenario)] = Image(era, scenario)
    return cache[(era, scenario)]


@pytest.mark.parametrize("era,scenario", CASES)
def test_reachable_items_are_held_in_core(images, image_cache, era, scenario):
    img = image(image_cache, era, scenario)
    s = img.reach["summary"]
    assert s["broken"] == 0
    assert s["items"] == len(img.items) == s["reachable"] + s["unreachable"] > 0
    kstack_roots = pcpu_roots = dpcpu_roots = 0
    areas = [(a, b) for _, a, b in img.dpcpu_areas()]
    for it in img.items:
        if not it["reachable"]:
            continue
        what = f"{it['ctype']} {it['addr']:#x} ({it['path']})"
        if it["next_off"] < 0:
            assert img.core.word(it["at"]) == it["addr"], what
        else:
            assert it["addr"] in img.list_members(it["at"], it["next_off"]), what
        h = it["holder"]
        if isinstance(h, int):
            holder = img.by_addr[h]
            assert holder["reachable"], what
            assert h <= it["at"] < h + holder["size"], what
            assert it["depth"] == holder["depth"] + 1, what
        elif h == "kstack":
            kstack_roots += 1
            assert it["depth"] == 0
        elif h == "pcpu":
            pcpu_roots += 1
            assert img.pcpu(it["path"]) <= it["at"] < img.pcpu(it["path"]) + PAGE, what
        elif h == "dpcpu":
            dpcpu_roots += 1
            start, end = img.dpcpu(it["path"])
            assert start <= it["at"] < end, what
            assert any(a <= start and end <= b for a, b in areas), what
            assert it["depth"] == 0
        else:
            addr, size = img.symbols[h]
            assert addr <= it["at"] < addr + max(size, 1), what
            assert it["depth"] == 0
    if scenario == "router":
        assert kstack_roots == 4        # vnodes only vnlru's sleeping thread holds
        assert pcpu_roots == 1          # a thread that exited, on its CPU's pc_deadthread
        # mbufs waiting on netisr workstreams (8+; 6.x has no DPCPU): 6 a tick, unless dropped
        assert 0 < dpcpu_roots <= 6 if areas else dpcpu_roots == 0


def kstacks(img):
    """(name, start, end) of the kernel stacks that hold ledger items."""
    size = (4 if img.core.ptr == 8 else 2) * PAGE     # KSTACK_PAGES of the era's kern_thread.c
    tops = {(it["at"] | (PAGE - 1)) + 1 for it in img.items if it["holder"] == "kstack"}
    return [(f"kstack {t - size:#x}", t - size, t) for t in sorted(tops)]


def _words(buf, ptr):
    n = len(buf) // ptr
    return np.frombuffer(buf[:n * ptr], dtype=np.uint64 if ptr == 8 else np.uint32)


@pytest.mark.parametrize("era", ERAS)
def test_planted_leak_is_unreachable_in_core(images, image_cache, era):
    img = image(image_cache, era, "router")
    lost = sorted((it["addr"], it["addr"] + it["size"]) for it in img.items
                  if it["reachable"] is False)
    assert len(lost) > 100
    assert {(it["ctype"], it["mtype"]) for it in img.items if it["reachable"] is False} == \
        {("struct alias_link", "libalias")}
    assert img.reach["summary"]["unreachable_bytes"] == sum(e - s for s, e in lost)
    starts = np.array([s for s, _ in lost], dtype=np.uint64)
    ends = np.array([e for _, e in lost], dtype=np.uint64)
    ptr = img.core.ptr
    sources = [(name, addr, img.core.read(addr, size)) for name, addr, size in img.sections]
    sources += [(name, start, img.core.read(start, end - start))
                for name, start, end in kstacks(img)]
    sources += [("pcpu", img.pcpu(it["path"]), img.core.read(img.pcpu(it["path"]), PAGE))
                for it in img.items if it["holder"] == "pcpu"]
    sources += [(name, start, img.core.read(start, end - start))
                for name, start, end in img.dpcpu_areas()]
    sources += [(f"{it['ctype']} {it['addr']:#x}", it["addr"],
                 img.core.read(it["addr"], it["size"]))
                for it in img.items if it["reachable"]]
    scanned = 0
    for name, addr, buf in sources:
        w = _words(buf[-addr % ptr:] if addr % ptr else buf, ptr).astype(np.uint64)
        i = np.searchsorted(starts, w, side="right") - 1
        hit = (i >= 0) & (w < ends[np.maximum(i, 0)])
        assert not hit.any(), f"{name} points at leaked item {int(w[hit][0]):#x}"
        scanned += len(buf)
    assert scanned > 1 << 20


UMA_ZONE_MALLOC, UMA_ZONE_PCPU = 0x10, 0x8000
UMA_ZFLAG_BUCKET, UMA_ZFLAG_INTERNAL = 0x10000000, 0x20000000


@pytest.mark.parametrize("era,scenario", CASES)
def test_ledger_covers_every_kept_item(images, era, scenario):
    """Every item in use of every malloc type, and of every zone but UMA's own (internal and
    bucket zones) and the per-CPU zones (13+: reached by zpcpu offsets, not pointers), is in
    the ledger; the UMA and malloc ledgers count them independently (expected.json)."""
    d = image_dir(era, scenario)
    exp = json.loads((d / "expected.json").read_text())
    _, items = load_reach(d)
    used = {z["name"]: z["used"] for z in exp["uma-zones"]["memory-zone-statistics"]["zone"]}
    skip = UMA_ZONE_MALLOC | UMA_ZONE_PCPU | UMA_ZFLAG_BUCKET | UMA_ZFLAG_INTERNAL
    kegs = [k for k in exp["ledger"]["kegs"] if not k["flags"] & skip]
    assert kegs
    for k in kegs:
        # the ledger names an item's zone by its slab: the keg's first zone
        tracked = sum(1 for it in items if it["zone"] == k["zones"][0] and it["mtype"] is None)
        assert tracked == sum(used[z] for z in k["zones"]), k["name"]
    for m in exp["malloc-types"]["malloc-statistics"]["memory"]:
        assert sum(1 for it in items if it["mtype"] == m["type"]) == m["in-use"], m["type"]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("scenario", ["fileserver", "idle"])
def test_quiet_images_leak_nothing(images, era, scenario):
    r, items = load_reach(image_dir(era, scenario))
    assert r["summary"]["unreachable"] == 0 and r["summary"]["broken"] == 0
    assert all(it["reachable"] for it in items)


class CoreTarget:
    """The scan's view of a core (read, pointer_size, byteorder), no debugger."""

    byteorder = "little"

    def __init__(self, core):
        self.core, self.pointer_size = core, core.ptr

    def read(self, addr, size):
        try:
            return self.core.read(addr, size)
        except KeyError:
            raise MemoryFault(addr, size) from None


@pytest.mark.parametrize("era", ["fbsd6", "fbsd11", "fbsd12", "fbsd13", "fbsd14"])
def test_scan_engine_reaches_exactly_the_ledger_reachable_items(images, image_cache, era):
    """The scan over the ledger's items from data/bss, the held-on stacks, the pcpu and DPCPU
    areas reaches exactly the items the ledger calls reachable, each through a word the core
    really holds."""
    img = image(image_cache, era, "router")
    items = sorted(img.items, key=lambda it: it["addr"])
    its = Items([it["addr"] for it in items], [it["addr"] + it["size"] for it in items])
    sources = [Source(n, a, a + sz) for n, a, sz in img.sections]
    sources += [Source(*k) for k in kstacks(img)]
    sources += [Source("pcpu", img.pcpu(it["path"]), img.pcpu(it["path"]) + PAGE)
                for it in items if it["holder"] == "pcpu"]
    sources += [Source(*area) for area in img.dpcpu_areas()]
    r = scan(CoreTarget(img.core), its, sources)
    assert [r.reached(i) for i in range(len(items))] == [it["reachable"] for it in items]
    for i in range(0, len(items), 97):
        if r.reached(i):
            word = int(r.holder_word[i])
            assert its.starts[i] <= img.core.word(word) < its.ends[i]
    assert not r.warnings and r.stats.reached == img.reach["summary"]["reachable"]
