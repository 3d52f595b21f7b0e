"""Shared fixtures for the simulated-kernel tests: where the images are, building them once."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VM_IMAGES = ROOT / "vm_images"
BUILD = VM_IMAGES / "build"

ERAS = ["fbsd6", "fbsd9", "fbsd11", "fbsd11-i386", "fbsd12", "fbsd13", "fbsd14", "fbsd15", "fbsd15-debug"]
SCENARIOS = ["router", "fileserver", "idle"]


def image_dir(era, scenario):
    return BUILD / era / scenario


def _missing_images():
    return [f"{e}/{s}" for e in ERAS for s in SCENARIOS
            if not (image_dir(e, s) / "expected.json").exists()
            or not (image_dir(e, s) / "vmcore").exists()]


@pytest.fixture(scope="session")
def images():
    """Make sure the default images exist (running `make -C vm_images` once if needed).

    Set KMEMDBG_NO_BUILD=1 to skip instead of building.
    """
    missing = _missing_images()
    if missing and not os.environ.get("KMEMDBG_NO_BUILD"):
        jobs = str(os.cpu_count() or 2)
        r = subprocess.run(["make", "-C", str(VM_IMAGES), "-j" + jobs], capture_output=True,
                           text=True, timeout=900)
        if r.returncode != 0:
            pytest.skip("building the simulated kernels failed (make -C vm_images):\n"
                        + (r.stdout + r.stderr)[-3000:])
        missing = _missing_images()
    if missing:
        pytest.skip("simulated kernel images missing, run `make -C vm_images`: "
                    + ", ".join(missing))
    return BUILD
