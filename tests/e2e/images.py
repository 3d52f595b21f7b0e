"""The simulated kernels built by vm_images, as test parameters.

Tests never build images themselves (``make test`` builds them first); a missing image set is a
skip with the reason, never a silent pass.
"""

import json
import os
import re

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KMEMDBG_IMAGES") or os.path.join(ROOT, "vm_images", "build")


def _makefile_list(name):
    """``NAME := a b c`` of vm_images/Makefile: what ``make -C vm_images`` builds."""
    with open(os.path.join(ROOT, "vm_images", "Makefile")) as f:
        m = re.search(rf"^{name}\s*:=\s*(.*)$", f.read(), re.M)
    return m.group(1).split() if m else []


ERAS = _makefile_list("ERAS")
SCENARIOS = _makefile_list("SCENARIOS")
SPARSE_ERAS = _makefile_list("SPARSE_ERAS")     # their crash core also comes as vmcore.sparse


class Image:
    """One simulated kernel run: ``kernel``, a core and the ledger's ``expected.json``."""

    def __init__(self, directory, core="vmcore", expected="expected.json"):
        self.dir = directory
        self.kernel = os.path.join(directory, "kernel")
        self.core = os.path.join(directory, core)
        self.expected_path = os.path.join(directory, expected)
        self.era = os.path.basename(os.path.dirname(directory))
        self.scenario = os.path.basename(directory)

    @property
    def built(self):
        return all(os.path.exists(p) for p in (self.kernel, self.core, self.expected_path))

    @property
    def id(self):
        return f"{self.era}-{self.scenario}"

    def expected(self):
        with open(self.expected_path) as f:
            return json.load(f)


def crash_images(scenarios=("router", "fileserver", "idle")):
    """Every built era x scenario that has a crash core and its ground truth."""
    found = []
    if os.path.isdir(BUILD):
        for era in sorted(os.listdir(BUILD)):
            for scenario in scenarios:
                d = os.path.join(BUILD, era, scenario)
                if all(os.path.exists(os.path.join(d, f)) for f in ("kernel", "vmcore", "expected.json")):
                    found.append(Image(d))
    return found


SKIP_REASON = "no simulated kernels in vm_images/build (run `make -C vm_images` or `make test`)"


def image_params(scenarios=None, eras=None, core="vmcore", expected="expected.json"):
    """Every era x scenario ``make -C vm_images`` builds, as pytest parameters; one that is not
    built is an explicit skip naming it, never silently left out."""
    params = []
    for era in eras or ERAS:
        for scenario in scenarios or SCENARIOS:
            image = Image(os.path.join(BUILD, era, scenario), core, expected)
            marks = () if image.built else pytest.mark.skip(
                reason=f"{image.id} not built (run `make -C vm_images`)")
            params.append(pytest.param(image, id=image.id, marks=marks))
    return params
