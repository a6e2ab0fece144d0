"""The HTML report in a real browser: Debian's chromium, headless, offline, from file://.

Checks that the page loads without a console message (its Content-Security-Policy makes the
browser log any resource it would have fetched), that every chart has its known number of
marks in the DOM the browser built, and takes a screenshot that must not be blank. The
screenshot is kept under the artifacts directory the test prints (GREENGATE_TEST_ARTIFACTS,
else .test-artifacts/ in the checkout); docs/report.png is copied from it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from test_report_html import EXPECTED_MARKS, known_html, marks_per_figure

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
ROOT = Path(__file__).resolve().parents[2]
SHOT = (1000, 3700)  # header, timelines, windows and a baseline: docs/report.png
# Headless, and kept off the network: no sync, no component or field-trial downloads.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def artifacts() -> Path:
    """Where the screenshot is kept (printed, so a CI log says where to look)."""
    where = Path(os.environ.get("GREENGATE_TEST_ARTIFACTS") or ROOT / ".test-artifacts")
    folder = where / "report"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"report test artifacts: {folder}")
    return folder


def browse(page: Path, profile: Path, *action: str) -> subprocess.CompletedProcess[str]:
    """Open ``page`` in a fresh profile, doing ``action`` (--dump-dom, --screenshot=...)."""
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *action, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def console(stderr: str) -> list[str]:
    """The page's console messages as chromium logs them (``INFO:CONSOLE...] "text"``)."""
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(\]]", line)]


def test_console_check_catches_a_blocked_resource(tmp_path: Path) -> None:
    # The control: the same check on a page that reaches out must see the browser refuse it.
    html = known_html(tmp_path).replace("<main>", '<main><img src="https://127.0.0.1:9/x.png">')
    page = tmp_path / "reaching.html"
    page.write_text(html)
    done = browse(page, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr
    assert any("violates the following Content Security Policy" in m for m in console(done.stderr))


def test_report_in_chromium(tmp_path: Path) -> None:
    folder = artifacts()
    page = folder / "report.html"
    page.write_text(known_html(tmp_path))
    done = browse(page, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr
    assert console(done.stderr) == []
    dom = done.stdout
    assert "</html>" in dom
    counts = marks_per_figure(dom)
    assert {chart: drawn for chart, (_, drawn) in counts.items()} == EXPECTED_MARKS

    shot = folder / "report.png"
    shot.unlink(missing_ok=True)
    done = browse(
        page, tmp_path / "profile2", f"--window-size={SHOT[0]},{SHOT[1]}", f"--screenshot={shot}"
    )
    assert done.returncode == 0, done.stderr
    image = Image.open(shot).convert("RGB")
    assert image.size == SHOT
    colours = image.getcolors(maxcolors=SHOT[0] * SHOT[1])
    assert colours is not None and len(colours) > 50  # not blank: text, lines and the palette
    # The palette's blue, as the first series draws it, covers part of the page.
    blue = sum(n for n, (r, g, b) in colours if abs(r - 0x00) + abs(g - 0x72) + abs(b - 0xB2) < 20)
    assert blue > 1000


def test_report_prints(tmp_path: Path) -> None:
    # @media print: the browser lays the page out on paper without error, on several pages.
    page = tmp_path / "report.html"
    page.write_text(known_html(tmp_path))
    pdf = artifacts() / "report.pdf"
    pdf.unlink(missing_ok=True)
    done = browse(page, tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert done.returncode == 0, done.stderr
    assert console(done.stderr) == []
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 3
