"""Crash dumps are often damaged: a corrupt pointer, a list cycle, a truncated core.  Through real
gdb and lldb-19, the commands must print what they can with a warning naming what failed, never a
traceback, never hang, and leave the session usable."""

import json
import os
import shutil
import struct
import subprocess

import pytest

from .debuggers import Debugger
from .images import SKIP_REASON, crash_images

IMAGES = [i for i in crash_images(("router",)) if i.era in ("fbsd6", "fbsd13")]
pytestmark = pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)
COMMANDS = ("uma-zones", "malloc-types", "kmem-summary")


def _gdb_values(image, exprs):
    """Evaluate C expressions on the intact core with gdb (to find what to corrupt)."""
    argv = ["gdb", "-q", "-nx", "-batch"]
    for e in exprs:
        argv += ["-ex", f"printf \"%lu\\n\", (unsigned long)({e})"]
    out = subprocess.run(argv + [image.kernel, image.core], capture_output=True, text=True,
                         timeout=120).stdout
    return [int(line) for line in out.splitlines() if line.strip().isdigit()][-len(exprs):]


def _patch(core, addr, value, size):
    """Write ``value`` at virtual address ``addr`` of an ELF core (through its PT_LOAD headers)."""
    with open(core, "r+b") as f:
        ident = f.read(16)
        is64 = ident[4] == 2
        f.seek(0)
        if is64:
            hdr = struct.unpack("<16sHHIQQQIHHHHHH", f.read(64))
            phoff, phentsize, phnum = hdr[5], hdr[9], hdr[10]
        else:
            hdr = struct.unpack("<16sHHIIIIIHHHHHH", f.read(52))
            phoff, phentsize, phnum = hdr[5], hdr[9], hdr[10]
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if is64:
                ptype, _, off, vaddr, _, filesz, _, _ = struct.unpack("<IIQQQQQQ", f.read(56))
            else:
                ptype, off, vaddr, _, filesz, _, _, _ = struct.unpack("<IIIIIIII", f.read(32))
            if ptype == 1 and vaddr <= addr < vaddr + filesz:
                f.seek(off + addr - vaddr)
                f.write(value.to_bytes(size, "little"))
                return
    raise AssertionError(f"{addr:#x} is not in {core}")


@pytest.fixture(scope="module", params=IMAGES, ids=[i.id for i in IMAGES])
def damaged(request, tmp_path_factory):
    """Copies of a router core: a bad zone name pointer, a zone list cycle, a malloc type list
    cycle, and the core cut in half."""
    image = request.param
    tmp = tmp_path_factory.mktemp(image.id)
    zone_expr = "zone_mbuf"
    z, name_off, link_off, mt, next_off, psize = _gdb_values(image, [
        zone_expr, "&((struct uma_zone *)0)->uz_name", "&((struct uma_zone *)0)->uz_link",
        "&M_DEVBUF", "&((struct malloc_type *)0)->ks_next", "sizeof(void *)"])
    cores = {}
    for kind in ("bad-name", "zone-cycle", "type-cycle", "truncated"):
        path = str(tmp / f"vmcore.{kind}")
        shutil.copy(image.core, path)
        cores[kind] = path
    _patch(cores["bad-name"], z + name_off, 0xdead0000, psize)
    _patch(cores["zone-cycle"], z + link_off, z, psize)          # uz_link.le_next -> itself
    _patch(cores["type-cycle"], mt + next_off, mt, psize)        # ks_next -> itself
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
