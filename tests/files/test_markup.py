"""Markup outputs carry no character their format forbids (issue 20: a badge label with a
control character was not well-formed XML)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import Greengate

from greengate.files.markup import markup_safe, markup_text

# XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets), written out independently
# of the module under test, less the C1 controls and noncharacters HTML calls parse errors.
_ALLOWED = re.compile(
    "[\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd\U00010000-\U0010ffff]*"
)
HOSTILE = (
    "a\x00b\x01\x08\x0b\x0c\x0e\x1b[31m\x1f\x7f\x85\x9f"
    "\ud800\udfff\ufdd0\ufffe\uffff\U0001fffe<&\"'>z"
)


def _allowed(text: str) -> bool:
    return _ALLOWED.fullmatch(text) is not None and not re.search("[\U0001fffe-\U0001ffff]", text)


def test_every_forbidden_character_becomes_the_replacement_character() -> None:
    safe = markup_safe(HOSTILE)
    assert _allowed(safe)
    assert len(safe) == len(HOSTILE)  # one U+FFFD each: the reader sees something was there
    assert markup_safe("tab\there\nnew\rline été ☃ 🌱") == "tab\there\nnew\rline été ☃ 🌱"


def test_markup_text_parses_as_xml_in_content_and_attributes() -> None:
    text = markup_text(HOSTILE)
    element = ET.fromstring(f'<a title="{text}">{text}</a>')
    assert element.text == element.get("title") == markup_safe(HOSTILE)


def test_a_badge_label_with_control_characters_is_well_formed_svg(
    greengate: Greengate, tmp_path: Path
) -> None:
    label = "carbon\x01\x0b\x1b[31m\x7f\x85"
    out = greengate("badge", "--label", label, "-o", "badge.svg", env={"GREENGATE_LEDGER": "l.db"})
    assert out.returncode == 0, out.stderr
    svg = (tmp_path / "badge.svg").read_text(encoding="utf-8")
    assert _allowed(svg)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.get("aria-label", "").startswith("carbon\ufffd\ufffd\ufffd[31m\ufffd\ufffd")


@pytest.mark.parametrize("job", ["build\x01\x1b[2J", "test\x85\x9f", "bell\x07job"])
def test_the_html_report_carries_no_forbidden_character(
    greengate: Greengate, tmp_path: Path, job: str
) -> None:
    source = tmp_path / "emissions.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["timestamp", "project_name", "emissions", "energy_consumed"])
    writer.writerow(["2026-07-02T10:00:00", job, "0.5", "1.0"])
    source.write_text(buffer.getvalue(), encoding="utf-8")
    env = {"GREENGATE_LEDGER": "l.db"}
    assert greengate("ledger", "import", str(source), env=env).returncode == 0
    out = greengate("report", "--html", "report.html", env=env)
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert _allowed(html)
    assert markup_safe(job) in html


def test_an_emissions_csv_holding_a_nul_is_refused_on_every_python(
    greengate: Greengate, tmp_path: Path
) -> None:
    # csv.reader takes a NUL on 3.11 and refuses it on 3.10; greengate refuses it on each.
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emissions: 1 kg\n")
    source = tmp_path / "emissions.csv"
    source.write_text(
        "timestamp,project_name,emissions,energy_consumed\n2026-07-02T10:00:00,nul\x00job,0.5,1.0\n"
    )
    for command in (("ledger", "import"), ("check", "--measurement")):
        out = greengate(*command, str(source), env={"GREENGATE_LEDGER": "l.db"})
        assert out.returncode == 2, out.stderr
        assert f"{source}:2: holds a NUL character" in out.stderr
        assert "Traceback" not in out.stderr
