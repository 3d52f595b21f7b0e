"""Only the backends and the two entry files may import gdb or lldb."""

import ast
import pathlib

PLUGINS = pathlib.Path(__file__).resolve().parents[2] / "plugins"
ALLOWED = {PLUGINS / "gdb_kmem.py", PLUGINS / "lldb_kmem.py"}


def debugger_imports(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in ("gdb", "lldb"):
                yield name


def test_no_debugger_import_outside_backends():
    offenders = []
    for path in PLUGINS.rglob("*.py"):
        if path in ALLOWED or (PLUGINS / "kmemdbg" / "backends") in path.parents:
            continue
        offenders += [f"{path.relative_to(PLUGINS)}: import {n}" for n in debugger_imports(path)]
    assert not offenders, offenders


def test_the_check_sees_an_import(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("def f():\n    import gdb\n")
    assert list(debugger_imports(f)) == ["gdb"]
