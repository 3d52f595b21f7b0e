"""Usage errors through real gdb and lldb-19: status 2 and one ``kmemdbg: error:`` line, the same
line in both debuggers, and the session goes on."""

import pytest

from .debuggers import Debugger, available
from .images import SKIP_REASON, crash_images

IMAGES = [i for i in crash_images(("router",)) if i.era == "fbsd13"]
pytestmark = pytest.mark.skipif(not IMAGES, reason=SKIP_REASON)

BAD = [
    ("uma-zones --top -1", "kmemdbg: error: uma-zones: argument --top: N must be 0 or more"),
    ("malloc-types --match '(' ", "kmemdbg: error: malloc-types: argument --match: bad regular "
                                  "expression: missing ), unterminated subpattern at position 0"),
    ("uma-zones --sort bogus", "kmemdbg: error: uma-zones: argument --sort: unknown column 'bogus'; "
                               "choose from name, size, limit, used, free, requests, fail, sleep, "
                               "xdomain, memory, total, free-cpu, free-zone, free-keg, "
                               "free-cpu-bytes, free-zone-bytes, free-keg-bytes"),
    ("kmem-summary --top x", "kmemdbg: error: kmem-summary: argument --top: not a number: 'x'"),
    ("kmem-diff old.json --threshold 12Q",
     "kmemdbg: error: kmem-diff: argument --threshold: not a size: '12Q'"),
    ("kmem-watch --count 0", "kmemdbg: error: kmem-watch: argument --count: N must be positive"),
    ("kmem-owner --regex '('", "kmemdbg: error: kmem-owner: NAME: bad regular expression: "
                               "missing ), unterminated subpattern at position 0"),
    ("kmem-whatis 0x10 zz!", "kmemdbg: error: kmem-whatis: argument ADDR: not an address or "
                             "symbol: 'zz!'"),
    ("uma-items mbuf --limit -1", "kmemdbg: error: uma-items: argument --limit: N must be 0 or "
                                  "more"),
    ("kmem-findleaks --size big", "kmemdbg: error: kmem-findleaks: argument --size: not a size: "
                                  "'big'"),
]


@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_usage_errors(kind):
    if available(kind):
        pytest.skip(available(kind))
    image = IMAGES[0]
    dbg = Debugger.open(kind, image.kernel, core=image.core)
    try:
        for command, line in BAD:
            out = dbg.run(command, timeout=60)
            assert (out, dbg.status) == (line + "\n", 2), command
        assert "UMA Kegs" in dbg.run("uma-zones --top 200", timeout=120)
        assert dbg.status == 0 and dbg.alive()
    finally:
        dbg.close()
