"""The simulated kernels built by vm_images, as test parameters.

Tests never build images themselves (``make test`` builds them first); a missing image set is a
skip with the reason, never a silent pass.
"""

import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KMEMDBG_IMAGES") or os.path.join(ROOT, "vm_images", "build")


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
