"""Open a kmem-report page in headless Chromium, as a reader would, and read what it shows.

    page = open_page("report.html", tmp_path)      # the DOM after plotly ran, and a screenshot
    page.dom, page.png

Chromium runs with its proxy pointed at a closed port, so any fetch fails: a page that still
draws its treemap fetched nothing.  The report's own parts are read back from the DOM and from
the figure data plotly was given, never from the renderer's Python objects.
"""

import json
import os
import re
import shutil
import subprocess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--window-size=1280,1800", "--virtual-time-budget=4000")


def unavailable():
    if not CHROMIUM:
        return "chromium not installed (Debian: apt install chromium)"
    try:
        import PIL  # noqa: F401
    except ImportError:
        return "python3-pil not installed (reads the screenshot)"
    return None


class Page:
    def __init__(self, dom, png):
        self.dom, self.png = dom, png

    def rows(self, attr):
        """``{value of attr: data-bytes of the row's first number cell}`` (the report's tables)."""
        found = {}
        for m in re.finditer(rf'<tr {attr}="([^"]*)"[^>]*>(.*?)</tr>', self.dom, re.S):
            cell = re.search(r'data-bytes="(-?\d*)"', m.group(2))
            found[_unescape(m.group(1))] = int(cell.group(1)) if cell and cell.group(1) else None
        return found

    def treemap_labels(self):
        """Labels plotly drew in the treemap's boxes (SVG text, after its JavaScript ran): a box's
        text up to its first line break, without markup."""
        texts = re.findall(r'class="slicetext"[^>]*data-unformatted="([^"]*)"', self.dom)
        return {re.sub(r"<[^>]+>", "", _unescape(t).split("<br>")[0]).strip() for t in texts}


def _unescape(text):
    import html
    return html.unescape(text)


def open_page(path, tmp_path, timeout=120):
    """Load ``path`` in Chromium; the serialized DOM and a screenshot of the top of the page."""
    profile = tmp_path / "chromium-profile"
    png = str(tmp_path / (os.path.basename(path) + ".png"))
    p = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                        f"--screenshot={png}", "file://" + os.path.abspath(path)],
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert p.returncode == 0 and os.path.exists(png), f"chromium failed: {p.stderr[-2000:]}"
    return Page(p.stdout, png)


def screenshot_is_a_picture(png):
    """Not blank: plenty of non-white pixels and many colours (the treemap's boxes)."""
    from PIL import Image
    im = Image.open(png).convert("RGB")
    small = im.resize((im.width // 4, im.height // 4))
    pixels = list(small.getdata())
    inked = sum(1 for p in pixels if sum(p) < 720) / len(pixels)
    return inked, len(set(pixels))


def figures(html_text):
    """The data of every plotly figure in the page file, as plotly.js receives it."""
    decoder, out = json.JSONDecoder(), []
    for m in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html_text):
        data, _ = decoder.raw_decode(html_text, m.end())
        out.append(data)
    return out


def external_references(html_text):
    """``src``/``href`` attributes of tags that would make a browser fetch something (script
    bodies, plotly.js itself among them, are left out: their text is code, not markup)."""
    markup = re.sub(r"(<script\b[^>]*>).*?</script>", r"\1</script>", html_text, flags=re.S)
    return re.findall(r'<(?:script|link|img|iframe|embed|object)\b[^>]*\b(?:src|href|data)=', markup)
