"""Crash dumps are often damaged: a corrupt pointer, a list cycle, a truncated core.  Through real
gdb and lldb-19, the commands must print what they can with a warning naming what failed, never a
traceback, never hang, and leave the session usable."""

import json
import os

import pytest

from .damage import CoreFile, copy_core, locate
from .debuggers import Debugger
from .images import SKIP_REASON, crash_images

IMAGES = [i for i in crash_images(("router",)) if i.era in ("fbsd6", "fbsd13")]
pytestmark = pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)
COMMANDS = ("uma-zones", "malloc-types", "kmem-summary")


@pytest.fixture(scope="module", params=IMAGES, ids=[i.id for i in IMAGES])
def damaged(request, tmp_path_factory):
    """Copies of a router core: a bad zone name pointer, a zone list cycle, a malloc type list
    cycle, and the core cut in half."""
    image = request.param
    tmp = tmp_path_factory.mktemp(image.id)
    exprs = ["zone_mbuf", "&((struct uma_zone *)0)->uz_name", "&((struct uma_zone *)0)->uz_link",
             "&M_DEVBUF", "&((struct malloc_type *)0)->ks_next"]
    z, name_off, link_off, mt, next_off = locate(image, exprs).values()
    cores = {kind: copy_core(image, tmp, kind)
             for kind in ("bad-name", "zone-cycle", "type-cycle", "truncated")}
    CoreFile(cores["bad-name"]).write_int(z + name_off, 0xdead0000)
    CoreFile(cores["zone-cycle"]).write_int(z + link_off, z)       # uz_link.le_next -> itself
    CoreFile(cores["type-cycle"]).write_int(mt + next_off, mt)     # ks_next -> itself
    with open(cores["truncated"], "r+b") as f:
        f.truncate(os.path.getsize(image.core) // 2)
    return image, cores, z


def _run_all(kind, image, core):
    dbg = Debugger.open(kind, image.kernel, core=core)
    try:
        out = {cmd: dbg.run(cmd, timeout=120) for cmd in COMMANDS}
        out["json"] = dbg.run("uma-zones --format json", timeout=120)
        out["alive"] = dbg.alive()
    finally:
        dbg.close()
    return out


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_bad_zone_name_marks_one_row(damaged, kind):
    image, cores, zone = damaged
    out = _run_all(kind, image, cores["bad-name"])
    doc = json.loads(out["json"])
    names = [r["name"] for r in doc["memory-zone-statistics"]["zone"]]
    assert f"<zone {zone:#x}>" in names and "mbuf_packet" in names and "mbuf" not in names
    assert any("0xdead0000" in w for w in doc["warnings"]), doc["warnings"]
    assert "0xdead0000" in out["uma-zones"] and "warning" in out["uma-zones"]
    for cmd in COMMANDS:
        assert "Traceback" not in out[cmd]
    assert out["alive"]


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("damage,command", [("zone-cycle", "uma-zones"), ("type-cycle", "malloc-types")])
def test_list_cycles_are_bounded_and_named(damaged, kind, damage, command):
    image, cores, _ = damaged
    out = _run_all(kind, image, cores[damage])
    assert "cycle" in out[command], out[command][-1500:]
    assert "Traceback" not in "".join(v for v in out.values() if isinstance(v, str))
    assert out["alive"]


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_truncated_core_prints_what_it_can(damaged, kind):
    image, cores, _ = damaged
    out = _run_all(kind, image, cores["truncated"])
    for cmd in COMMANDS:
        assert "Traceback" not in out[cmd]
    # What lies in the lost half cannot be read: the command that needs it says so (rows with
    # a warning list, or one error line); what lies in the first half still prints.
    assert any("kmemdbg: warning" in out[c] or "kmemdbg: error" in out[c] for c in COMMANDS), \
        {c: out[c][-400:] for c in COMMANDS}
    assert out["alive"]
