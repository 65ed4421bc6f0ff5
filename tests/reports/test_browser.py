"""Open the report in headless Chromium: it renders, logs no console errors, and is not blank.

Chromium comes from the Debian package `chromium` (.ci/run installs it). Without it this test
fails, unless SCAPRE_SKIP_BROWSER=1 says to skip it.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from reports.build import build_report

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
]

pytestmark = pytest.mark.browser


def _chromium(*args: str) -> subprocess.CompletedProcess:
    if not CHROMIUM.exists():
        if os.environ.get("SCAPRE_SKIP_BROWSER") == "1":
            pytest.skip("SCAPRE_SKIP_BROWSER=1")
        pytest.fail(
            "headless Chromium is needed: install it with `apt-get install -y chromium` "
            "(bash .ci/run does), or set SCAPRE_SKIP_BROWSER=1 to skip this test"
        )
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(r"CONSOLE|Uncaught", line)]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from tests.reports.conftest import DATA

    return build_report([DATA], tmp_path_factory.mktemp("browser") / "report")


def test_pages_render_without_errors(report: Path):
    doms = {}
    for page in ("index.html", "concept-0001.html"):
        done = _chromium("--dump-dom", (report / page).as_uri())
        assert done.returncode == 0, done.stderr[-2000:]
        assert "<table" in done.stdout and "</html>" in done.stdout
        assert _console_errors(done.stderr) == []
        doms[page] = done.stdout
    assert "<svg" in doms["index.html"] and "Overview" in doms["index.html"]
    assert doms["concept-0001.html"].count("<img ") >= 5


def test_screenshot_is_not_blank(report: Path, tmp_path: Path):
    for page in ("index.html", "concept-0001.html"):
        shot = tmp_path / f"{page}.png"
        done = _chromium(f"--screenshot={shot}", "--window-size=1280,900", (report / page).as_uri())
        assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
        with Image.open(shot) as image:
            rgb = image.convert("RGB")
            colours = rgb.getcolors(maxcolors=1 << 20) or []
            spread = max(ImageStat.Stat(rgb).stddev)
        assert len(colours) > 50, f"{page}: only {len(colours)} colours, page looks blank"
        assert spread > 20, f"{page}: pixel spread {spread:.1f}, page looks blank"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    from tests.reports.conftest import DEMO

    return build_report([DEMO], tmp_path_factory.mktemp("browser-demo") / "report")


def test_first_screen_has_summary_plot_glossary_and_verdicts(demo_report: Path, tmp_path: Path):
    """The rendered DOM (after Chromium parsed it) has the summary in words, the inline SVG
    forgetting-vs-preservation plot, the glossary and each image's verdict; the first screen
    (1280x900) shows the summary, not a blank or a table of numbers only."""
    done = _chromium("--dump-dom", (demo_report / "index.html").as_uri())
    assert done.returncode == 0 and _console_errors(done.stderr) == [], done.stderr[-2000:]
    dom = done.stdout
    findings = re.search(r'<section id="findings">(.*?)</section>', dom, re.S)
    assert findings and findings.group(1).count("<li>") == 3
    assert re.search(r"uce on ladder@2 removed red circle and red cross: forget_acc", dom)
    assert re.search(r'<svg[^>]*class="chart tradeoff"', dom) and 'class="unedited"' in dom
    glossary = re.search(r'<section id="glossary">(.*?)</section>', dom, re.S)
    assert glossary and "forget_acc" in glossary.group(1) and "interval" in glossary.group(1)
    page = next(
        p for p in sorted(demo_report.glob("concept-*.html")) if "red circle" in p.read_text()
    )
    sheet = _chromium("--dump-dom", page.as_uri())
    assert sheet.returncode == 0 and _console_errors(sheet.stderr) == []
    assert re.search(r'<span class="verdict hit">✓ red circle', sheet.stdout)
    assert re.search(r'<span class="verdict miss">✗ ', sheet.stdout)
    shot = tmp_path / "first-screen.png"
    done = _chromium(
        f"--screenshot={shot}", "--window-size=1280,900", (demo_report / "index.html").as_uri()
    )
    assert done.returncode == 0 and shot.is_file()
    with Image.open(shot) as image:
        assert max(ImageStat.Stat(image.convert("RGB")).stddev) > 20
