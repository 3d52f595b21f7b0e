"""The batch crash report (kgdb_scripts/crashinfo.py / crashinfo.lldb, `make analyze`) as an
admin runs it: every section on an intact core, and every section still attempted on a damaged one."""

import os
import subprocess

import pytest

from .debuggers import no_proc_argv
from .images import ROOT, SKIP_REASON, crash_images

IMAGES = [i for i in crash_images(("router",)) if i.era in ("fbsd6", "fbsd13")]
pytestmark = pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)
SCRIPTS = os.path.join(ROOT, "kgdb_scripts")
SECTIONS = ("kmem-summary: where the memory went", "top UMA zones", "top malloc types",
            "vmstat -z (as vmstat -M", "vmstat -m (as vmstat -M")


def crashinfo(kind, kernel, core, html=None, prefix=()):
    """:param prefix: a command prefix to run the debugger under (``no_proc_argv()``)."""
    if kind == "gdb":
        argv = ["gdb", "-q", "-nx", "-batch", "-x", os.path.join(SCRIPTS, "crashinfo.py"), kernel, core]
    else:
        argv = ["lldb-19", "-b", "--no-lldbinit", "-c", core, kernel,
                "-o", f"command source -e false {os.path.join(SCRIPTS, 'crashinfo.lldb')}"]
    env = dict(os.environ, KMEMDBG_HTML=html) if html else None    # make analyze HTML=...
    p = subprocess.run(list(prefix) + argv, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
                       cwd="/", env=env)   # the scripts find the plugins from any directory
    return p.stdout + p.stderr


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
@pytest.mark.parametrize("image", IMAGES, ids=[i.id for i in IMAGES])
def test_crashinfo_report(kind, image, tmp_path):
    html = str(tmp_path / "report.html")
    out = crashinfo(kind, image.kernel, image.core, html)
    for title in SECTIONS + ("kmem-report: the HTML picture",):
        assert f"==== {title}" in out, out[-2000:]
    with open(html) as f:      # the page itself is read in a browser by test_report.py
        assert '<div id="kmem-treemap">' in f.read()
    assert f"kmem-report: wrote {html}" in out
    assert "reconciled" in out and "LIMITS AND FAILURES" in out and "net.graph.maxalloc" in out
    assert "libalias" in out and "Traceback" not in out


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_crashinfo_goes_on_after_a_failing_section(kind, tmp_path):
    image = IMAGES[-1]
    core = tmp_path / "vmcore.truncated"
    with open(image.core, "rb") as src, open(core, "wb") as dst:
        dst.write(src.read(os.path.getsize(image.core) // 2))
    out = crashinfo(kind, image.kernel, str(core))
    for title in SECTIONS:
        assert f"==== {title}" in out, out[-2000:]
    assert "kmemdbg: error" in out or "kmemdbg: warning" in out
    assert "Traceback" not in out


def test_crashinfo_gdb_without_proc():
    """As on FreeBSD (procfs has no fd/, usually not even mounted): /proc hidden, run from /."""
    if not no_proc_argv():
        pytest.skip("cannot hide /proc: unshare -rm refused (no user or mount namespaces)")
    image = IMAGES[-1]
    out = crashinfo("gdb", image.kernel, image.core, prefix=no_proc_argv())
    for title in SECTIONS:
        assert f"==== {title}" in out, out[-2000:]
    assert "reconciled" in out and "Traceback" not in out and "kmemdbg: error" not in out
