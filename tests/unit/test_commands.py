"""Commands end to end on the fake target: formats, options, and bad input never tracebacks."""

import io
import json

import pytest

from kmemdbg.commands import REGISTRY, load_commands, run_command

from eras import IMAGES
from kbuild import FakeKernel

assert load_commands() == []
SPECS = {s.name: s for s in REGISTRY}


def run(target, name, *argv):
    out = io.StringIO()
    rc = run_command(SPECS[name], lambda: target, list(argv), out)
    return rc, out.getvalue()


def kernel(era="fbsd13", arch="amd64"):
    k = FakeKernel(era, arch, cpus=(0, 1))
    kg = k.keg(256, ipers=15, maxpages=4, free=2, domain_free=[2])
    k.zone(kg, "mbuf", allocs=10, frees=4, caches={1: dict(alloc=3, allocs=2)})
    k.zone(k.keg(128), "socket", allocs=3)
    k.malloc_type("devbuf", {0: (4096, 0, 2, 0, 1)})
    k.malloc_type("idle", {})
    return k


def test_both_commands_registered():
    assert {"uma-zones", "malloc-types"} <= set(SPECS)


@pytest.mark.parametrize("name", ["uma-zones", "malloc-types"])
def test_help_works_without_a_target(name):
    out = io.StringIO()
    rc = run_command(SPECS[name], lambda: pytest.fail("target built for -h"), ["-h"], out)
    assert rc == 0 and "columns (for --sort" in out.getvalue() and "--compat" in out.getvalue()


def test_parser_is_reused_and_keeps_no_output_of_a_run():
    # Built once per command; a run's output stream (MiBs of JSON in lldb's buffer) is not
    # kept by it, and the next run's help goes to the next run's stream.
    import gc
    import weakref
    k = kernel()
    first = io.StringIO()
    assert run_command(SPECS["malloc-types"], lambda: k.t, ["--format", "json"], first) == 0
    gone = weakref.ref(first)
    gc.disable()        # freed by its count, not by a collection of some cycle
    try:
        del first
        assert gone() is None
    finally:
        gc.enable()
    again = io.StringIO()
    assert run_command(SPECS["malloc-types"], lambda: k.t, ["-h"], again) == 0
    assert "--compat" in again.getvalue()


@pytest.mark.parametrize("era,arch", IMAGES)
@pytest.mark.parametrize("fmt", ["table", "vmstat", "json", "csv"])
def test_every_format_every_era(era, arch, fmt):
    k = kernel(era, arch)
    rc, text = run(k.t, "uma-zones", "--format", fmt)
    assert rc == 0 and "mbuf" in text
    rc, text = run(k.t, "malloc-types", "--format", fmt)
    assert rc == 0 and "devbuf" in text and "idle" not in text


def test_json_is_vmstat_order_and_only_the_container():
    k = kernel()
    rc, text = run(k.t, "uma-zones", "--format", "json")
    doc = json.loads(text)
    assert list(doc) == ["memory-zone-statistics"]
    # kegs: socket (newest) then mbuf; vmstat prints the reverse of the walk
    assert [z["name"] for z in doc["memory-zone-statistics"]["zone"]] == ["mbuf", "socket"]
    assert doc["memory-zone-statistics"]["zone"][0]["free"] == 3 + 2


def test_malloc_all_includes_unused_types():
    rc, text = run(kernel().t, "malloc-types", "--all", "--format", "json")
    assert [m["type"] for m in json.loads(text)["malloc-statistics"]["memory"]] == ["devbuf", "idle"]


def test_where_and_kvm_options():
    k = kernel()
    _, where = run(k.t, "uma-zones", "--where", "--format", "json")
    assert json.loads(where)["memory-zone-statistics"]["zone"][0]["free-keg"] == 2
    _, kvm = run(k.t, "uma-zones", "--compat", "kvm", "--format", "json")
    assert json.loads(kvm)["memory-zone-statistics"]["zone"][0]["free"] == 3     # no keg free 13+


def test_table_has_context_line():
    _, text = run(kernel().t, "uma-zones")
    first, second = text.splitlines()[:2]
    assert "FreeBSD 13.0" in first and "osreldate 1302001" in first and "2 CPUs" in second
    assert max(len(line) for line in text.splitlines()) <= 80


def test_missing_symbol_is_one_clear_line():
    k = kernel()
    del k.t.symbols["uma_kegs"]
    rc, text = run(k.t, "uma-zones")
    assert rc == 1 and text.startswith("kmemdbg: error: uma-zones: symbol 'uma_kegs' not found")
    assert "Traceback" not in text and text.count("\n") == 2
    assert text.splitlines()[1].startswith("kmemdbg: hint: not a FreeBSD kernel with debug info")


def test_missing_member_is_one_clear_line():
    k = kernel()
    del k.types.known["struct malloc_type"].members[0]     # drop ks_next
    rc, text = run(k.t, "malloc-types")
    assert rc == 1 and "struct malloc_type has no member 'ks_next'" in text


def test_absurd_mp_maxid_is_one_clear_line():
    k = kernel()
    k.t.write_int(k.t.symbol_address("mp_maxid"), 4, 100000)
    rc, text = run(k.t, "malloc-types")
    assert rc == 1 and "mp_maxid = 100000" in text and "Traceback" not in text


def test_bad_argument_is_usage_error():
    rc, text = run(kernel().t, "uma-zones", "--format", "xml")
    assert rc == 2 and text.startswith("kmemdbg: error:")


def test_corrupt_row_is_marked_and_summarized():
    k = kernel("fbsd11")
    z = k.zone(k.keg(64), "victim", caches={0: dict(alloc=0xdead0000, raw=True)})
    assert z
    rc, text = run(k.t, "uma-zones")
    assert rc == 0          # a warning never fails a command that printed its rows
    row = [line for line in text.splitlines() if line.startswith("victim")][0]
    assert "?" in row
    assert "kmemdbg: warning: 1 problem(s)" in text and "victim: " in text
    rc, text = run(k.t, "uma-zones", "--format", "json")
    doc = json.loads(text)
    assert "victim" in doc["warnings"][0]
    assert [r["free"] for r in doc["memory-zone-statistics"]["zone"] if r["name"] == "victim"] == [None]


def test_hints_pick_the_usual_mistake():
    from kmemdbg.commands import hints
    from kmemdbg.access.errors import MemoryFault, MissingModule, SymbolNotFound
    assert hints.hint_for(SymbolNotFound("mp_maxid"), "kernel /k").startswith(
        "kmemdbg: hint: no core or process is loaded")
    assert "debug info" in hints.hint_for(SymbolNotFound("mp_maxid"), "kernel /k, core /c")
    assert "may not be the one" in hints.hint_for(MemoryFault(0x41fe4, 4, "mp_maxid"),
                                                  "kernel /k, core /c")
    # a damaged structure deep in a core is not a wrong kernel
    assert hints.hint_for(MemoryFault(0x1000, 8, "struct uma_zone.uz_name"), "kernel /k, core /c") is None
    assert "-tabulate" in hints.hint_for(MissingModule("tabulate", "tables"), None)
