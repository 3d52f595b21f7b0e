"""sim_dump_core() (vm_images/simkern/sim/sim_core.c): its cores open in gdb and lldb-19.

The fixture program (core_fixture/) is built twice, native x86_64 and -m32, and dumps two cores
of one run; both debuggers must read its globals, the string literal behind a pointer, a
file-static, and the global of a dlopen()ed module from <exe dir>/modules/test.ko.
Run with: /usr/bin/python3 -m pytest tests/vm_images/test_core_writer.py
"""

import json
import os
import struct
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SIM = REPO / "vm_images" / "simkern" / "sim"
FIXTURE = Path(__file__).resolve().parent / "core_fixture"
# machine, optimisation (the simulator may be built either way)
BUILDS = ["x86_64", "i386", "x86_64-O2", "i386-O2"]

GDB_SCRIPT = r"""
import gdb, json
def ev(e):
    return gdb.parse_and_eval(e)
out = {
    "count": int(ev("zone_table->count")),
    "items": [int(ev("zone_table->items[%d]" % i)) for i in range(5)],
    "owner": ev("zone_table->owner").string(),
    "zone_name": ev("zone_name").string(),
    "file_static": int(ev("file_static")),
    "data_page0": int(ev("data_page[0]")),
    "probe": int(ev("*(long *)arena_probe")),
    "arena_1mb": ev("arena + (1 << 20)").string(),
    "generation": int(ev("generation")),
    "mod_magic": int(ev("mod_state.magic")),
    "mod_label": ev("mod_state.label").string(),
    "mod_solib": gdb.solib_name(int(ev("(unsigned long)&mod_state"))),
    "mod_symbol": gdb.execute("info symbol &mod_state", to_string=True),
    "sharedlibrary": gdb.execute("info sharedlibrary", to_string=True),
    "frames": gdb.execute("bt", to_string=True),
}
print("RESULT " + json.dumps(out))
"""

LLDB_SCRIPT = r"""
import json, lldb

def run(debugger, command, result, internal_dict):
    target = debugger.GetSelectedTarget()
    process = target.GetProcess()
    err = lldb.SBError()

    def var(name):
        v = target.FindGlobalVariables(name, 1)
        assert v.GetSize() == 1, name
        return v.GetValueAtIndex(0)

    def cstr(addr):
        s = process.ReadCStringFromMemory(addr, 256, err)
        return s if err.Success() else None

    def expr(e):
        return target.EvaluateExpression(e)

    ptr = target.GetAddressByteSize()
    table = var("zone_table").GetValueAsUnsigned()
    mod = var("mod_state")
    probe = var("arena_probe").GetValueAsUnsigned()
    out = {
        "count": expr("zone_table->count").GetValueAsSigned(),
        "items": [expr("zone_table->items[%d]" % i).GetValueAsSigned() for i in range(5)],
        "owner": cstr(process.ReadPointerFromMemory(table + ptr, err)),
        "zone_name": cstr(var("zone_name").GetValueAsUnsigned()),
        "file_static": var("file_static").GetValueAsSigned(),
        "data_page0": expr("data_page[0]").GetValueAsSigned(),
        "probe": process.ReadUnsignedFromMemory(probe, ptr, err),
        "probe_ok": err.Success(),
        "arena_1mb": cstr(var("arena").GetValueAsUnsigned() + (1 << 20)),
        "generation": var("generation").GetValueAsSigned(),
        "mod_magic": mod.GetChildMemberWithName("magic").GetValueAsSigned(),
        "mod_label": cstr(mod.GetChildMemberWithName("label").GetValueAsUnsigned()),
        "mod_module": mod.GetAddress().GetModule().GetFileSpec().fullpath,
        "modules": [m.GetFileSpec().fullpath for m in target.module_iter()],
        "frames": [f.GetFunctionName() for f in process.GetSelectedThread()],
        "p_zone_name": str(expr("zone_name")),
    }
    print("RESULT " + json.dumps(out))
"""


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def result_of(proc):
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError("no RESULT line\nstdout:\n%s\nstderr:\n%s" % (proc.stdout, proc.stderr))


def build(outdir, variant):
    """Build the fixture and its module into outdir (exe + modules/test.ko)."""
    flags = ["-g", "-O2" if variant.endswith("-O2") else "-O0", "-Wall", "-Wextra", "-Werror"]
    if variant.startswith("i386"):
        flags.append("-m32")
    (outdir / "modules").mkdir(parents=True)
    for cmd in (
        ["gcc", *flags, "-shared", "-fPIC", "-o", outdir / "modules" / "test.ko",
         FIXTURE / "test_mod.c"],
        ["gcc", *flags, "-I", SIM, "-o", outdir / "fixture", FIXTURE / "fixture.c",
         SIM / "sim_core.c", "-ldl"],
    ):
        p = run([str(c) for c in cmd])
        assert p.returncode == 0, p.stderr
    return outdir / "fixture"


@pytest.fixture(scope="module", params=BUILDS)
def dumped(request, tmp_path_factory):
    """(arch, exe, [core of generation 1, core of generation 2])."""
    arch = request.param
    exe = build(tmp_path_factory.mktemp("core_" + arch), arch)
    cores = [exe.parent / "gen1.core", exe.parent / "gen2.core"]
    p = run([str(exe)] + [str(c) for c in cores], cwd=exe.parent)
    assert p.returncode == 0, p.stderr
    return arch, exe, cores


def elf_layout(core):
    """(e_machine, note types, [(vaddr, filesz, memsz)] of the PT_LOADs) of an ELF core."""
    data = core.read_bytes()
    assert data[:4] == b"\x7fELF"
    is64 = data[4] == 2
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    assert e_type == 4  # ET_CORE
    if is64:
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
    else:
        phoff, = struct.unpack_from("<I", data, 28)
        phentsize, phnum = struct.unpack_from("<HH", data, 42)
    phdrs = []
    for i in range(phnum):
        off = phoff + i * phentsize
        if is64:
            p_type, _, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
                "<IIQQQQQQ", data, off)
        else:
            p_type, p_offset, p_vaddr, _, p_filesz, p_memsz, _, _ = struct.unpack_from(
                "<IIIIIIII", data, off)
        phdrs.append((p_type, p_offset, p_vaddr, p_filesz, p_memsz))
    assert phdrs[0][0] == 4  # PT_NOTE first
    notes, pos = [], phdrs[0][1]
    end = pos + phdrs[0][3]
    while pos < end:
        namesz, descsz, n_type = struct.unpack_from("<III", data, pos)
        notes.append(n_type)
        pos += 12 + (namesz + 3 & ~3) + (descsz + 3 & ~3)
    loads = [(v, fs, ms) for t, _, v, fs, ms in phdrs[1:]]
    assert all(t == 1 for t, *_ in phdrs[1:])  # the rest are PT_LOAD
    return e_machine, notes, loads


def test_core_layout(dumped):
    arch, exe, cores = dumped
    machine, notes, loads = elf_layout(cores[0])
    assert machine == (3 if arch.startswith("i386") else 62)  # EM_386, EM_X86_64
    # NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE
    assert notes == [1, 3, 6, 0x46494C45]
    assert [v for v, _, _ in loads] == sorted(v for v, _, _ in loads)
    # The 64 MB arena is in, trimmed to the pages the fixture touched (first 1 MB + 1 page).
    arena = [(fs, ms) for _, fs, ms in loads if ms >= 64 << 20]
    assert arena and all(fs <= (1 << 20) + 2 * 4096 for fs, _ in arena)
    assert not os.path.exists(str(cores[0]) + ".tmp")


def test_core_is_small(dumped):
    _, _, cores = dumped
    for core in cores:
        assert core.stat().st_size < 4 << 20, core.stat().st_size
        assert core.stat().st_blocks * 512 < 2 << 20


EXPECTED = {
    "count": 5,
    "owner": "fixture-zone-name",
    "zone_name": "fixture-zone-name",
    "file_static": 23,
    "data_page0": 0,
    "probe": 0,
    "arena_1mb": "arena-1mb",
    "mod_magic": 4242,
    "mod_label": "module-label",
}


def check_common(r, gen):
    for k, v in EXPECTED.items():
        assert r[k] == v, (k, r[k])
    assert r["generation"] == gen
    assert r["items"] == [1000 + gen - 1, 1001, 1002, 1003, 1004]


@pytest.mark.parametrize("gen", [1, 2])
def test_gdb_reads_core(dumped, gen, tmp_path):
    _, exe, cores = dumped
    script = tmp_path / "check.py"
    script.write_text(GDB_SCRIPT)
    p = run(["gdb", "-batch", "-nx", "-x", str(script), str(exe), str(cores[gen - 1])])
    r = result_of(p)
    check_common(r, gen)
    ko = str(exe.parent / "modules" / "test.ko")
    assert r["mod_solib"] == ko
    assert "mod_state in section .data of " + ko in r["mod_symbol"]
    assert ko in r["sharedlibrary"]
    assert "sim_dump_core" in r["frames"] and "main" in r["frames"]


@pytest.mark.parametrize("gen", [1, 2])
def test_lldb_reads_core(dumped, gen, tmp_path):
    _, exe, cores = dumped
    script = tmp_path / "lldbcheck.py"
    script.write_text(LLDB_SCRIPT)
    p = run(["lldb-19", "-b", "--no-lldbinit", "-c", str(cores[gen - 1]), str(exe),
             "-o", "command script import " + str(script),
             "-o", "command script add -f lldbcheck.run check", "-o", "check"])
    r = result_of(p)
    check_common(r, gen)
    assert r["probe_ok"]
    ko = str(exe.parent / "modules" / "test.ko")
    assert r["mod_module"] == ko
    assert ko in r["modules"]
    assert "fixture-zone-name" in r["p_zone_name"]
    assert r["frames"][:2] == ["sim_dump_core", "main"]


@pytest.fixture
def live(tmp_path):
    """A running fixture (x86_64) waiting to be attached to; yields (exe, pid)."""
    exe = build(tmp_path / "live", "x86_64")
    proc = subprocess.Popen([str(exe), "--wait"], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(proc.stdout.readline())
        yield exe, pid
    finally:
        proc.kill()
        proc.wait()


def skip_if_ptrace_denied(p):
    text = p.stdout + p.stderr
    if "Operation not permitted" in text or "ptrace_scope" in text:
        pytest.skip("ptrace attach not permitted on this machine:\n" + text[-500:])


def test_gdb_attach(live):
    exe, pid = live
    p = run(["gdb", "-batch", "-nx", "-p", str(pid), "-ex", "p zone_name",
             "-ex", "p mod_state.magic", str(exe)])
    skip_if_ptrace_denied(p)
    assert '"fixture-zone-name"' in p.stdout, p.stdout + p.stderr
    assert "= 4242" in p.stdout


def test_lldb_attach(live):
    exe, pid = live
    p = run(["lldb-19", "-b", "--no-lldbinit", "-p", str(pid), "-o", "p zone_name",
             "-o", "p mod_state.magic", "-o", "detach"])
    skip_if_ptrace_denied(p)
    assert '"fixture-zone-name"' in p.stdout, p.stdout + p.stderr
    assert "4242" in p.stdout


def test_dump_failure_sets_errno(tmp_path):
    """A core path in a missing directory: -1, nothing left behind, the program reports it."""
    exe = build(tmp_path / "err", "x86_64")
    p = run([str(exe), str(tmp_path / "no" / "such" / "dir.core")])
    assert p.returncode == 1
    assert "No such file or directory" in p.stderr
