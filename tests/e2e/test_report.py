"""kmem-report as users make it and read it: produced in gdb or lldb-19 (every era image, each era
in one debugger, both debuggers used), from a live kernel's kmem-watch --save series with the
kgdb_scripts/kmem-report script, and opened in headless Chromium with the network blocked.  The
page's numbers must equal kmem-summary --format json of the same target, the router's treemap must
show libalias filling its malloc zone (checked against the simulator's ledger), and its growth
chart must star libalias with its owner."""

import html
import json
import os
import re
import subprocess

import pytest

from . import browser
from .debuggers import Debugger
from .images import ROOT, SKIP_REASON, crash_images
from .test_live import ERAS as LIVE_ERAS, LiveKernel

IMAGES = crash_images()
ERAS = sorted({i.era for i in IMAGES})
pytestmark = [pytest.mark.skipif(not IMAGES, reason=SKIP_REASON),
              pytest.mark.skipif(browser.unavailable() is not None,
                                 reason=browser.unavailable() or "")]
REPORT_SCRIPT = os.path.join(ROOT, "kgdb_scripts", "kmem-report")
SUMMARY = "kmem-summary --format json --top 20"     # the top a snapshot's summary keeps


def debugger_for(era):
    """Eras alternate between gdb and lldb-19: every era image in one, both debuggers used."""
    return ("gdb", "lldb")[ERAS.index(era) % 2]


def make_report(kind, image, html, snapshot=None):
    """kmem-summary's JSON and kmem-report's message, from one session on the image's core."""
    dbg = Debugger.open(kind, image.kernel, core=image.core)
    try:
        summary = json.loads(dbg.run(SUMMARY, timeout=120))["kmem-summary"]
        extra = f" --snapshots {snapshot}" if snapshot else ""
        said = dbg.run(f"kmem-report --html {html}{extra}", timeout=180)
        assert dbg.status == 0, said
    finally:
        dbg.close()
    return summary, said


def snapshot_of(kind, image, core, path):
    dbg = Debugger.open(kind, image.kernel, core=core)
    try:
        said = dbg.run(f"kmem-snapshot save {path}", timeout=120)
        assert dbg.status == 0, said
    finally:
        dbg.close()


def check_page(page, html_text, summary):
    """What every report must show, against kmem-summary's JSON of the same target."""
    assert not browser.external_references(html_text), "the page would fetch something"
    k = summary["kernel"]
    assert f"<title>kmemdbg report: {k['version']}</title>" in page.dom.replace("&amp;", "&")
    if k["panicstr"]:
        assert k["panicstr"] in page.dom.replace("&amp;", "&")
    assert f"{k['cpus']} (mp_maxid {k['mp_maxid']})" in page.dom
    # The reconciliation table: every category, the sum and the remainder, to the byte.
    rows = page.rows("data-key")
    want = {c["key"]: c["bytes"] for c in summary["categories"]}
    want.update(accounted=summary["accounted"])
    if summary["remainder"] is not None:
        want.update(remainder=summary["remainder"])
    assert rows == want
    # Top zones and malloc types, names and bytes in order (the page leaves out empty rows).
    zones = [(z["name"], z["bytes"]) for z in summary["top_zones"] if z["bytes"]]
    types = [(t["type"], t["bytes"]) for t in summary["top_malloc_types"] if t["bytes"]]
    section = page.dom.split("<h2>Top zones</h2>")[1]
    top_zones, rest = section.split("<h2>Top malloc types</h2>")
    assert _name_bytes(top_zones) == zones
    assert _name_bytes(rest.split("<h2>")[0]) == types
    limits = page.dom.split("<h2>Limits and failures</h2>")[1].split("<h2>")[0]
    for r in summary["limits"]:
        assert f"<td>{r['zone']}</td>" in limits
    # The treemap: plotly drew it (offline), boxes sized by the same bytes.
    treemap = browser.figures(html_text)[0][0]
    values = dict(zip(treemap["ids"], treemap["values"]))
    for c in summary["categories"]:
        if c["bytes"] > 0:
            assert values[f"kmem/{c['key']}"] == c["bytes"], c["key"]
    whole = summary["accounted"] + max(summary["remainder"] or 0, 0)
    assert values["kmem"] == whole
    if page.png:                                # drawn by plotly in the browser, offline
        drawn = page.treemap_labels()
        for c in summary["categories"]:
            if c["bytes"] >= whole // 20:
                assert c["name"] in drawn, f"treemap box {c['name']!r} not drawn; drawn: {sorted(drawn)}"
        inked, colours = browser.screenshot_is_a_picture(page.png)
        assert inked > 0.15 and colours > 30, f"screenshot blank? {inked:.0%} inked, {colours} colours"
    return values


def _name_bytes(section):
    return [(html.unescape(name), int(b)) for name, b in
            re.findall(r'<tr><td>([^<]*)</td><td class="num" data-bytes="(\d+)"', section)]


def ledger_share(expected, mtype):
    """The ledger's fullest malloc zone among ``mtype``'s sizes: (zone name, its bytes in use, the
    bytes of it no other type of that size can hold), by vmstat's numbers in expected.json."""
    types = expected["malloc-types"]["malloc-statistics"]["memory"]
    zones = expected["uma-zones"]["memory-zone-statistics"]["zone"]
    sizes = next(t["size"] for t in types if t["type"] == mtype)
    by_size = {}            # MALLOC_DEBUG_MAXZONES kernels have several zones of one name and size
    for z in zones:
        if z["size"] in sizes and z["name"] in (str(z["size"]), f"malloc-{z['size']}"):
            name, nbytes = by_size.get(z["size"], (z["name"], 0))
            by_size[z["size"]] = (name, nbytes + z["used"] * z["size"])
    size, (name, nbytes) = max(by_size.items(), key=lambda t: t[1][1])
    others = sum(min(t["memory-use"], size * t["in-use"]) for t in types
                 if t["type"] != mtype and size in (t["size"] or []))
    return name, nbytes, nbytes - others


def in_browser(image):
    """Chromium opens every era's router report and every scenario of the first era (about six
    seconds each); the other pages are checked from the file."""
    return image.scenario == "router" or image.era == ERAS[0]


@pytest.mark.parametrize("image", IMAGES, ids=[i.id for i in IMAGES])
def test_report_of_every_image(image, tmp_path):
    kind = debugger_for(image.era)
    html = str(tmp_path / "report.html")
    snap = None
    if image.scenario == "router":          # the demo's two cores: growth from tick 30 to the crash
        snap = str(tmp_path / "tick30.json")
        snapshot_of(kind, image, os.path.join(image.dir, "vmcore.30"), snap)
    summary, said = make_report(kind, image, html, snap)
    assert f"kmem-report: wrote {html}" in said and "Traceback" not in said
    with open(html) as f:
        text = f.read()
    page = browser.open_page(html, tmp_path) if in_browser(image) else browser.Page(text, None)
    values = check_page(page, text, summary)
    if image.scenario != "router":
        return
    # libalias fills its malloc zone: its box under malloc(9) small, by the ledger's numbers.
    zone, zone_bytes, share = ledger_share(image.expected(), "libalias")
    assert values[f"kmem/malloc_small/{zone}"] == zone_bytes
    assert values[f"kmem/malloc_small/{zone}/libalias"] == share >= 0.9 * zone_bytes
    assert "libalias" in page.treemap_labels()
    # The growth chart: libalias starred as the culprit, its owner named.
    assert '<div id="kmem-growth">' in page.dom and "culprit: libalias" in page.dom
    growth = page.dom.split("<h2>Growth over time</h2>")[1]
    assert 'data-name="libalias" class="culprit-row"' in growth
    assert "M_ALIAS" in growth and "libalias.ko" in growth


@pytest.mark.skipif(not LIVE_ERAS, reason="no simulated kernels built (make -C vm_images)")
@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_report_of_a_live_series_outside_the_debugger(kind, tmp_path):
    """kmem-watch --save in gdb or lldb on a live kernel, then kgdb_scripts/kmem-report on the
    files."""
    live = LiveKernel(LIVE_ERAS[0], tmp_path, interval=2)
    dbg = None
    series = tmp_path / "series"
    try:
        live.wait_tick(2)
        dbg = Debugger.open(kind, live.kernel, pid=live.pid)
        said = dbg.run(f"kmem-watch --interval 2 --count 2 --threshold 1K --save {series}", timeout=180)
        assert "3 snapshots saved" in said and "▁" in said, said      # a sparkline per grower
        summary = json.loads(dbg.run(SUMMARY, timeout=120))["kmem-summary"]   # stopped: the last sample
    finally:
        if dbg is not None:
            dbg.close()
        live.close()
    html = str(tmp_path / "live.html")
    p = subprocess.run([REPORT_SCRIPT, str(series), "-o", html], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    with open(html) as f:
        text = f.read()
    page = browser.open_page(html, tmp_path)
    check_page(page, text, summary)
    growth = page.dom.split("<h2>Growth over time</h2>")[1]
    assert 'data-name="libalias" class="culprit-row"' in growth and "M_ALIAS" in growth


def test_report_without_plotly_is_one_line(tmp_path):
    """A Python without plotly: the script and the command name the package, no traceback."""
    shadow = tmp_path / "shadow" / "plotly"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('plotly is not installed here')\n")
    env = dict(os.environ, PYTHONPATH=str(shadow.parent))
    image = IMAGES[0]
    snap = str(tmp_path / "s.json")
    snapshot_of("gdb", image, image.core, snap)
    p = subprocess.run([REPORT_SCRIPT, snap, "-o", str(tmp_path / "x.html")], capture_output=True,
                       text=True, timeout=60, env=env)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "python3-plotly" in p.stderr, p.stderr
    dbg = Debugger.open("lldb", image.kernel, core=image.core, env=env)
    try:
        said = dbg.run(f"kmem-report --html {tmp_path / 'y.html'}", timeout=60)
        assert dbg.status == 1 and "install it: apt install python3-plotly" in said, said
        assert "Traceback" not in said
        assert "WHERE IT WENT" in dbg.run("kmem-summary --bars", timeout=120)   # others unaffected
    finally:
        dbg.close()
    assert not os.path.exists(tmp_path / "y.html")


ROUTERS = [i for i in IMAGES if i.scenario == "router" and i.era == "fbsd13"]


@pytest.mark.skipif(not ROUTERS, reason="fbsd13 router image not built (make -C vm_images)")
@pytest.mark.parametrize("kind", ["gdb", "lldb"])
def test_lost_items_and_holders_sections_equal_the_reach_ledger(kind, tmp_path):
    """kmem-report --leaks --holders in the debugger, and the script given kmem-findleaks' and
    kmem-holders' JSON, show the planted leak (the simulator's reach.json: zone, items, bytes) in
    a "Lost items" section, and the libalias instance holding the zone's reachable items."""
    image = ROUTERS[0]
    with open(os.path.join(image.dir, "reach.json")) as f:
        reach = json.load(f)
    lost = [row for row in reach["items"] if row[2] is False]
    zones = {reach["kinds"][row[1]]["zone"] for row in lost}
    want = (sorted(zones), reach["summary"]["unreachable"], reach["summary"]["unreachable_bytes"])
    held_by = {}
    for row in reach["items"]:
        if row[2] is True and reach["kinds"][row[1]]["zone"] in zones:
            held_by[row[4]] = held_by.get(row[4], 0) + 1
    instance = max(held_by, key=held_by.get)       # the libalias instance holds most of them
    page, leaks = tmp_path / "leaks.html", tmp_path / "leaks.json"
    dbg = Debugger.open(kind, image.kernel, core=image.core)
    try:
        zone = want[0][0]
        said = dbg.run(f"kmem-report --html {page} --leaks --holders {zone}", timeout=300)
        assert dbg.status == 0, said
        leaks.write_text(dbg.run("kmem-findleaks --format json", timeout=300))
        held = tmp_path / "holders.json"
        held.write_text(dbg.run(f"kmem-holders {zone} --format json", timeout=300))
        dbg.run(f"kmem-snapshot save {tmp_path / 'now.json'}", timeout=120)
    finally:
        dbg.close()
    script_page = tmp_path / "script.html"
    p = subprocess.run(["/usr/bin/python3", REPORT_SCRIPT, str(tmp_path / "now.json"), "-o",
                        str(script_page), "--leaks", str(leaks), "--holders", str(held)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    for text in (page.read_text(), script_page.read_text()):
        section = text.split("<h2>Lost items (kmem-findleaks)</h2>", 1)[1].split("<h2>", 1)[0]
        rows = re.findall(r'<tr data-zone="([^"]*)"><td>[^<]*</td><td>\d+</td><td>(\d+)</td>'
                          r'<td class="num" data-bytes="(\d+)">', section)
        assert ([z for z, _, _ in rows], sum(int(n) for _, n, _ in rows),
                sum(int(b) for _, _, b in rows)) == want
        assert "conservative scan" in section
        # the instance holding the reachable links, by the ledger's holder of the most items
        holding = re.search(r"<h2>Who holds [^<]* \(kmem-holders\)</h2>(.*?)(<h2>|$)", text, re.S)
        assert holding and f"{want[1]:,} reached by nothing" in holding.group(1)
        assert f"struct libalias@{instance:#x}" in holding.group(1)
