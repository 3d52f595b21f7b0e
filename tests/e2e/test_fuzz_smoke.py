"""A few trials of tests/tools/fuzz_cores.py on every run (`make fuzz` runs many): random damage
to the allocators' structures in a core must never make kmemdbg print a traceback or an internal
error, end gdb or lldb-19, or run for minutes.  The damage found this way so far (a 60 GB read
that ended gdb, 4 GiB items scanned for minutes, slabs that could not be sorted) has its own
test in test_damaged_cores.py or tests/unit."""

import os
import subprocess
import sys

import pytest

from .images import SKIP_REASON, crash_images

TOOL = os.path.join(os.path.dirname(os.path.dirname(__file__)), "tools", "fuzz_cores.py")
ROUTERS = {i.era for i in crash_images(("router",))}


@pytest.mark.skipif(not {"fbsd6", "fbsd13"} <= ROUTERS, reason=SKIP_REASON)
def test_random_damage_is_survived(tmp_path):
    p = subprocess.run([sys.executable, TOOL, "--images", "fbsd6/router,fbsd13/router",
                        "--trials", "3", "--seed", "7", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=1200)
    assert p.returncode == 0 and "0 failure(s) in 6 trials" in p.stdout, p.stdout + p.stderr
