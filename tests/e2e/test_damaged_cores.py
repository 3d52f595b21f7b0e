"""Never silently wrong: mutated copies of image cores, one damage class each, through real gdb and
lldb-19.  Each damaged run must name the damage (a warning or one refusal naming the symbol,
member or address) and leave the rows the damage does not touch exactly as on the intact core;
intact cores of every era must print no warning in any command.

One debugger session per (debugger, core) runs every command; eras are sampled (an i386 era
before 13 and an amd64 13+ era) to keep the run to a few minutes.
"""

import json
import os
import shutil

import pytest

from .damage import CoreFile, copy_core, locate
from .debuggers import Debugger
from .images import SKIP_REASON, crash_images

ROUTERS = {i.era: i for i in crash_images(("router",))}
# KMEMDBG_DAMAGE_ERAS=all (or a comma list) widens the damaged runs to more eras.
_ERAS = os.environ.get("KMEMDBG_DAMAGE_ERAS", "fbsd6,fbsd13")
SAMPLED = [ROUTERS[e] for e in (sorted(ROUTERS) if _ERAS == "all" else _ERAS.split(","))
           if e in ROUTERS]
pytestmark = pytest.mark.skipif(not SAMPLED, reason=SKIP_REASON)
KINDS = ("gdb", "lldb")

# name -> command; "{baseline}" is a snapshot of the intact core (kmem-diff against the target).
COMMANDS = {
    "zones": "uma-zones --format json",
    "zones-table": "uma-zones",
    "zones-kvm": "uma-zones --compat kvm --format json",
    "zones-where": "uma-zones --where --format json",
    "zones-csv": "uma-zones --format csv",
    "zones-vmstat": "uma-zones --compat kvm --format vmstat",
    "types": "malloc-types --format json",
    "types-table": "malloc-types",
    "summary": "kmem-summary --format json",
    "summary-table": "kmem-summary",
    "owner": "kmem-owner mbuf",
    "diff": "kmem-diff {baseline} --format json --no-owner",
}
TARGET_COMMANDS = tuple(COMMANDS)
_RUNS = {}


class Run:
    """What one session printed: ``text[name]``, ``status[name]``, ``raw[name]``, ``alive``."""

    def __init__(self, kind, kernel, core, baseline, commands=COMMANDS, env=None):
        self.text, self.status, self.raw = {}, {}, {}
        dbg = Debugger.open(kind, kernel, core=core, env=env)
        try:
            for name, command in commands.items():
                self.text[name] = dbg.run(command.format(baseline=baseline), timeout=180)
                self.status[name] = dbg.status
                self.raw[name] = dbg.raw
            self.alive = dbg.alive()
        finally:
            dbg.close()

    def json(self, name):
        try:
            return json.loads(self.text[name])
        except ValueError:
            pytest.fail(f"{name} printed invalid JSON:\n{self.text[name][:3000]}")


def run(kind, image, core, baseline, **kw):
    """One shared session per (debugger, kernel, core)."""
    key = (kind, image.kernel, core, tuple(kw.get("commands", COMMANDS)), str(kw.get("env")))
    if key not in _RUNS:
        _RUNS[key] = Run(kind, image.kernel, core, baseline, **kw)
    return _RUNS[key]


@pytest.fixture(scope="module")
def baselines(tmp_path_factory):
    """{era: snapshot of the intact router core} (saved once, by gdb)."""
    out = {}
    for image in SAMPLED:
        path = str(tmp_path_factory.mktemp("baseline") / f"{image.era}.json")
        dbg = Debugger.open("gdb", image.kernel, core=image.core)
        try:
            dbg.run(f"kmem-snapshot save {path}", timeout=180)
        finally:
            dbg.close()
        assert os.path.exists(path)
        out[image.era] = path
    return out


def zone_rows(doc):
    return {z["name"]: z for z in doc["memory-zone-statistics"]["zone"]}


def type_rows(doc):
    return {t["type"]: t for t in doc["malloc-statistics"]["memory"]}


def json_warnings(doc):
    """The warnings of any command's JSON document (top level, or inside its one member)."""
    inner = next(iter(doc.values())) if len(doc) == 1 and isinstance(next(iter(doc.values())),
                                                                       dict) else {}
    return list(doc.get("warnings") or []) + list(inner.get("warnings") or [])


def assert_clean(r, names=TARGET_COMMANDS):
    """No warning, no error, status 0 (kmem-diff: 1 is its verdict "culprit found"), in every
    listed command."""
    for name in names:
        text = r.text[name]
        assert r.status[name] in ((0, 1) if name == "diff" else (0,)) \
            and "kmemdbg: warning" not in text \
            and "kmemdbg: error" not in text and "Traceback" not in text, f"{name}:\n{text[-2000:]}"
        if text.lstrip().startswith("{"):
            doc = r.json(name)
            assert not json_warnings(doc), f"{name}: {json_warnings(doc)}"
    assert r.alive


# ---- intact cores ------------------------------------------------------------------------------

ALL_ERAS = sorted(ROUTERS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("era", ALL_ERAS)
def test_intact_cores_print_no_warning(kind, era, tmp_path):
    image = ROUTERS[era]
    early = _early_core(image)
    commands = {"snapshot": f"kmem-snapshot save {tmp_path}/early.json"}
    assert_clean(run(kind, image, early, None, commands=commands), names=tuple(commands))
    commands = dict(COMMANDS, snapshot=f"kmem-snapshot save {tmp_path}/late.json")
    assert_clean(run(kind, image, image.core, f"{tmp_path}/early.json", commands=commands),
                 names=tuple(commands))


def _early_core(image):
    """The image's mid-run core (``vmcore.T``), for a kmem-diff over time."""
    cores = sorted(f for f in os.listdir(image.dir) if f.startswith("vmcore."))
    assert cores, f"no mid-run core in {image.dir}"
    return os.path.join(image.dir, cores[0])


# ---- all_cpus ----------------------------------------------------------------------------------

def _cpus_zeroed(image, tmp):
    where = locate(image, ["&all_cpus", "sizeof(all_cpus)"])
    core = CoreFile(copy_core(image, tmp, "cpus-zeroed"))
    core.zero(where["&all_cpus"], where["sizeof(all_cpus)"])
    return core.path, where["&all_cpus"]


@pytest.fixture(scope="module", params=SAMPLED, ids=[i.era for i in SAMPLED])
def cpus_zeroed(request, tmp_path_factory):
    image = request.param
    path, addr = _cpus_zeroed(image, tmp_path_factory.mktemp("cpus"))
    return image, path, addr


@pytest.mark.parametrize("kind", KINDS)
def test_zeroed_cpu_set_is_named_and_rows_unchanged(kind, cpus_zeroed, baselines):
    image, core, addr = cpus_zeroed
    intact = run(kind, image, image.core, baselines[image.era])
    damaged = run(kind, image, core, baselines[image.era])
    named = f"all_cpus at {addr:#x} is inconsistent"
    for name in ("zones", "zones-where", "types", "summary"):
        warnings = json_warnings(damaged.json(name))
        assert any(named in w and "mp_ncpus" in w for w in warnings), (name, warnings)
    for name in ("zones-table", "types-table", "summary-table", "owner"):
        assert named in damaged.text[name], damaged.text[name][-1500:]
    assert any(named in w for w in json_warnings(damaged.json("diff")))
    assert all(damaged.status[n] == 0 for n in COMMANDS if n != "diff"), damaged.status
    assert zone_rows(damaged.json("zones")) == zone_rows(intact.json("zones"))
    assert zone_rows(damaged.json("zones-where")) == zone_rows(intact.json("zones-where"))
    assert type_rows(damaged.json("types")) == type_rows(intact.json("types"))
    assert damaged.alive


# ---- strings from the dump ----------------------------------------------------------------------

ESCAPE = b"\x1b[2J"                  # clear screen: as long as "mbuf", so the NUL stays
TITLE = b"\x1b]2;pwned\x07\x9b"      # set the terminal title, then a C1 CSI


@pytest.fixture(scope="module", params=SAMPLED, ids=[i.era for i in SAMPLED])
def binary_strings(request, tmp_path_factory):
    """The "mbuf" zone's name becomes an escape sequence, and so does the panic message."""
    image = request.param
    where = locate(image, ["zone_mbuf->uz_name", "panicstr"])
    core = CoreFile(copy_core(image, tmp_path_factory.mktemp("strings"), "strings"))
    assert core.read(where["zone_mbuf->uz_name"], 5) == b"mbuf\0"
    core.write(where["zone_mbuf->uz_name"], ESCAPE)
    core.write(where["panicstr"], TITLE)
    return image, core.path


@pytest.mark.parametrize("kind", KINDS)
def test_binary_strings_are_escaped_in_every_format(kind, binary_strings, baselines):
    image, core = binary_strings
    r = run(kind, image, core, baselines[image.era])
    for name in COMMANDS:
        assert "\x1b[2J" not in r.raw[name] and "pwned\x07" not in r.raw[name] \
            and "\x9b" not in r.raw[name], name
    assert "\\x1b[2J" in zone_rows(r.json("zones"))
    assert "\\x1b[2J" in zone_rows(r.json("zones-kvm"))
    for name in ("zones-table", "zones-csv", "zones-vmstat"):
        assert "\\x1b[2J" in r.text[name], r.text[name][-1500:]
    assert "\\x1b]2;pwned\\x07\\x9b" in r.text["summary-table"]
    assert "\\x1b]2;pwned\\x07\\x9b" in r.json("summary")["kmem-summary"]["kernel"]["panicstr"]
    assert r.alive


# ---- kernel and core ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_core_of_another_kernel_is_refused_by_name(kind):
    if not ("fbsd13" in ROUTERS and "fbsd14" in ROUTERS):
        pytest.skip("needs the fbsd13 and fbsd14 images")
    kernel, core = ROUTERS["fbsd14"].kernel, ROUTERS["fbsd13"].core
    dbg = Debugger.open(kind, kernel, core=core)
    try:
        out = dbg.run("uma-zones", timeout=120)
        status = dbg.status
        forced = dbg.run("malloc-types --force --format json", timeout=120)
    finally:
        dbg.close()
    assert status == 1 and out.count("kmemdbg: error:") == 1, out
    assert "the core was not made by this kernel" in out or "the core holds no memory" in out
    assert "FreeBSD 14.1-RELEASE" in out and "--force" in out
    assert f"kernel {kernel}, core {core}" in out          # both files, in both debuggers
    # lldb slides the PIE kernel onto the core: where both kernels keep version[] at the same
    # offset (a layout coincidence, not a given), the core's own banner is read and named too
    where = {locate(ROUTERS[e], ["&version"])["&version"] for e in ("fbsd13", "fbsd14")}
    if kind == "lldb" and len(where) == 1:
        assert "FreeBSD 13.2-RELEASE" in out
    assert "Traceback" not in forced


@pytest.mark.parametrize("kind", KINDS)
def test_other_build_of_the_same_release_is_refused_by_build_id(kind, tmp_path):
    image = SAMPLED[-1]
    kernel = str(tmp_path / "kernel")
    shutil.copy(image.kernel, kernel)
    os.symlink(os.path.join(image.dir, "modules"), tmp_path / "modules")
    note = [s for s in _notes(kernel) if s[0] == ".note.gnu.build-id"]
    assert note, "no build-id note in the image kernel"
    _, offset = note[0]
    with open(kernel, "r+b") as f:        # descriptor = note + 16 (namesz 4 "GNU\0")
        f.seek(offset + 16)
        first = f.read(1)
        f.seek(offset + 16)
        f.write(bytes([first[0] ^ 0xff]))
    env_forced = run(kind, image, image.core, None, commands={"zones": "uma-zones --top 3"})
    dbg = Debugger.open(kind, kernel, core=image.core)
    try:
        out = dbg.run("uma-zones --top 3", timeout=120)
        status = dbg.status
    finally:
        dbg.close()
    assert status == 1 and "build-id" in out and "another build" in out, out
    forced = Debugger.open(kind, kernel, core=image.core, env={"KMEMDBG_FORCE": "1"})
    try:
        text = forced.run("uma-zones --top 3", timeout=120)
    finally:
        forced.close()
    assert text == env_forced.text["zones"]


def _notes(path):
    """``(section name, file offset)`` of the kernel's sections (readelf)."""
    import subprocess
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 5 and parts[0].startswith("[") and parts[1].startswith("."):
            found.append((parts[1], int(parts[4], 16)))
    return found


# ---- a live kernel --------------------------------------------------------------------------------

def _write(dbg, addr, data):
    """Write bytes into the live kernel's memory through the debugger itself."""
    if dbg.kind == "gdb":
        out = dbg.run(f"python gdb.selected_inferior().write_memory({addr}, {bytes(data)!r})")
    else:
        out = dbg.run(f"script e = lldb.SBError(); lldb.process.WriteMemory({addr}, "
                      f"{bytes(data)!r}, e); print('written' if e.Success() else e)")
        assert "written" in out, out
    assert "Error" not in out and "Traceback" not in out, out


def _value(dbg, expr):
    out = dbg.run(f'print/u (unsigned long)({expr})' if dbg.kind == "gdb"
                  else f"expression -f u -- (unsigned long)({expr})")
    return int(out.strip().split()[-1])


@pytest.mark.parametrize("kind", KINDS)
def test_live_kernel_damage_is_named(kind, tmp_path):
    from .test_live import LiveKernel
    if "fbsd14" not in ROUTERS:
        pytest.skip("needs the fbsd14 image")
    live = LiveKernel("fbsd14", tmp_path, interval=3)
    dbg = None
    try:
        live.wait_tick(2)
        dbg = Debugger.open(kind, live.kernel, pid=live.pid)
        expected = live.expected()
        cpus, size, name = (_value(dbg, e) for e in ("&all_cpus", "sizeof(all_cpus)",
                                                       "zone_mbuf->uz_name"))
        _write(dbg, cpus, bytes(size))
        _write(dbg, name, ESCAPE)
        zones = json.loads(dbg.run("uma-zones --format json", timeout=120))
        table = dbg.run("uma-zones")
        raw = dbg.raw
        assert dbg.alive()
    finally:
        if dbg is not None:
            dbg.close()
        live.close()
    assert any(f"all_cpus at {cpus:#x} is inconsistent" in w for w in zones["warnings"])
    got = zone_rows(zones)
    want = zone_rows(expected["uma-zones"])
    want["\\x1b[2J"] = dict(want.pop("mbuf"), name="\\x1b[2J")
    assert got == want
    assert "\x1b[2J" not in raw and "all_cpus" in table


# ---- model invariants ---------------------------------------------------------------------------

def _cstring(core, addr):
    return core.read(addr, 32).split(b"\0")[0].decode()


def _release(image):
    return int(image.era[4:].split("-")[0])


def _new13(image):
    return _release(image) >= 13


def _stats_cpu0(image, member):
    """Address of CPU 0's ``struct malloc_type_stats`` member of M_DEVBUF: a zpcpu offset from
    ``__pcpu`` in 13+ (amd64), a zpcpu pointer behind ``ks_handle`` in 12, ``mti_stats[]``
    before."""
    off = f"(unsigned long)&((struct malloc_type_stats *)0)->{member}"
    mti = "((struct malloc_type_internal *)M_DEVBUF[0].ks_handle)"
    if _new13(image):
        return f"(unsigned long)__pcpu + (unsigned long)M_DEVBUF[0].ks_mti.mti_stats + {off}"
    if _release(image) == 12:
        return f"(unsigned long){mti}->mti_stats + {off}"
    return f"(unsigned long)&{mti}->mti_stats[0] + {off}"


def damage_kegs_empty(image, core):
    at = locate(image, ["&uma_kegs"])["&uma_kegs"]
    core.write_int(at, 0)
    return {"addr": at}


def damage_types_empty(image, core):
    at = locate(image, ["&kmemstatistics"])["&kmemstatistics"]
    core.write_int(at, 0)
    return {"addr": at}


def damage_keg_without_zone(image, core):
    w = locate(image, ["uma_kegs.lh_first", "&uma_kegs.lh_first->uk_zones",
                       "uma_kegs.lh_first->uk_zones.lh_first->uz_name"])
    lost = _cstring(core, w["uma_kegs.lh_first->uk_zones.lh_first->uz_name"])
    core.write_int(w["&uma_kegs.lh_first->uk_zones"], 0)
    return {"addr": w["uma_kegs.lh_first"], "lost": lost}


def damage_zone_misaligned(image, core):
    w = locate(image, ["&zone_mbuf->uz_link.le_next", "zone_mbuf->uz_link.le_next",
                       "zone_mbuf->uz_link.le_next->uz_name"])
    lost = _cstring(core, w["zone_mbuf->uz_link.le_next->uz_name"])
    bad = w["zone_mbuf->uz_link.le_next"] + 2
    core.write_int(w["&zone_mbuf->uz_link.le_next"], bad)
    return {"addr": bad, "lost": lost}


def damage_frees_exceed(image, core):
    at = locate(image, ["&zone_mbuf->uz_cpu[0].uc_frees"])["&zone_mbuf->uz_cpu[0].uc_frees"]
    core.write_int(at, core.read_int(at, 8) + 10 ** 9, 8)
    return {"addr": at, "zone": "mbuf"}


def damage_type_negative(image, core):
    expr = _stats_cpu0(image, "mts_memfreed")
    at = locate(image, [expr])[expr]
    core.write_int(at, core.read_int(at, 8) + (1 << 40), 8)
    return {"addr": at, "type": "devbuf"}


def damage_kmem_absurd(image, core):
    n = _release(image)
    expr = "&uma_kmem_total" if n >= 12 else "&kmem_arena->vm_inuse" if n >= 10 \
        else "&kmem_map->size"
    at = locate(image, [expr])[expr]
    core.write_int(at, 1 << (8 * core.psize - 4))       # far above any kmem limit
    return {"addr": at, "symbol": expr.lstrip("&")}


def damage_malloc_zone_grows(image, core):
    zone = "kmemzones[3].kz_zone" + ("[0]" if image.era != "fbsd6" else "")
    w = locate(image, [f"&{zone}->uz_cpu[0].uc_allocs", f"{zone}->uz_name", "kmemzones[3].kz_size"])
    at = w[f"&{zone}->uz_cpu[0].uc_allocs"]
    core.write_int(at, core.read_int(at, 8) + 1000, 8)
    return {"zone": _cstring(core, w[f"{zone}->uz_name"]), "size": w["kmemzones[3].kz_size"]}


def damage_bucket_overfull(image, core):
    """CPU 0's alloc bucket of "mbuf" claims more items than it has room for."""
    bucket = "zone_mbuf->uz_cpu[0].uc_allocbucket" + ("." if _new13(image) else "->")
    cnt, entries = (bucket + m for m in (("ucb_cnt", "ucb_entries") if _new13(image)
                                         else ("ub_cnt", "ub_entries")))
    w = locate(image, [f"&{cnt}", entries, f"sizeof({cnt})"])
    core.write_int(w[f"&{cnt}"], w[entries] + 7, w[f"sizeof({cnt})"])
    return {"count": w[entries] + 7, "entries": w[entries]}


def damage_bucket_misaligned(image, core):
    """Before 13 a per-CPU bucket is a pointer: CPU 0's alloc bucket of "mbuf" moves by 2."""
    if _new13(image):
        return None
    at = locate(image, ["&zone_mbuf->uz_cpu[0].uc_allocbucket"])[
        "&zone_mbuf->uz_cpu[0].uc_allocbucket"]
    bad = core.read_int(at) + 2
    core.write_int(at, bad)
    return {"addr": bad}


def damage_keg_size_absurd(image, core):
    """The keg of "mbuf" claims items of 4 GiB: uk_size and uk_rsize 0xffffffff."""
    n = _release(image)
    keg = "zone_mbuf->uz_kegs.lh_first->kl_keg" if 7 <= n <= 12 else "zone_mbuf->uz_keg"
    w = locate(image, [keg, f"&{keg}->uk_size", f"&{keg}->uk_rsize"])
    for member in ("uk_size", "uk_rsize"):
        core.write_int(w[f"&{keg}->{member}"], 0xFFFFFFFF, 4)
    return {"keg": w[keg]}


def damage_zone_used_absurd(image, core):
    """CPU 0's uc_allocs of "mbuf" grows by 2**40: items in use beyond kmem and the keg."""
    at = locate(image, ["&zone_mbuf->uz_cpu[0].uc_allocs"])["&zone_mbuf->uz_cpu[0].uc_allocs"]
    core.write_int(at, core.read_int(at, 8) + (1 << 40), 8)
    return {"zone": "mbuf"}


def damage_type_allocs_absurd(image, core):
    """CPU 0's mts_numallocs of devbuf grows by 2**40: more allocations than bytes allocated."""
    expr = _stats_cpu0(image, "mts_numallocs")
    at = locate(image, [expr])[expr]
    core.write_int(at, core.read_int(at, 8) + (1 << 40), 8)
    return {"type": "devbuf"}


def damage_segment_zeroed(image, core):
    """The memory segment holding the first keg (and with it the kegs' arena) reads as zeros."""
    first = locate(image, ["uma_kegs.lh_first"])["uma_kegs.lh_first"]
    start, size = core.zero_segment(first)
    return {"keg": first, "start": start, "size": size}


DAMAGES = {name[len("damage_"):].replace("_", "-"): fn for name, fn in globals().items()
           if name.startswith("damage_")}


@pytest.fixture(scope="module")
def damaged_cores(tmp_path_factory):
    """``{(damage, era): (image, core path, facts)}``, made on first use."""
    made = {}

    def get(damage, image):
        key = (damage, image.era)
        if key not in made:
            core = CoreFile(copy_core(image, tmp_path_factory.mktemp(damage), damage))
            made[key] = (image, core.path, DAMAGES[damage](image, core))
        return made[key]
    return get


def _damaged(kind, damage, image, damaged_cores, baselines):
    image, path, facts = damaged_cores(damage, image)
    return (run(kind, image, image.core, baselines[image.era]),
            run(kind, image, path, baselines[image.era]), facts)


def _warned(r, name, *words):
    """Some warning of command ``name`` (text or JSON) contains every word."""
    text = r.text[name]
    lines = json_warnings(r.json(name)) if text.lstrip().startswith("{") else \
        [line for line in text.splitlines() if line.startswith(("kmemdbg: warning", "  "))]
    return any(all(w in line for w in words) for line in lines)


def assert_warned(r, names, *words):
    """Each command printed its rows (status 0) with a warning holding every word."""
    for name in names:
        assert _warned(r, name, *words) and r.status[name] == 0, (name, r.text[name][-1500:])


def assert_refused(r, names, *words):
    """Each command failed with one error holding every word, not an empty table."""
    for name in names:
        text = r.text[name]
        assert r.status[name] == 1 and "(no rows)" not in text \
            and all(w in text for w in words), (name, text[-800:])


def assert_untouched_zones(r, intact, changed):
    """Every zone row but ``changed`` is as on the intact core, in every zone view."""
    for name in ("zones", "zones-kvm", "zones-where"):
        _same_except(zone_rows(r.json(name)), zone_rows(intact.json(name)), changed)


def _same_except(got, want, changed):
    for name in set(want) | set(got):
        if name not in changed:
            assert got.get(name) == want.get(name), name


def each_debugger_and_era(test):
    """Run ``test(kind, image, ...)`` in gdb and lldb on each sampled era."""
    return pytest.mark.parametrize("kind", KINDS)(
        pytest.mark.parametrize("image", SAMPLED, ids=[i.era for i in SAMPLED])(test))


@each_debugger_and_era
def test_empty_keg_list_is_refused_and_named(kind, image, damaged_cores, baselines):
    _, r, facts = _damaged(kind, "kegs-empty", image, damaged_cores, baselines)
    assert_refused(r, ("zones", "zones-table", "zones-kvm", "zones-where"), "uma_kegs",
                   f"{facts['addr']:#x}")
    assert_warned(r, ("summary",), "uma_kegs")
    assert "uma_kegs" in r.text["owner"] and "no malloc type or zone named 'mbuf'" in r.text["owner"]
    assert r.status["types"] == 0 and r.alive


@each_debugger_and_era
def test_empty_malloc_type_list_is_refused_and_named(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "types-empty", image, damaged_cores, baselines)
    assert_refused(r, ("types", "types-table"), "kmemstatistics", f"{facts['addr']:#x}")
    assert zone_rows(r.json("zones")) == zone_rows(intact.json("zones"))
    assert_warned(r, ("summary",), "kmemstatistics")


@each_debugger_and_era
def test_keg_without_zone_is_named(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "keg-without-zone", image, damaged_cores, baselines)
    assert_warned(r, ("zones", "zones-kvm", "zones-where"), f"{facts['addr']:#x}", "uk_zones",
                  "no zone")
    assert_untouched_zones(r, intact, {facts["lost"]})
    assert facts["lost"] not in zone_rows(r.json("zones"))


@each_debugger_and_era
def test_misaligned_zone_pointer_is_marked(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "zone-misaligned", image, damaged_cores, baselines)
    bad = f"{facts['addr']:#x}"
    rows = zone_rows(r.json("zones"))
    assert f"<zone {bad}>" in rows and facts["lost"] not in rows
    assert rows[f"<zone {bad}>"]["used"] is None
    assert_warned(r, ("zones", "zones-table", "zones-kvm"), bad, "aligned")
    assert f"<zone {bad}>" in r.text["zones-table"]
    assert_untouched_zones(r, intact, {facts["lost"], f"<zone {bad}>"})


@each_debugger_and_era
def test_frees_exceeding_allocations_are_named(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "frees-exceed", image, damaged_cores, baselines)
    assert_warned(r, ("zones", "zones-table", "zones-where", "zones-kvm"), '"mbuf"', "uc_frees",
                  "exceed")
    rows = zone_rows(r.json("zones"))
    assert rows["mbuf"]["used"] is None
    assert_untouched_zones(r, intact, {"mbuf"})
    assert_warned(r, ("summary",), '"mbuf"', "exceed")
    assert any('"mbuf"' in w and "exceed" in w for w in json_warnings(r.json("diff")))
    assert "exceed" in r.text["owner"] and "zone_mbuf" in r.text["owner"]
    assert r.status["owner"] == 0 and r.alive


@each_debugger_and_era
def test_negative_malloc_memory_use_is_marked(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "type-negative", image, damaged_cores, baselines)
    assert_warned(r, ("types", "types-table"), '"devbuf"', "mts_memfreed", "negative")
    rows = type_rows(r.json("types"))
    assert rows["devbuf"]["memory-use"] is None
    _same_except(rows, type_rows(intact.json("types")), {"devbuf"})
    assert_warned(r, ("summary",), '"devbuf"', "negative")


@each_debugger_and_era
def test_absurd_kmem_in_use_is_named(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "kmem-absurd", image, damaged_cores, baselines)
    assert_warned(r, ("summary", "summary-table"), facts["symbol"], f"{facts['addr']:#x}", "limit")
    assert r.json("summary")["kmem-summary"]["kmem"]["in_use"] is None
    assert r.text["zones"] == intact.text["zones"]


@each_debugger_and_era
def test_malloc_zone_use_beyond_the_types_names_the_zone(kind, image, damaged_cores, baselines):
    _, r, facts = _damaged(kind, "malloc-zone-grows", image, damaged_cores, baselines)
    assert_warned(r, ("summary", "summary-table"), "malloc types account for",
                  f'"{facts["zone"]}"')


@each_debugger_and_era
def test_overfull_bucket_is_named(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "bucket-overfull", image, damaged_cores, baselines)
    words = (f"= {facts['count']} is absurd", f"holds {facts['entries']}")
    assert_warned(r, ("zones", "zones-where", "zones-kvm", "summary"), *words)
    rows = zone_rows(r.json("zones-where"))
    assert rows["mbuf"]["free-cpu"] is None and rows["mbuf"]["free"] is None
    assert rows["mbuf"]["used"] == zone_rows(intact.json("zones-where"))["mbuf"]["used"]
    assert_untouched_zones(r, intact, {"mbuf"})


@each_debugger_and_era
def test_misaligned_cpu_bucket_pointer_marks_the_row(kind, image, damaged_cores, baselines):
    if _new13(image):
        pytest.skip("13+ per-CPU buckets are inline structs, not pointers")
    intact, r, facts = _damaged(kind, "bucket-misaligned", image, damaged_cores, baselines)
    bad = f"{facts['addr']:#x}"
    assert_warned(r, ("zones", "zones-where", "zones-kvm", "zones-table", "summary"), bad,
                  "aligned", "uc_allocbucket of CPU 0")
    rows = zone_rows(r.json("zones-where"))
    assert rows["mbuf"]["free-cpu"] is None and rows["mbuf"]["free"] is None
    assert_untouched_zones(r, intact, {"mbuf"})


@each_debugger_and_era
def test_zeroed_segment_is_refused_or_named(kind, image, damaged_cores, baselines):
    _, r, facts = _damaged(kind, "segment-zeroed", image, damaged_cores, baselines)
    keg = f"{facts['keg']:#x}"
    assert_refused(r, ("zones", "zones-table", "zones-kvm"), "no zone could be read",
                   f"keg at {keg} has no zone")
    if r.status["types"]:      # the statistics lay in the segment: all zero
        assert_refused(r, ("types", "types-table"), "no malloc type could be read")
    else:                      # 12.x: the mti_stats pointers lay there: every row marked
        doc = r.json("types")
        assert all(t["in-use"] is None for t in type_rows(doc).values())
        assert len(json_warnings(doc)) == len(type_rows(doc)), json_warnings(doc)
    assert_warned(r, ("summary", "summary-table"), f"keg at {keg} has no zone")
    assert r.alive


ITEM_COMMANDS = {"items": "uma-items mbuf --summary", "leaks": "kmem-findleaks",
                 "whatis": "kmem-whatis kmemstatistics"}


@each_debugger_and_era
def test_absurd_keg_geometry_is_named_and_its_slabs_left_unread(kind, image, damaged_cores,
                                                                 baselines):
    """The rows keep the size the keg says, named; the item commands name the keg and skip its
    slabs, where they read and scanned 4 GiB items (gdb ended the session)."""
    intact, r, facts = _damaged(kind, "keg-size-absurd", image, damaged_cores, baselines)
    words = (f"keg at {facts['keg']:#x}", "4294967295 bytes", "exceed the")
    assert_warned(r, ("zones", "zones-table", "zones-kvm", "summary", "summary-table"), *words)
    assert zone_rows(r.json("zones"))["mbuf"]["size"] == 0xFFFFFFFF
    assert_untouched_zones(r, intact, {"mbuf", "mbuf_packet"})
    _, path, _ = damaged_cores("keg-size-absurd", image)
    items = run(kind, image, path, baselines[image.era], commands=ITEM_COMMANDS)
    assert_warned(items, tuple(ITEM_COMMANDS), *words[1:], "no slabs read")
    assert "allocated items of zone 'mbuf'" in items.text["items"] and items.alive


@each_debugger_and_era
def test_items_in_use_beyond_kmem_and_the_keg_are_named(kind, image, damaged_cores, baselines):
    """The row keeps the number vmstat would print, and says its counters are damaged."""
    intact, r, facts = _damaged(kind, "zone-used-absurd", image, damaged_cores, baselines)
    words = ('"mbuf"', "items in use, more than its keg", "counters are damaged")
    assert_warned(r, ("zones", "zones-table", "zones-kvm", "summary", "summary-table"), *words)
    assert zone_rows(r.json("zones"))["mbuf"]["used"] > 1 << 40
    assert_untouched_zones(r, intact, {"mbuf"})


@each_debugger_and_era
def test_more_allocations_than_bytes_are_named(kind, image, damaged_cores, baselines):
    intact, r, facts = _damaged(kind, "type-allocs-absurd", image, damaged_cores, baselines)
    assert_warned(r, ("types", "types-table", "summary"), '"devbuf"', "allocations in",
                  "mts_numallocs > mts_memalloced")
    rows = type_rows(r.json("types"))
    assert rows["devbuf"]["requests"] > 1 << 40
    _same_except(rows, type_rows(intact.json("types")), {"devbuf"})
