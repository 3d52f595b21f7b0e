"""The Target contract, one suite run through GdbTarget and LldbTarget.

Every configuration (debugger x 64/32-bit x live process / sim_dump_core core / gdb gcore core)
runs tests/contract/probe.py inside the real debugger once; the tests below judge its answers
against the ground truth the fixture printed at run time (offsetof, sizeof, addresses, values:
the C compiler's view, not a debugger's) and against the fixture's source text (declaration
lines).  test_parity then requires gdb and lldb to have answered identically.
"""

import json
import os

import pytest

from . import harness

DEBUGGERS = ["gdb", "lldb"]
BITS = [64, 32]
MODES = ["live", "simcore", "gcore"]


@pytest.fixture(scope="session")
def contract_env(tmp_path_factory):
    """Builds, processes and cores, created on first use and torn down at the end."""
    env = _Env(tmp_path_factory.mktemp("contract"))
    yield env
    env.close()


class _Env:
    def __init__(self, root):
        self.root = str(root)
        self.exes, self.lives, self.targets, self.answers = {}, {}, {}, {}

    def exe(self, bits):
        if bits not in self.exes:
            try:
                self.exes[bits] = harness.build(os.path.join(self.root, f"b{bits}"), bits)
            except harness.Skip as e:
                self.exes[bits] = e
        if isinstance(self.exes[bits], harness.Skip):
            pytest.skip(str(self.exes[bits]))
        return self.exes[bits]

    def live(self, bits):
        if bits not in self.lives:
            self.lives[bits] = harness.Live(self.exe(bits))
            if not harness.ptrace_works(self.lives[bits].pid):
                pytest.skip("ptrace attach not permitted here (yama ptrace_scope)")
        return self.lives[bits]

    def target(self, bits, mode):
        """(truth, core path or None, pid or None) for one configuration."""
        key = (bits, mode)
        if key not in self.targets:
            try:
                if mode == "live":
                    live = self.live(bits)
                    self.targets[key] = (live.truth, None, live.pid)
                elif mode == "gcore":
                    live = self.live(bits)
                    core = harness.gcore(live, os.path.join(self.root, f"gcore{bits}"))
                    self.targets[key] = (live.truth, core, None)
                else:
                    if not harness.has_sim_core():
                        raise harness.Skip("vm_images/simkern/sim/sim_core.c not present")
                    core = os.path.join(self.root, f"simcore{bits}")
                    self.targets[key] = (harness.sim_core(self.exe(bits), core), core, None)
            except harness.Skip as e:
                self.targets[key] = e
        if isinstance(self.targets[key], harness.Skip):
            pytest.skip(str(self.targets[key]))
        return self.targets[key]

    def probe(self, kind, bits, mode):
        key = (kind, bits, mode)
        if key not in self.answers:
            truth, core, pid = self.target(bits, mode)
            truth_path = os.path.join(self.root, f"truth-{bits}-{mode}.json")
            with open(truth_path, "w") as f:
                json.dump(truth, f)
            try:
                self.answers[key] = harness.run_probe(kind, self.exe(bits), truth_path,
                                                      core=core, pid=pid)
            except harness.Skip as e:
                self.answers[key] = e
        if isinstance(self.answers[key], harness.Skip):
            pytest.skip(str(self.answers[key]))
        answers = self.answers[key]
        assert "probe_crashed" not in answers, answers.get("probe_crashed")
        return answers, self.target(bits, mode)[0]

    def close(self):
        for live in self.lives.values():
            live.close()


@pytest.fixture(params=[(k, b, m) for k in DEBUGGERS for b in BITS for m in MODES],
                ids=lambda p: f"{p[0]}-{p[1]}-{p[2]}")
def config(request, contract_env):
    kind, bits, mode = request.param
    answers, truth = contract_env.probe(kind, bits, mode)
    return {"kind": kind, "bits": bits, "mode": mode, "a": answers, "truth": truth,
            "exe": contract_env.exe(bits), "core": contract_env.target(bits, mode)[1]}


def ok(answer):
    assert "ok" in answer, f"backend failed: {answer}"
    return answer["ok"]


def source_line(filename, text):
    """Line number of ``text`` in the fixture's source (ground truth for declarations)."""
    with open(os.path.join(harness.HERE, filename)) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise AssertionError(f"{text!r} not in {filename}")


# ---- identity ---------------------------------------------------------------------------------

def test_identity(config):
    a, t = config["a"], config["truth"]
    assert a["pointer_size"] == t["pointer_size"] == config["bits"] // 8
    assert a["byteorder"] == "little"
    assert a["is_live"] is (config["mode"] == "live")
    assert config["exe"] in a["description"]
    if config["mode"] != "live":
        assert a["description"].endswith(f"core {config['core']}"), a["description"]


# ---- symbols ----------------------------------------------------------------------------------

def test_symbol_address_globals_statics_and_shared_objects(config):
    a, t = config["a"], config["truth"]
    for name, addr in t["symbols"].items():
        assert ok(a["symbols"][name]) == addr, name


def test_symbol_not_found(config):
    assert config["a"]["symbols"]["no_such_symbol"]["error"] == "SymbolNotFound"
    assert config["a"]["types"]["no_such_symbol"]["error"] == "SymbolNotFound"


def test_symbol_type(config):
    types = config["a"]["types"]
    ps = config["bits"] // 8
    zone = ok(types["zone_foo"])
    assert (zone["kind"], zone["size"], zone["typedef"], zone["name"]) == \
        ("ptr", ps, "foo_t", "struct entry *")
    assert zone["element"]["name"] == "struct entry"
    assert ok(types["zone_static"])["typedef"] == "foo_t"
    assert ok(types["not_a_zone"])["typedef"] == ""
    name = ok(types["fixture_name"])
    assert (name["kind"], name["name"], name["element"]["size"]) == ("ptr", "char *", 1)
    counter = ok(types["fixture_counter"])
    assert (counter["kind"], counter["typedef"], counter["element"]["size"]) == \
        ("ptr", "counter_u64_t", 8)
    assert counter["element"]["typedef"] == "uint64_t"
    arr = ok(types["fixture_array"])
    assert (arr["kind"], arr["length"], arr["name"]) == ("array", 5, "long [5]")
    assert ok(types["fixture_entries"])["name"] == "struct entry_list"
    assert ok(types["fixmod_info"])["name"] == "struct modinfo"


# ---- layouts ----------------------------------------------------------------------------------

def test_layout_offsets_and_sizes_match_the_compiler(config):
    a, t = config["a"], config["truth"]
    for struct, want in t["layouts"].items():
        lay = ok(a["layouts"][struct])
        assert lay["size"] == want["size"], struct
        for name, (offset, size) in want["fields"].items():
            if "." in name:
                continue
            f = lay["fields"][name]
            assert (f["offset"], f["type"]["size"]) == (offset, size), f"{struct}.{name}"
            assert f["bit_size"] is None


def test_layout_anonymous_members_flattened(config):
    fields = ok(config["a"]["layouts"]["struct entry"])["fields"]
    assert {"e_a", "e_b", "e_both"} <= set(fields)
    assert "" not in fields and None not in fields
    assert fields["e_link"]["type"]["name"] == "struct <anonymous>"


def test_layout_bitfields(config):
    a, t = config["a"], config["truth"]
    fields = ok(a["layouts"]["struct entry"])["fields"]
    for name, (bitpos, bits) in t["bitfields"].items():
        f = fields[name]
        assert f["offset"] * 8 + f["bit_offset"] == bitpos, name
        assert f["bit_size"] == bits, name
        # Record.int reads type.size bytes at offset: the field must lie inside them.
        assert f["bit_offset"] + f["bit_size"] <= f["type"]["size"] * 8


def test_layout_arrays(config):
    a = config["a"]
    items = ok(a["layouts"]["struct flex"])["fields"]["f_items"]["type"]
    assert (items["kind"], items["size"], items["length"], items["name"]) == \
        ("array", 0, 0, "long []")
    one = ok(a["layouts"]["struct one"])["fields"]["o_items"]["type"]
    assert (one["length"], one["name"]) == (1, "long [1]")
    fields = ok(a["layouts"]["struct entry"])["fields"]
    assert (fields["e_buf"]["type"]["length"], fields["e_buf"]["type"]["name"]) == \
        (16, "char [16]")
    matrix = fields["e_matrix"]["type"]
    assert (matrix["length"], matrix["element"]["length"], matrix["name"]) == \
        (2, 3, "int [2][3]")


def test_layout_member_types(config):
    fields = ok(config["a"]["layouts"]["struct entry"])["fields"]
    ty = {n: f["type"] for n, f in fields.items()}
    assert (ty["e_counter"]["kind"], ty["e_counter"]["typedef"]) == ("ptr", "counter_u64_t")
    assert (ty["e_size"]["kind"], ty["e_size"]["typedef"], ty["e_size"]["name"]) == \
        ("int", "u_long", "unsigned long")
    assert ty["e_name"]["name"] == "char *"          # const dropped, in both debuggers
    assert (ty["e_flex"]["kind"], ty["e_flex"]["element"]["name"]) == ("ptr", "struct flex")
    assert (ty["e_small"]["signed"], ty["e_small"]["typedef"]) == (False, "uint8_t")
    assert (ty["e_neg"]["signed"], ty["e_neg"]["name"]) == (True, "short")
    assert (ty["e_color"]["kind"], ty["e_color"]["name"]) == ("enum", "enum color")
    assert (ty["e_bool"]["kind"], ty["e_bool"]["name"]) == ("bool", "_Bool")
    assert (ty["e_dbl"]["kind"], ty["e_fn"]["kind"]) == ("float", "ptr")
    assert ty["e_fn"]["element"]["kind"] == "func"
    assert ty["e_one"]["name"] == "struct one"


def test_layout_not_found_and_memoized(config):
    a = config["a"]
    assert a["layouts"]["struct no_such_struct"]["error"] == "TypeNotFound"
    assert a["sizes"]["struct no_such_struct"]["error"] == "TypeNotFound"
    assert a["layout_memoized"] is True


def test_type_size(config):
    a, t = config["a"], config["truth"]
    for name, size in t["sizes"].items():
        assert ok(a["sizes"][name]) == size, name


# ---- memory -----------------------------------------------------------------------------------

def test_read_pointer_and_string_literals(config):
    a, t = config["a"], config["truth"]
    assert ok(a["fixture_name_ptr"]) == t["values"]["fixture_name_literal"]
    assert ok(a["fixture_name_str"]) == "fixture-name"
    assert ok(a["e1_name_str"]) == "entry-one"
    assert ok(a["fixmod_name_str"]) == "fixmod"
    assert ok(a["array"]) == [10, 20, 30, 40, 50]


def test_read_record_unpacks_members(config):
    a, t = config["a"], config["truth"]
    rec = ok(a["record"])
    assert rec == {"e_flags": 5, "e_kind": 17, "e_signed": t["values"]["e_signed"] & 0xf,
                   "e_a": 7, "e_b": -9, "e_small": 200, "e_neg": -1234, "e_color": 2,
                   "e_bool": 1, "e_size": 123456789, "le_next": t["symbols"]["e2"],
                   "e_name": "entry-one"}


def test_read_zero_filled_tail(config):
    """Memory a core holds as zeros beyond a segment's file size reads as zeros (gdb does)."""
    z = config["a"]["zero_tail"]
    assert ok(z["across"]) == "ab" * 8 + "00" * 24
    assert ok(z["inside"]) == "00" * 16


def test_read_faults(config):
    for where, answer in config["a"]["faults"].items():
        assert answer.get("error") == "MemoryFault", (where, answer)


# ---- attribution ------------------------------------------------------------------------------

def _check_sym(info, name, offset, file, decl, module):
    assert info is not None
    assert (info["name"], info["offset"]) == (name, offset)
    assert os.path.basename(info["file"] or "") == file, info
    assert info["line"] == source_line(file, decl), info
    assert info["module"] == module, info


def test_symbolize_variables(config):
    s, b, t = config["a"]["symbolize"], config["bits"], config["truth"]
    exe, lib = f"fixture{b}", f"libfixmod{b}.so"
    _check_sym(ok(s["zone_foo"]), "zone_foo", 0, "fixture.c", "foo_t zone_foo;", exe)
    _check_sym(ok(s["zone_static+3"]), "zone_static", 3, "fixture.c",
               "static foo_t zone_static;", exe)
    _check_sym(ok(s["fixture_entries+1"]), "fixture_entries", 1, "fixture.c",
               "static struct entry_list fixture_entries", exe)
    _check_sym(ok(s["fixmod_info+8"]), "fixmod_info", 8, "fixmod.c",
               "struct modinfo fixmod_info =", lib)
    _check_sym(ok(s["fixmod_static"]), "fixmod_static", 0, "fixmod.c",
               "static struct modinfo fixmod_static", lib)
    assert ok(s["zone_foo"])["address"] == t["symbols"]["zone_foo"]
    assert ok(s["null"]) is None


def test_symbolize_functions(config):
    s, b, t = config["a"]["symbolize"], config["bits"], config["truth"]
    fn = ok(s["fixture_func"])
    assert (fn["name"], fn["offset"], fn["module"]) == ("fixture_func", 0, f"fixture{b}")
    assert fn["address"] == t["symbols"]["fixture_func"]
    assert os.path.basename(fn["file"]) == "fixture.c"
    # The line of the function's first instruction: its opening, before the body's statement.
    assert t["lines"]["fixture_func"] - 3 <= fn["line"] < t["lines"]["fixture_func"]
    mod = ok(s["fixmod_func"])
    assert (mod["name"], mod["module"]) == ("fixmod_func", f"libfixmod{b}.so")
    assert t["lines"]["fixmod_func"] - 3 <= mod["line"] < t["lines"]["fixmod_func"]


def test_data_symbols(config):
    """Globals and statics of the program and its shared object, at their addresses; no code."""
    syms = config["truth"]["symbols"]
    names = ("fixmod_info", "fixmod_static", "not_a_zone", "zone_bar", "zone_foo", "zone_static")
    assert ok(config["a"]["data_symbols"]) == [[n, syms[n]] for n in names]


def test_data_sections(config):
    """Every global lies in one writable section of its own object file; code in none."""
    secs, syms, b = ok(config["a"]["data_sections"]), config["truth"]["symbols"], config["bits"]
    exe = os.path.basename(config["exe"])

    def where(addr):
        return [(m, main) for m, _, start, end, main in secs if start <= addr < end]
    for name in ["fixture_entries", "zone_foo", "zone_bar", "zone_static", "not_a_zone",
                 "fixture_name", "fixture_counter", "fixture_array", "e1", "e2"]:
        assert where(syms[name]) == [(exe, True)], name
    for name in ["fixmod_info", "fixmod_static"]:
        assert where(syms[name]) == [(f"libfixmod{b}.so", False)], name
    assert where(syms["fixture_func"]) == [] and where(syms["fixmod_func"]) == []
    assert {n for m, n, *_ in secs if m == exe} >= {".data", ".bss"}
    assert all(start < end for _, _, start, end, _ in secs)
    assert not any(m.startswith(("libc", "ld-linux")) for m, *_ in secs)


# ---- gdb == lldb ------------------------------------------------------------------------------

@pytest.mark.parametrize("bits", BITS)
@pytest.mark.parametrize("mode", MODES)
def test_parity(contract_env, bits, mode):
    """Everything but timing must be identical, or the two debuggers would print differently."""
    g, _ = contract_env.probe("gdb", bits, mode)
    ll, _ = contract_env.probe("lldb", bits, mode)
    diffs = []

    def walk(x, y, path):
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                walk(x.get(k), y.get(k), f"{path}/{k}")
        elif x != y:
            diffs.append(f"{path}: gdb={json.dumps(x)[:120]} lldb={json.dumps(y)[:120]}")
    walk({k: v for k, v in g.items() if k != "_seconds"},
         {k: v for k, v in ll.items() if k != "_seconds"}, "")
    assert not diffs, "\n".join(diffs)
