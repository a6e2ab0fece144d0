"""The trend report as one self-contained HTML file: inline CSS and SVG, no script, no fetch."""

from __future__ import annotations

from greengate.report import charts, tables
from greengate.report.build import SPREAD_RUNS
from greengate.report.charts import Line
from greengate.report.model import Report, Series
from greengate.report.svg import amount, esc
from greengate.report.what_if import CLEANEST, DIRTIEST
from greengate.units import format_count, format_intensity

# No external resource of any kind: the page must open from a CI artifact offline.
STYLE = """
:root { color-scheme: light; --ink: #222; --muted: #555; --rule: #ccc; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: #fff; margin: 0 auto; max-width: 980px; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .5rem;
  border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .6rem;
  padding: 0; list-style: none; }
.tiles li { border: 1px solid var(--rule); border-radius: 6px; padding: .5rem .7rem; }
.tiles b { display: block; font-size: 1.25rem; }
figure { margin: 1rem 0 1.5rem; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg { width: 100%; height: auto; font-size: 12px; fill: var(--ink); }
svg text { fill: var(--ink); }
.legend { list-style: none; padding: 0; margin: .2rem 0; display: flex; flex-wrap: wrap;
  gap: .3rem 1.2rem; font-size: .9rem; }
.legend svg { width: 34px; vertical-align: middle; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .85rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .2rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.notes li { color: var(--muted); }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  figure, table, tr { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  #figures { break-before: page; }
}
"""


def _slots(report: Report) -> list[str]:
    return [d.isoformat() for d in report.timeline.buckets]


def _lines(series: tuple[Series, ...], kind: str) -> list[Line]:
    return [
        Line(s.name, s.emissions_kg if kind == "emissions" else s.energy_kwh, s.runs)
        for s in series
    ]


def _tiles(report: Report) -> str:
    t = report.totals
    share = t.rerun_emissions_kg / t.emissions_kg if t.emissions_kg else 0.0
    tiles = (
        ("runs", str(t.runs)),
        ("energy", amount("energy", t.energy_kwh)),
        ("emissions", amount("emissions", t.emissions_kg)),
        ("reruns", str(t.reruns)),
        ("rerun waste", f"{amount('emissions', t.rerun_emissions_kg)} ({share:.0%})"),
    )
    items = "".join(f"<li>{esc(name)}<b>{esc(value)}</b></li>" for name, value in tiles)
    return f'<ul class="tiles">{items}</ul>'


def render_html(report: Report) -> str:
    """The whole page."""
    body: list[str] = []
    figures: list[str] = []
    t = report.totals
    span = (
        f"{t.first:%Y-%m-%d} to {t.last:%Y-%m-%d} (UTC)"
        if t.first and t.last
        else "no runs in this selection"
    )
    body.append(
        f'<header><h1>{esc(report.title)}</h1><p class="meta">{esc(report.scope)}; runs from '
        f"{esc(span)}. Ledger {esc(report.ledger)}; made {report.generated_at:%Y-%m-%d %H:%M} UTC "
        f"by greengate.</p>{_tiles(report)}</header>"
    )
    if not t.runs:
        body.append(
            "<p><strong>The ledger holds no runs for this selection</strong>, so there is "
            "nothing to chart. Runs are recorded by <code>greengate run</code> with the "
            "ledger on (docs/history.md).</p>"
        )
    else:
        _timeline(report, body, figures)
        _windows(report, body, figures)
        _baselines(report, body, figures)
        _jobs(report, body, figures)
        _what_if(report, body, figures)
    if report.notes:
        items = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
        body.append(f'<section><h2>Not shown</h2><ul class="notes">{items}</ul></section>')
    if figures:
        body.append(f'<section id="figures"><h2>Figures</h2>{"".join(figures)}</section>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{esc(report.title)}: {esc(report.scope)}</title><style>{STYLE}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _timeline(report: Report, body: list[str], figures: list[str]) -> None:
    line = report.timeline
    step = "day" if line.step == "day" else "week (from Monday)"
    slots = _slots(report)
    body.append(f"<section><h2>Over time, per {esc(step)}</h2>")
    for kind in ("emissions", "energy"):
        for by, series in (("branch", line.by_branch), ("job", line.by_job)):
            chart_id = f"{kind}-by-{by}"
            caption = f"{kind.capitalize()} per {line.step} by {by}"
            body.append(charts.line_chart(chart_id, caption, kind, slots, _lines(series, kind)))
            figures.append(tables.timeline_table(chart_id, caption, kind, slots, series))
    body.append("</section>")


def _windows(report: Report, body: list[str], figures: list[str]) -> None:
    if not report.burndowns:
        return
    body.append(
        "<section><h2>Budget windows</h2><p>Each window's spend so far against its limit; the "
        "dotted line is the even pace that ends the window at its limit.</p>"
    )
    for i, b in enumerate(report.burndowns):
        chart_id = f"window-{i}"
        body.append(charts.burndown_chart(chart_id, b))
        figures.append(tables.burndown_table(chart_id, b))
    body.append("</section>")


def _baselines(report: Report, body: list[str], figures: list[str]) -> None:
    if not report.baselines:
        return
    body.append(
        "<section><h2>Regression baseline</h2><p>The shaded band runs from the baseline's "
        "median up to the largest increase that passes; runs on other branches are set "
        "against today's band.</p>"
    )
    for i, b in enumerate(report.baselines):
        chart_id = f"baseline-{i}"
        body.append(charts.band_chart(chart_id, b))
        figures.append(tables.baseline_table(chart_id, b))
    body.append("</section>")


def _jobs(report: Report, body: list[str], figures: list[str]) -> None:
    jobs = report.top_jobs
    body.append("<section><h2>Jobs</h2>")
    bars = [
        (
            j.job,
            j.emissions_kg,
            amount("emissions", j.emissions_kg) + f" in {format_count(j.runs, 'run')}",
        )
        for j in jobs
    ]
    body.append(charts.bar_chart("top-jobs", "Top jobs by emissions", "emissions", bars))
    figures.append(tables.jobs_table("top-jobs", "Top jobs by emissions", jobs))
    wasted = sorted((j for j in jobs if j.reruns), key=lambda j: -j.rerun_emissions_kg)
    waste = [
        (
            j.job,
            j.rerun_emissions_kg,
            f"{amount('emissions', j.rerun_emissions_kg)} in {format_count(j.reruns, 'rerun')}",
        )
        for j in wasted
    ]
    if waste:
        caption = "Rerun waste: emissions of reruns, by job"
        body.append(charts.bar_chart("rerun-waste", caption, "emissions", waste))
        figures.append(tables.jobs_table("rerun-waste", caption, wasted))
    else:
        body.append("<p>No reruns among the top jobs: no rerun waste.</p>")
    caption = f"Spread of energy per run, by job (each job's newest {SPREAD_RUNS} runs at most)"
    body.append(charts.box_chart("spread", caption, report.spreads))
    figures.append(tables.spread_table("spread", caption, report.spreads))
    body.append("</section>")


def _what_if(report: Report, body: list[str], figures: list[str]) -> None:
    w = report.what_if
    if w is None:
        return
    average = w.recorded_kg / w.energy_kwh * 1000
    bars = [
        (
            "as recorded",
            w.recorded_kg,
            f"{amount('emissions', w.recorded_kg)} at {format_intensity(average)} on average",
        )
    ]
    rows = [["as recorded", "", format_intensity(average), amount("emissions", w.recorded_kg), ""]]
    for p in w.placements:
        o = p.option
        shown = f"{amount('emissions', p.emissions_kg)} at {format_intensity(o.g_per_kwh)}"
        bars.append((f"{o.label} ({o.kind})", p.emissions_kg, f"{shown}: {o.source}"))
        rows.append(
            [
                o.label,
                o.kind,
                format_intensity(o.g_per_kwh),
                amount("emissions", p.emissions_kg),
                o.source,
            ]
        )
    caption = f"What if: this selection's {amount('energy', w.energy_kwh)} on other grids"
    body.append(
        "<section><h2>Grid what-if</h2><p>The same energy's emissions on the cleanest "
        f"{CLEANEST} and the {DIRTIEST} most carbon-intensive of {w.grids} grids, as "
        "<code>greengate where</code> ranks them (yearly averages from codecarbon's data "
        "and Cloud Carbon Footprint's cloud factors; docs/grid.md). The first bar is what "
        "the ledger recorded.</p>"
    )
    body.append(charts.bar_chart("what-if", caption, "emissions", bars, highlight=0))
    figures.append(
        tables.table("what-if", caption, ["grid", "kind", "intensity", "emissions", "source"], rows)
    )
    body.append("</section>")
