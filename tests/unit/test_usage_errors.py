"""Every usage error of every command is status 2 and one ``kmemdbg: error: <command>:`` line,
found before the target is touched (the factory fails the test if it is called)."""

import argparse
import io

import pytest

from kmemdbg.commands import REGISTRY, load_commands, run_command
from kmemdbg.commands import options
from kmemdbg.commands.registry import USAGE

assert load_commands() == []
SPECS = {s.name: s for s in REGISTRY}

BAD = [
    ("uma-zones", ["--top", "-1"], "--top: N must be 0 or more"),
    ("uma-zones", ["--top", "many"], "--top: not a number: 'many'"),
    ("uma-zones", ["--match", "("], "--match: bad regular expression"),
    ("uma-zones", ["--sort", "bogus"], "--sort: unknown column 'bogus'"),
    ("malloc-types", ["--top", "-3"], "--top: N must be 0 or more"),
    ("malloc-types", ["--match", "[a-"], "--match: bad regular expression"),
    ("malloc-types", ["--sort", "used"], "--sort: unknown column 'used'"),
    ("kmem-summary", ["--top", "-1"], "--top: N must be 0 or more"),
    ("kmem-diff", ["old.json", "--top", "-1"], "--top: N must be 0 or more"),
    ("kmem-diff", ["old.json", "--threshold", "12Q"], "--threshold: not a size: '12Q'"),
    ("kmem-diff", ["old.json", "--threshold=-5K"], "--threshold: must not be negative"),
    ("kmem-watch", ["--threshold", "lots"], "--threshold: not a size: 'lots'"),
    ("kmem-watch", ["--count", "0"], "--count: N must be positive"),
    ("kmem-watch", ["--interval", "0"], "--interval: SECONDS must be positive"),
    ("kmem-watch", ["--top", "-2"], "--top: N must be 0 or more"),
    ("kmem-owner", ["--regex", "("], "NAME: bad regular expression"),
    ("kmem-snapshot", ["load", "x"], "invalid choice: 'load'"),
    ("kmem-report", [], "the following arguments are required: --html"),
    ("kmem-report", ["--html", "x.html", "--top", "-1"], "--top: N must be 0 or more"),
    ("kmem-report", ["--html", "x.html", "--threshold", "big"], "--threshold: not a size: 'big'"),
    ("kmem-whatis", ["0x10", "zz!"], "argument ADDR: not an address or symbol: 'zz!'"),
    ("kmem-whatis", [], "give at least one ADDR or --file"),
    ("kmem-whatis", ["--file", "/nonexistent/addrs"], "--file: [Errno 2]"),
    ("uma-items", ["mbuf", "--limit", "-1"], "--limit: N must be 0 or more"),
    ("uma-items", ["mbuf", "--free", "--allocated"], "not allowed with argument"),
    ("kmem-findleaks", ["--size", "big"], "--size: not a size: 'big'"),
    ("kmem-findleaks", ["--samples", "-1"], "--samples: N must be 0 or more"),
]


@pytest.mark.parametrize("name,argv,why", BAD, ids=[f"{n} {' '.join(a)}" for n, a, _ in BAD])
def test_usage_error_is_status_2_and_one_line(name, argv, why):
    out = io.StringIO()
    rc = run_command(SPECS[name], lambda: pytest.fail("target built for a usage error"), argv, out)
    text = out.getvalue()
    assert rc == USAGE, text
    assert text.count("\n") == 1 and text.startswith(f"kmemdbg: error: {name}: "), text
    assert why in text


def test_sort_accepts_keys_and_headers_in_any_case():
    p = SPECS["uma-zones"].make_parser()
    assert p.parse_args(["--sort", "FREE-CPU"]).sort == "FREE-CPU"
    assert p.parse_args(["--sort", "req"]).sort == "req"


@pytest.mark.parametrize("text,value", [("4096", 4096), ("64K", 65536), ("1.5M", 3 << 19),
                                        ("2g", 2 << 30), ("512KB", 512 << 10), ("auto", None)])
def test_sizes(text, value):
    assert options.size(text) == value


@pytest.mark.parametrize("fn,text", [(options.count, "-1"), (options.count, "1.5"),
                                     (options.positive_count, "0"), (options.seconds, "-2"),
                                     (options.seconds, "nan"), (options.size, ""),
                                     (options.regex, "(")])
def test_validators_refuse(fn, text):
    with pytest.raises(argparse.ArgumentTypeError):
        fn(text)
