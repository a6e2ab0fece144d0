"""The HTML page: self-contained, escaped, one mark per known figure, honest when empty."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from known_ledger import NOW, fill, known_records, make_record, policy

from greengate.intensity.grid_table import grid_options
from greengate.ledger.interface import open_ledger
from greengate.ledger.records import RecordFilter
from greengate.ledger.sql import SqlLedger
from greengate.plan.where import rank
from greengate.report.build import build_report
from greengate.report.html import render_html
from greengate.units import format_emissions, format_energy

#: For the known ledger: the charts and how many data marks each must have.
EXPECTED_MARKS = {
    "emissions-by-branch": 22,  # main on each of 20 days, feature/x on 2
    "emissions-by-job": 25,  # train on 20 days, lint on 5
    "energy-by-branch": 22,
    "energy-by-job": 25,
    "window-0": 20,  # main per month: the 20 days with runs
    "window-1": 2,  # feature/* per 7 days: feature/x's two days
    "baseline-0": 12,  # train: 10 baseline runs and the 2 feature runs
    "baseline-1": 5,  # lint: 5 baseline runs
    "top-jobs": 2,
    "rerun-waste": 1,
    "spread": 2,
    "what-if": 11,  # as recorded, the 8 cleanest and the 2 most carbon-intensive grids
}


def known_html(path: Path) -> str:
    """The page for the known ledger, built in ``path``."""
    location = str(path / "ledger.db")
    fill(location)
    with open_ledger(location) as ledger:
        assert isinstance(ledger, SqlLedger)
        report = build_report(ledger, RecordFilter(), policy(), NOW)
    return render_html(replace(report, ledger=".greengate/ledger.db"))  # not the temp path


def marks_per_figure(html: str) -> dict[str, tuple[int, int]]:
    """Each figure's declared mark count and the marks inside it."""
    found = {}
    for m in re.finditer(r'<figure id="([^"]+)"[^>]*data-marks="(\d+)">(.*?)</figure>', html, re.S):
        found[m[1]] = (int(m[2]), m[3].count('class="mark"'))
    return found


def test_every_chart_has_its_known_marks(tmp_path: Path) -> None:
    counts = marks_per_figure(known_html(tmp_path))
    assert {k: v[1] for k, v in counts.items()} == EXPECTED_MARKS
    assert all(declared == drawn for declared, drawn in counts.values())


def test_self_contained(tmp_path: Path) -> None:
    html = known_html(tmp_path)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"\b(src|href)=\"(?!#)", html)  # only links within the page
    assert set(re.findall(r"https?://[^\"' )]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in html  # the browser refuses anything else, loudly


def test_every_chart_has_a_text_alternative_and_a_table(tmp_path: Path) -> None:
    html = known_html(tmp_path)
    for chart in EXPECTED_MARKS:
        assert f'aria-labelledby="{chart}-t {chart}-d"' in html
        assert f'<table id="{chart}-table">' in html
    assert "@media print" in html


def test_hover_titles_give_exact_figures(tmp_path: Path) -> None:
    html = known_html(tmp_path)
    assert "<title>feature/x, 2026-07-19: 5 kWh (1 run)</title>" in html
    assert "above the band: 5 kWh</title>" in html


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    location = str(tmp_path / "ledger.db")
    evil = '<script>alert("x")</script>&'
    with open_ledger(location) as ledger:
        ledger.insert_many([make_record(branch=evil, job=evil)])
        assert isinstance(ledger, SqlLedger)
        html = render_html(build_report(ledger, RecordFilter(), policy(), NOW))
    assert evil not in html and "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in html


def test_empty_ledger_says_so(tmp_path: Path) -> None:
    with open_ledger(str(tmp_path / "ledger.db")) as ledger:
        assert isinstance(ledger, SqlLedger)
        html = render_html(build_report(ledger, RecordFilter(), None, NOW))
    assert "holds no runs for this selection" in html
    assert "<figure" not in html


@pytest.mark.parametrize("count", [1, 3])
def test_one_slot_charts_draw(tmp_path: Path, count: int) -> None:
    location = str(tmp_path / "ledger.db")
    with open_ledger(location) as ledger:
        ledger.insert_many([make_record(run_id=str(i)) for i in range(count)])
        assert isinstance(ledger, SqlLedger)
        html = render_html(build_report(ledger, RecordFilter(), None, NOW))
    assert marks_per_figure(html)["emissions-by-branch"] == (1, 1)


def test_the_grid_what_if_is_greengate_wheres_ranking(tmp_path: Path) -> None:
    html = known_html(tmp_path)
    energy = sum(r.energy_kwh for r in known_records())
    ranked = rank(energy, grid_options())
    section = html[html.index("<h2>Grid what-if</h2>") :]
    titles = re.findall(r'class="mark"><title>([^<]*)</title>', section)
    assert titles[0].startswith("23.5 kg CO2e at ")  # as recorded
    for title, placement in zip(titles[1:], [*ranked[:8], *ranked[-2:]], strict=True):
        assert title.startswith(format_emissions(placement.emissions_kg) + " at ")
    assert f"of {len(ranked)} grids" in section


def test_small_runs_tick_in_the_units_of_their_cards(tmp_path: Path) -> None:
    # A unit-test job: runs of a fraction of a mWh (issue 19: its axes ticked in 0.00015 Wh
    # and 0.0005 g CO2e while its cards said mWh and mg).
    location = str(tmp_path / "ledger.db")
    runs = [
        make_record(run_id=str(i), energy_kwh=(1.2 + 0.1 * i) * 1e-7, emissions_kg=6e-9 * (i + 1))
        for i in range(3)
    ]
    with open_ledger(location) as ledger:
        ledger.insert_many(runs)
        assert isinstance(ledger, SqlLedger)
        html = render_html(build_report(ledger, RecordFilter(), None, NOW))
    tiles = dict(re.findall(r"<li>(energy|emissions)<b>([^<]*)</b>", html))
    assert tiles == {
        "energy": format_energy(sum(r.energy_kwh for r in runs)),
        "emissions": format_emissions(sum(r.emissions_kg for r in runs)),
    }
    for chart, quantity in (("energy-by-job", "energy"), ("emissions-by-job", "emissions")):
        figure = re.search(rf'<figure id="{chart}".*?</figure>', html, re.S)
        assert figure is not None
        axis = re.findall(r'transform="rotate\(-90[^"]*"\s*>([^<]*)</text>', figure[0])
        ticks = re.findall(r'text-anchor="end">([^<]*)</text>', figure[0])
        assert axis == [tiles[quantity].split(" ", 1)[1]]  # "µWh", "µg CO2e": the card's unit
        assert ticks and all(not t.startswith("0.0") for t in ticks), ticks
