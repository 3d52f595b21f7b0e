"""Every table fits an 80-column terminal by default, in gdb and lldb-19 (--wide goes past it);
the panic message and the vmstat/ddb formats are the kernel's own text and are left whole."""

import os

import pytest

from .debuggers import Debugger, save_snapshot
from .images import SKIP_REASON, Image, crash_images

IMAGES = [i for i in crash_images(("router",)) if i.era in ("fbsd13", "fbsd6")]
pytestmark = pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("image", IMAGES, ids=[i.id for i in IMAGES])
def test_default_tables_fit_80_columns(kind, image, tmp_path):
    early = Image(image.dir, "vmcore.30", "expected.30.json")
    snap = tmp_path / "early.json"
    save_snapshot(kind, early.kernel, early.core, snap)
    commands = ["uma-zones", "uma-zones --where", "malloc-types", "kmem-summary",
                f"kmem-diff {snap}"]       # --format vmstat / ddb are the kernel's own text
    dbg = Debugger.open(kind, image.kernel, core=image.core)
    try:
        outputs = {c: dbg.run(c, timeout=120) for c in commands}
        wide = dbg.run("uma-zones --wide", timeout=120)
    finally:
        dbg.close()
    for cmd, text in outputs.items():
        long = [l for l in text.splitlines() if len(l) > 80 and not l.startswith("panic: ")]
        assert not long, f"{kind}: {cmd}: {len(long)} lines past 80 columns, e.g. {long[0]!r}"
    assert "libalias" in outputs["malloc-types"] and "M_ALIAS" in outputs[f"kmem-diff {snap}"]
    assert "XDOMAIN" in wide or "SLEEP" in wide or "LIMIT" in wide
