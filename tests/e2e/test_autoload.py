"""kgdb's way of loading helpers: gdb auto-loads ``<kernel>-gdb.py`` next to the kernel it opens.
With kgdb_scripts/kernel-gdb.py linked there, the commands exist without any `source`."""

import json
import os
import shutil
import subprocess

import pytest

from .images import ROOT, SKIP_REASON, crash_images

IMAGES = [i for i in crash_images(("router",)) if i.era == "fbsd14"]


@pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)
def test_kernel_gdb_py_autoloads_the_commands(tmp_path):
    image = IMAGES[0]
    kdir = tmp_path / "boot" / "kernel"
    shutil.copytree(image.dir, kdir, ignore=shutil.ignore_patterns("vmcore*", "expected*"))
    os.symlink(os.path.join(ROOT, "kgdb_scripts", "kernel-gdb.py"), kdir / "kernel-gdb.py")
    p = subprocess.run(["gdb", "-q", "-nx", "-batch", "-iex", f"add-auto-load-safe-path {kdir}",
                        "-ex", "uma-zones --format json --compat kvm", str(kdir / "kernel"), image.core],
                       capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    out = p.stdout
    doc = json.loads(out[out.index("{"):])
    assert doc == image.expected()["uma-zones --compat kvm"]
    assert "Traceback" not in p.stderr
