"""Random damage to the simulated cores, through gdb and lldb-19: no command may print a traceback
or an internal error, end the debugger or run for minutes, whatever the core holds.

    /usr/bin/python3 tests/tools/fuzz_cores.py [--images fbsd13/router,...] [--trials 25]
        [--seed 1] [--core vmcore] [--debuggers gdb,lldb] [--max-damage 3] [--out DIR]
        [--kinds bucket,stats]
    /usr/bin/python3 tests/tools/fuzz_cores.py --replay DIR/fail-....json   (the damaged core)

A trial copies an image's core, damages one to ``--max-damage`` words of the allocators' own
structures (kegs, zones, their per-CPU caches and buckets, malloc types and their per-CPU
statistics, slab headers) or of any page of the core, runs every command once in one debugger
session, and keeps the damage and the output of a trial that went wrong as JSON (``--replay``
rebuilds its core).  It judges only that kmemdbg survived, not what it printed: the damage tests
(tests/e2e/test_damaged_cores.py) check the warnings.  `make fuzz`.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests"))
from e2e.damage import CoreFile  # noqa: E402

BUILD = os.environ.get("KMEMDBG_IMAGES") or os.path.join(REPO, "vm_images", "build")
IMAGES = ("fbsd6/router", "fbsd11-i386/router", "fbsd13/router", "fbsd15/router")
SESSION_SECONDS = 180      # every command of a trial, in one session; a healthy one takes ~2 s
# What a trial must never print: Python escaping the commands, or the debugger dying.
BAD = re.compile(r"internal error|Traceback|Python Exception|Error occurred in Python|"
                 r"Segmentation fault|Fatal Python error|internal-error|Aborted")
COMMANDS = ("uma-zones", "uma-zones --where --compat kvm", "malloc-types", "kmem-summary",
            "kmem-snapshot save {tmp}/snapshot.json", "kmem-whatis {addr} {struct} kmemstatistics",
            "uma-items '{zone}' --summary", "uma-items '{zone}' --where --limit 5",
            "kmem-holders '{zone}'", "kmem-findleaks", "kmem-report --html {tmp}/report.html")
END = "kmemdbg-fuzz-end"
KINDS = ("keg", "zone", "cache", "bucket", "type", "stats", "slab")     # what targets() finds

# gdb Python on the intact core: the allocators' structures as "S kind address size" lines.
_STRUCTS = """
import gdb
def entries(head, link, bound=5000):
    v, n = head["lh_first"], 0
    while int(v) and n < bound:
        yield v
        v, n = v[link]["le_next"], n + 1
def buckets(cache):     # a CPU's buckets: header and items (in struct uma_cache_bucket from 13)
    for member in ("uc_allocbucket", "uc_freebucket", "uc_crossbucket"):
        try:
            b = cache[member]
        except gdb.error:
            continue
        if b.type.strip_typedefs().code == gdb.TYPE_CODE_STRUCT:
            b = b["ucb_bucket"]
        if int(b):
            print("S bucket", int(b), min(b.dereference().type.sizeof + 8 * 64, 1024))
def zpcpu(base):       # CPU 0's copy of a per-CPU allocation (from 13 on amd64: off __pcpu)
    pcpu = gdb.parse_and_eval("__pcpu")
    if pcpu.type.strip_typedefs().code != gdb.TYPE_CODE_PTR:
        return base
    return (int(pcpu) + base) % (1 << 8 * pcpu.type.sizeof)     # the offset may be "negative"
def stats(t):          # the first CPUs' struct malloc_type_stats, in each era's place
    try:
        mti = t["ks_mti"]
    except gdb.error:
        handle = t["ks_handle"]
        if not int(handle):
            return
        mti = handle.cast(gdb.lookup_type("struct malloc_type_internal").pointer()).dereference()
    s = mti["mti_stats"]
    if s.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
        print("S stats", int(s.address), s[0].type.sizeof * min(cpus, 4))
    elif int(s):
        print("S stats", zpcpu(int(s)), s.dereference().type.sizeof)
cpus = int(gdb.parse_and_eval("mp_maxid")) + 1
for k in entries(gdb.parse_and_eval("uma_kegs"), "uk_link"):
    print("S keg", int(k), k.dereference().type.sizeof)
    internal = int(k["uk_flags"]) & 0x20000000     # boot-time zones: no room for uz_cpu[1..]
    for z in entries(k["uk_zones"], "uz_link"):
        print("S zone", int(z), min(z.dereference().type.sizeof, 512))
        for i in range(1 if internal else min(cpus, 4)):
            cache = z["uz_cpu"][i]
            print("S cache", int(cache.address), cache.type.sizeof)
            if not internal:
                buckets(cache)
t, n = gdb.parse_and_eval("kmemstatistics"), 0
while int(t) and n < 5000:
    print("S type", int(t), t.dereference().type.sizeof)
    if n < 200:
        stats(t)
    t, n = t["ks_next"], n + 1
"""


def gdb_batch(kernel, core, commands, timeout=300):
    argv = ["gdb", "-q", "-nx", "-batch", "-ex", f"source {REPO}/plugins/gdb_kmem.py"]
    for c in commands:
        argv += ["-ex", c]
    return subprocess.run(argv + [kernel, core], capture_output=True, text=True,
                          timeout=timeout).stdout


def targets(kernel, core, rng):
    """``(structures, zone names)`` of the intact core: kegs, zones (the first CPUs' caches and
    buckets too), malloc types (CPU 0's statistics of the first 200) and the slab headers of a
    few zones, as ``(kind, address, size)``."""
    with tempfile.NamedTemporaryFile("w", suffix=".py") as script:
        script.write(_STRUCTS)
        script.flush()
        out = subprocess.run(["gdb", "-q", "-nx", "-batch", "-x", script.name, kernel, core],
                             capture_output=True, text=True, timeout=300).stdout
    found = [(kind, int(addr), int(size)) for _, kind, addr, size in
             (line.split() for line in out.splitlines() if line.startswith("S "))]
    doc = _json(gdb_batch(kernel, core, ["uma-zones --format json"]))
    zones = [z["name"] for z in doc["memory-zone-statistics"]["zone"] if z.get("used")]
    for zone in rng.sample(zones, min(6, len(zones))):
        items = _json(gdb_batch(kernel, core, [f"uma-items '{zone}' --format json"]))
        found += [("slab", s, 64) for s in sorted({r["slab"] for r in items.get("uma-items", ())
                                                   if r.get("slab")})]
    return found, zones


def _json(text):
    return json.loads(text[text.index("{"):]) if "{" in text else {}


def damage(core, structs, rng, most, kinds=None):
    """Damage ``core`` (a ``CoreFile``) in place; the list of what was done, for ``--replay``.
    Each kind of structure is as likely as another, however many of it there are; with
    ``kinds``, only structures of those kinds are damaged (no word of any page)."""
    ps, done = core.psize, []
    pages = [seg for seg in core.loads if seg[2] >= 4096]
    chosen = sorted({kind for kind, _, _ in structs if not kinds or kind in kinds})
    for _ in range(rng.randint(1, most)):
        if kinds or rng.random() < 0.8:
            kind = rng.choice(chosen)
            _, base, size = rng.choice([s for s in structs if s[0] == kind])
            addr = base + rng.randrange(max(1, size // ps)) * ps
        else:
            vaddr, _, filesz = rng.choice(pages)
            kind, addr = "any", vaddr + rng.randrange(filesz // ps) * ps
        if rng.random() < 0.3:
            done.append({"what": kind, "addr": addr, "flip": rng.randrange(8 * ps)})
        else:
            other = rng.choice(structs)[1]
            value = rng.choice([0, (1 << 8 * ps) - 1, rng.getrandbits(8 * ps), other, addr,
                                addr + 3, rng.choice([1, 7, 255, 65535, 1 << 31]), 1 << 40,
                                other + rng.randrange(4096)])
            done.append({"what": kind, "addr": addr, "value": value})
    apply(core, done)
    return done


def apply(core, done):
    for d in done:
        if "flip" in d:
            core.flip(d["addr"], d["flip"])
        else:
            core.write_int(d["addr"], d["value"])


def session(debugger, kernel, core, commands):
    """``(output, seconds, dead)`` of every command in one batch session."""
    if debugger == "gdb":
        argv = ["gdb", "-q", "-nx", "-batch", "-ex", f"source {REPO}/plugins/gdb_kmem.py"]
        for c in commands + [f"echo {END}\\n"]:
            argv += ["-ex", c]
        argv += [kernel, core]
        script = None
    else:   # lldb --batch stops at the first failing command; a sourced file goes on
        script = tempfile.NamedTemporaryFile("w", suffix=".lldb", delete=False)
        script.write("\n".join(commands + [f'script print("{END}")']) + "\n")
        script.close()
        argv = ["lldb-19", "--batch", "--no-lldbinit",
                "-o", f"target create {kernel} --core {core}",
                "-o", f"command script import {REPO}/plugins/lldb_kmem.py",
                "-o", f"command source -e false -s false {script.name}"]
    start = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=SESSION_SECONDS)
        out, dead = p.stdout + p.stderr, p.returncode < 0
    except subprocess.TimeoutExpired as e:
        out, dead = _text(e.stdout) + _text(e.stderr) + "\n(timed out)", True
    finally:
        if script:
            os.unlink(script.name)
    return out, time.monotonic() - start, dead


def _text(data):
    return data.decode(errors="replace") if isinstance(data, bytes) else data or ""


def fuzz(image, core_name, debuggers, trials, seed, most, out_dir, kinds=None):
    """Run the trials of one image's core ``core_name``; the paths of the failures kept."""
    kernel, intact = (os.path.join(BUILD, image, f) for f in ("kernel", core_name))
    rng = random.Random(f"{image}/{seed}")
    structs, zones = targets(kernel, intact, rng)
    if kinds and not any(kind in kinds for kind, _, _ in structs):
        print(f"  {image}: no {' or '.join(kinds)} found, skipped", flush=True)
        return []
    failures = []
    with tempfile.TemporaryDirectory(prefix="kmemdbg-fuzz-") as tmp:
        for trial in range(trials):
            path = os.path.join(tmp, "vmcore")
            shutil.copy(intact, path)
            done = damage(CoreFile(path), structs, rng, most, kinds)
            addr, struct = rng.choice(structs)[1] + rng.randrange(256), rng.choice(structs)[1]
            commands = [c.format(tmp=tmp, addr=hex(addr), struct=hex(struct),
                                 zone=rng.choice(zones) if zones else "mbuf") for c in COMMANDS]
            for debugger in debuggers:
                text, seconds, dead = session(debugger, kernel, path, commands)
                bad = sorted(set(BAD.findall(text)))
                if bad or dead or END not in text or seconds > SESSION_SECONDS / 3:
                    name = (f"fail-{image.replace('/', '-')}-{core_name}-{debugger}-{seed}-"
                            f"{trial}.json")
                    failures.append(os.path.join(out_dir, name))
                    with open(failures[-1], "w") as f:
                        json.dump({"image": image, "core": core_name, "debugger": debugger,
                                   "damage": done, "commands": commands,
                                   "seconds": round(seconds, 1),
                                   "found": bad or ["no end marker" if END not in text
                                                    else "slow"], "output": text}, f, indent=1)
                    print(f"  {image} trial {trial} {debugger}: {failures[-1]}", flush=True)
    return failures


def replay(path):
    """A copy of the failure's core with its damage, next to the JSON; prints how to open it."""
    doc = json.load(open(path))
    core = path[:-len(".json")] + ".vmcore"
    shutil.copy(os.path.join(BUILD, doc["image"], doc["core"]), core)
    apply(CoreFile(core), doc["damage"])
    print(f"gdb -q -ex 'source {REPO}/plugins/gdb_kmem.py' {BUILD}/{doc['image']}/kernel {core}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", default=",".join(IMAGES))
    p.add_argument("--trials", type=int, default=25, help="per image (default 25)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--core", default="vmcore",
                   help="which core of each image (vmcore.sparse: without a minidump's pages)")
    p.add_argument("--debuggers", default="gdb,lldb")
    p.add_argument("--max-damage", type=int, default=3, help="words damaged per trial, at most")
    p.add_argument("--kinds", help=f"damage only these structures ({','.join(KINDS)}), not "
                                   "any page")
    p.add_argument("--out", default=os.path.join(BUILD, "fuzz"))
    p.add_argument("--replay", metavar="FAILURE.json")
    args = p.parse_args()
    if args.replay:
        return replay(args.replay)
    kinds = args.kinds and args.kinds.split(",")
    if kinds and not set(kinds) <= set(KINDS):
        p.error(f"--kinds: one of {','.join(KINDS)}")
    os.makedirs(args.out, exist_ok=True)
    failures, images = [], args.images.split(",")
    for image in images:
        print(f"kmemdbg-fuzz: {image}, {args.trials} trials", flush=True)
        failures += fuzz(image, args.core, args.debuggers.split(","), args.trials, args.seed,
                         args.max_damage, args.out, kinds)
    print(f"kmemdbg-fuzz: {len(failures)} failure(s) in {args.trials * len(images)} trials")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
