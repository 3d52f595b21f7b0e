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
SAMPLED = [ROUTERS[e] for e in ("fbsd6", "fbsd13") if e in ROUTERS]
pytestmark = pytest.mark.skipif(not SAMPLED, reason=SKIP_REASON)
KINDS = ("gdb", "lldb")

# name -> command; "{baseline}" is a snapshot of the intact core (kmem-diff against the target).
COMMANDS = {
    "zones": "uma-zones --format json",
    "zones-table": "uma-zones",
    "zones-kvm": "uma-zones --compat kvm --format json",
    "zones-where": "uma-zones --where --format json",
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
    for name in ("zones-table", "types-table", "summary-table"):
        assert named in damaged.text[name], damaged.text[name][-1500:]
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
    assert "\\x1b[2J" in r.text["zones-table"]
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
    if kind == "lldb":    # lldb slides the PIE kernel onto the core: both versions are read
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
