"""uma-zones and malloc-types, driven through real gdb and lldb-19 as a user would, on every
simulated kernel, compared with the ground truth the simulator computed from its own ledger."""

import json

import pytest

from .debuggers import run_in_both
from .images import image_params

# The command lines whose --format json output must equal expected.json's key of the same name.
VIEWS = ["uma-zones", "uma-zones --compat kvm", "uma-zones --where",
         "malloc-types", "malloc-types --compat kvm"]
# The vmstat text of the era (-z, -m as `vmstat -M vmcore` prints it) the ledger also holds.
VMSTAT_TEXT = {"uma-zones --compat kvm --format vmstat": "vmstat -z",
               "malloc-types --format vmstat --compat kvm": "vmstat -m"}
# Text outputs that gdb and lldb must print identically.
PARITY = ["uma-zones", "uma-zones --format vmstat", "uma-zones --compat kvm --format vmstat",
          "malloc-types", "malloc-types --format vmstat --compat kvm", "uma-zones --format csv"]


@pytest.fixture(scope="module", params=image_params())
def image(request):
    return request.param


@pytest.fixture(scope="module")
def outputs(image):
    """Run every view and parity command once per image in each debugger: {kind: {cmd: text}}."""
    ran = run_in_both(image, [f"{cmd} --format json" for cmd in VIEWS] + PARITY)
    return {kind: {**{cmd: out[f"{cmd} --format json"] for cmd in VIEWS},
                   **{("text", cmd): out[cmd] for cmd in PARITY}, "alive": out["alive"]}
            for kind, out in ran.items()}


def _json(text, where):
    try:
        return json.loads(text)
    except ValueError:
        pytest.fail(f"{where} did not print JSON:\n{text[:2000]}")


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("view", VIEWS)
def test_view_equals_ledger(outputs, image, view, kind):
    out = outputs[kind]
    got = _json(out[view], f"{kind}: {view}")
    want = image.expected()[view]
    assert "warnings" not in got, got.get("warnings")
    if got != want:
        # Name the first differing row: a 300-row dict diff helps nobody at 3 a.m.
        (container, rows_key), = [(c, list(v)[0]) for c, v in want.items()]
        g, w = got.get(container, {}).get(rows_key, []), want[container][rows_key]
        for a, b in zip(g, w):
            assert a == b, f"{kind} {view}: first differing row"
        assert len(g) == len(w), f"{kind} {view}: {len(g)} rows, ledger has {len(w)}"
    assert got == want
    assert out["alive"], f"{kind} session did not respond after the commands"


@pytest.mark.parametrize("cmd", PARITY)
def test_gdb_and_lldb_print_identical_text(outputs, cmd):
    gdb_text, lldb_text = outputs["gdb"][("text", cmd)], outputs["lldb"][("text", cmd)]
    assert "Traceback" not in gdb_text + lldb_text
    assert "error" not in gdb_text.lower(), gdb_text[:500]
    assert gdb_text.strip(), f"gdb printed nothing for {cmd}"
    assert gdb_text == lldb_text, f"gdb and lldb differ on: {cmd}"


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("cmd", list(VMSTAT_TEXT))
def test_vmstat_text_equals_ledger(outputs, image, cmd, kind):
    """--format vmstat prints, line for line, what the era's vmstat prints for that state."""
    want = image.expected()[VMSTAT_TEXT[cmd]].rstrip("\n").split("\n")
    got = outputs[kind][("text", cmd)].rstrip("\n").split("\n")
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"{kind} {cmd}: line {i + 1} differs"
    assert len(got) == len(want), f"{kind} {cmd}: {len(got)} lines, vmstat prints {len(want)}"

