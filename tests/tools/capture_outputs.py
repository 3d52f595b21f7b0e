"""Capture what every kmemdbg command prints on every built image, for before/after comparisons.

    /usr/bin/python3 tests/tools/capture_outputs.py OUTDIR       # after `make -C vm_images`
    diff -r BEFORE AFTER                                          # a refactor must print the same

One gdb batch run per image (era x scenario) writes ``OUTDIR/<era>-<scenario>.txt``: each
command's output under a ``==== command`` header.  ``kmem-diff`` compares a snapshot of the
image's ``vmcore.30`` (saved by an earlier run) with ``vmcore``.  Snapshot files themselves hold
the wall time of the capture, so only what the commands print is compared.  Commands run from
OUTDIR/work with relative file names so that the printed paths do not depend on OUTDIR.
"""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("KMEMDBG_IMAGES") or os.path.join(REPO, "vm_images", "build")
KMEM_GDB = os.path.join(REPO, "plugins", "gdb_kmem.py")

COMMANDS = (
    [f"uma-zones --format {f}" for f in ("table", "json", "vmstat", "csv")]
    + [f"uma-zones --compat kvm --format {f}" for f in ("table", "json", "vmstat", "csv")]
    + ["uma-zones --where", "uma-zones --where --format json --sort free --top 5",
       "uma-zones --match '^mbuf' --sort used"]
    + [f"malloc-types --format {f}" for f in ("table", "json", "vmstat", "csv")]
    + [f"malloc-types --compat kvm --format {f}" for f in ("table", "json", "vmstat", "csv")]
    + ["malloc-types --all --sort requests --top 5",
       "kmem-summary", "kmem-summary --format json", "kmem-summary --bars",
       "kmem-report --html report.html",
       "kmem-snapshot save now.json",
       "kmem-owner mbuf", "kmem-owner temp --format json", "kmem-owner --regex '^mbuf'",
       "kmem-whatis kmemstatistics 0x10", "uma-items mbuf --where --limit 20",
       "uma-items mbuf --summary", "uma-items mbuf --free --format json",
       "kmem-findleaks -v", "kmem-findleaks --format json"]
)
DIFF_COMMANDS = ("kmem-diff snap30.json", "kmem-diff snap30.json --format json")


def gdb(kernel, core, commands, cwd):
    """Run ``commands`` in one gdb batch session on ``kernel`` + ``core``; return the output."""
    argv = ["gdb", "-nx", "-batch", "-ex", "set width 0", "-ex", "set height 0",
            "-ex", f"source {KMEM_GDB}", "-ex", f"file {kernel}", "-ex", f"core-file {core}"]
    for c in commands:
        argv += ["-ex", f"echo ==== {c}\\n", "-ex", c]
    res = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=600)
    return res.stdout


def main(outdir):
    work = os.path.join(outdir, "work")
    os.makedirs(work, exist_ok=True)
    for era in sorted(os.listdir(BUILD)):
        if not os.path.isdir(os.path.join(BUILD, era)):    # make.log
            continue
        for scenario in sorted(os.listdir(os.path.join(BUILD, era))):
            d = os.path.join(BUILD, era, scenario)
            kernel, core = os.path.join(d, "kernel"), os.path.join(d, "vmcore")
            if not (os.path.exists(kernel) and os.path.exists(core)):
                continue
            text = gdb(kernel, core, COMMANDS, work)
            if os.path.exists(os.path.join(d, "vmcore.30")):
                text += gdb(kernel, os.path.join(d, "vmcore.30"), ["kmem-snapshot save snap30.json"],
                            work)
                text += gdb(kernel, core, DIFF_COMMANDS, work)
            with open(os.path.join(outdir, f"{era}-{scenario}.txt"), "w") as f:
                f.write(text)
            print(f"{era}-{scenario}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: capture_outputs.py OUTDIR")
    main(sys.argv[1])
