"""The report's charts as inline SVG figures; every data mark has class ``mark`` and a title."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from greengate.report.model import Baseline, BurnDown, Spread
from greengate.report.svg import (
    ALERT,
    DASHES,
    GRID,
    INK,
    PALETTE,
    SHAPES,
    WIDTH,
    Frame,
    amount,
    axis_unit,
    esc,
    key_list,
    legend,
    marker,
    nice_ticks,
    svg_open,
    tick_text,
    x_labels,
    y_axis,
)
from greengate.units import format_count


@dataclass(frozen=True)
class Line:
    """One series of a line chart: a value per slot and the runs behind it."""

    name: str
    values: tuple[float, ...]
    runs: tuple[int, ...]


def figure(chart_id: str, caption: str, svg: str, marks: int, extra: str = "") -> str:
    """A chart in its figure, captioned, linked to its data table, saying how many marks it has."""
    return (
        f'<figure id="{chart_id}" data-chart="{chart_id}" data-marks="{marks}">'
        f"<figcaption>{esc(caption)} "
        f'<a href="#{chart_id}-table">(figures)</a></figcaption>{svg}{extra}</figure>'
    )


def line_chart(
    chart_id: str, caption: str, kind: str, slots: Sequence[str], lines: Sequence[Line]
) -> str:
    """Lines over time slots; a mark where runs were recorded, a line through every slot."""
    high = max((v for line in lines for v in line.values), default=0.0)
    unit, size = axis_unit(kind, high)
    ticks = nice_ticks(high / size)
    frame = Frame(ticks[-1] * size)
    parts = [*y_axis(frame, ticks, size, unit), *x_labels(frame, slots)]
    marks = 0
    count = len(slots)
    radius = 4.0 if count <= 40 else 2.5  # dense charts: smaller marks, the line still reads
    for index, line in enumerate(lines):
        colour, dash, shape = PALETTE[index], DASHES[index], SHAPES[index]
        points = [(frame.x(i, count), frame.y(v)) for i, v in enumerate(line.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}"/>'
        )
        for i, (x, y) in enumerate(points):
            if line.runs[i]:
                marks += 1
                runs = format_count(line.runs[i], "run")
                title = f"{line.name}, {slots[i]}: {amount(kind, line.values[i])} ({runs})"
                parts.append(marker(shape, x, y, colour, title, r=radius))
    busiest = max(lines, key=lambda line: sum(line.values), default=None)
    description = (
        f"{len(lines)} series over {count} {'slot' if count == 1 else 'slots'}"
        + (
            f"; the largest is {busiest.name}, {amount(kind, sum(busiest.values))} in all"
            if busiest
            else ""
        )
        + ". Exact figures are in the table linked from the caption."
    )
    svg = svg_open(chart_id, caption, description) + "".join(parts) + "</svg>"
    return figure(
        chart_id, caption, svg, marks, legend([(line.name, i) for i, line in enumerate(lines)])
    )


def burndown_chart(chart_id: str, b: BurnDown) -> str:
    """A window's cumulative spend per day against its limit, its warning level and an even pace."""
    high = max(b.limit, b.total)
    unit, size = axis_unit(b.quantity, high)
    ticks = nice_ticks(high / size)
    frame = Frame(ticks[-1] * size)
    count = len(b.days)
    labels = [d.isoformat()[5:] for d in b.days]
    parts = [*y_axis(frame, ticks, size, unit), *x_labels(frame, labels)]
    for value, text, dash in (
        (b.limit, f"limit {amount(b.quantity, b.limit)}", ""),
        (b.limit * b.warn_at, f"warn at {b.warn_at:.0%}", "5 4"),
    ):
        y = frame.y(value)
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{ALERT}" stroke-width="1.5" stroke-dasharray="{dash}"/>'
            f'<text x="{frame.right - 4}" y="{y - 4:.1f}" text-anchor="end" fill="{ALERT}">'
            f"{esc(text)}</text>"
        )
    start, end = frame.x(-0.5, count), frame.x(count - 0.5, count)
    parts.append(
        f'<line x1="{start:.1f}" y1="{frame.y(0):.1f}" x2="{end:.1f}" y2="{frame.y(b.limit):.1f}" '
        f'stroke="{INK}" stroke-width="1" stroke-dasharray="1 3"/>'
    )
    points = [(frame.x(i, count), frame.y(v)) for i, v in enumerate(b.spent)]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>'
        )
    marks = 0
    for i, (x, y) in enumerate(points):
        if b.runs[i]:
            marks += 1
            over = b.spent[i] > b.limit
            title = (
                f"{b.days[i].isoformat()}: {amount(b.quantity, b.spent[i])} spent "
                f"of {amount(b.quantity, b.limit)} ({format_count(b.runs[i], 'run')} that day)"
            )
            parts.append(
                marker("triangle" if over else "circle", x, y, ALERT if over else PALETTE[0], title)
            )
    description = (
        f"{b.branch}: {amount(b.quantity, b.total)} of {amount(b.quantity, b.limit)} spent by "
        f"{b.today.isoformat()} ({b.total / b.limit:.0%}), status {b.status}. The dotted line "
        "is an even pace that would end the window exactly at its limit."
    )
    caption = f"Window {b.window}: {b.branch} ({b.quantity}), {b.status}"
    svg = svg_open(chart_id, caption, description) + "".join(parts) + "</svg>"
    return figure(chart_id, caption, svg, marks)


def band_chart(chart_id: str, b: Baseline) -> str:
    """Runs in time order against today's baseline band (median up to median + allowed)."""
    high = max([p.energy_kwh for p in b.points] + [(b.median_kwh or 0) + (b.allowed_kwh or 0)])
    unit, size = axis_unit("energy", high)
    ticks = nice_ticks(high / size)
    frame = Frame(ticks[-1] * size)
    count = len(b.points)
    labels = [p.recorded_at.strftime("%m-%d") for p in b.points]
    parts = [*y_axis(frame, ticks, size, unit), *x_labels(frame, labels)]
    if b.median_kwh is not None and b.allowed_kwh is not None:
        top, middle = frame.y(b.median_kwh + b.allowed_kwh), frame.y(b.median_kwh)
        parts.append(
            f'<rect x="{frame.left}" y="{top:.1f}" width="{frame.right - frame.left}" '
            f'height="{middle - top:.1f}" fill="#0072B2" fill-opacity="0.15" '
            f'stroke="#0072B2" stroke-dasharray="4 3"/>'
            f'<line x1="{frame.left}" x2="{frame.right}" y1="{middle:.1f}" y2="{middle:.1f}" '
            f'stroke="#0072B2" stroke-width="1.5"/>'
        )
    for i, p in enumerate(b.points):
        x, y = frame.x(i, count), frame.y(p.energy_kwh)
        if p.baseline:
            shape, colour, hollow, what = "circle", PALETTE[0], True, f"baseline run on {p.branch}"
        elif p.status == "fail":
            shape, colour, hollow, what = "triangle", ALERT, False, f"{p.branch}, above the band"
        else:
            shape, colour, hollow, what = (
                "diamond",
                PALETTE[2],
                False,
                f"{p.branch}, within the band",
            )
        title = f"{p.recorded_at:%Y-%m-%d %H:%M} {what}: {amount('energy', p.energy_kwh)}"
        parts.append(marker(shape, x, y, colour, title, hollow=hollow))
    over = sum(1 for p in b.points if not p.baseline and p.status == "fail")
    median = amount("energy", b.median_kwh) if b.median_kwh is not None else "none yet"
    description = (
        f"Median of {format_count(b.runs, 'baseline run')} on {b.base_branch}: {median}; "
        f"{over} of {format_count(sum(not p.baseline for p in b.points), 'compared run')} "
        f"{'lies' if over == 1 else 'lie'} above the band."
    )
    caption = f"Regression baseline: {b.job} on {b.base_branch}"
    key = key_list(
        [
            (f"baseline run on {b.base_branch} (hollow)", PALETTE[0], "circle", None, True),
            ("compared run within the band", PALETTE[2], "diamond", None, False),
            ("compared run above the band", ALERT, "triangle", None, False),
        ]
    )
    svg = svg_open(chart_id, caption, description) + "".join(parts) + "</svg>"
    return figure(chart_id, caption, svg, count, key)


def bar_chart(
    chart_id: str,
    caption: str,
    kind: str,
    bars: Sequence[tuple[str, float, str]],
    highlight: int | None = None,
) -> str:
    """Horizontal bars: (label, value, hover text); ``highlight`` one, also named in its label."""
    height = 24 * len(bars) + 40
    high = max((v for _, v, _ in bars), default=0.0)
    unit, size = axis_unit(kind, high)
    ticks = nice_ticks(high / size)
    top_value, left, right = ticks[-1] * size, 220.0, WIDTH - 24.0
    parts = []
    for t in ticks:
        x = left + (right - left) * (t * size / top_value if top_value else 0)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="8" y2="{height - 28}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle">{tick_text(t)}</text>'
        )
    parts.append(f'<text x="{left - 8}" y="{height - 12}" text-anchor="end">{esc(unit)}</text>')
    for i, (label, value, title) in enumerate(bars):
        y = 10 + 24 * i
        width = (right - left) * (value / top_value if top_value else 0)
        parts.append(
            f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{esc(_short(label))}</text>'
            f'<rect x="{left}" y="{y}" width="{max(width, 1):.1f}" height="16" '
            f'fill="{PALETTE[1] if i == highlight else PALETTE[0]}" class="mark">'
            f"<title>{esc(title)}</title></rect>"
        )
    description = f"{len(bars)} bars" + (
        f"; the largest is {bars[0][0]}: {bars[0][2]}" if bars else ""
    )
    svg = svg_open(chart_id, caption, description, height) + "".join(parts) + "</svg>"
    return figure(chart_id, caption, svg, len(bars))


def box_chart(chart_id: str, caption: str, spreads: Sequence[Spread]) -> str:
    """Each job's energy per run: whiskers from the lowest to the highest, a box of quartiles."""
    height = 28 * len(spreads) + 40
    high = max((s.high for s in spreads), default=0.0)
    unit, size = axis_unit("energy", high)
    ticks = nice_ticks(high / size)
    top_value, left, right = ticks[-1] * size, 220.0, WIDTH - 24.0

    def x(value: float) -> float:
        return left + (right - left) * (value / top_value if top_value else 0)

    parts = []
    for t in ticks:
        parts.append(
            f'<line x1="{x(t * size):.1f}" x2="{x(t * size):.1f}" y1="8" y2="{height - 28}" '
            f'stroke="{GRID}"/><text x="{x(t * size):.1f}" y="{height - 12}" '
            f'text-anchor="middle">{tick_text(t)}</text>'
        )
    parts.append(f'<text x="{left - 8}" y="{height - 12}" text-anchor="end">{esc(unit)}</text>')
    for i, s in enumerate(spreads):
        y = 12 + 28 * i
        title = (
            f"{s.job}: {format_count(s.runs, 'run')}; lowest {amount('energy', s.low)}, quartiles "
            f"{amount('energy', s.q1)} / {amount('energy', s.median)} / "
            f"{amount('energy', s.q3)}, highest {amount('energy', s.high)}"
        )
        parts.append(
            f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{esc(_short(s.job))}</text>'
            f'<line x1="{x(s.low):.1f}" x2="{x(s.high):.1f}" y1="{y + 9}" y2="{y + 9}" '
            f'stroke="{INK}"/>'
            f'<rect x="{x(s.q1):.1f}" y="{y}" width="{max(x(s.q3) - x(s.q1), 1):.1f}" '
            f'height="18" fill="#56B4E9" stroke="{INK}" class="mark">'
            f"<title>{esc(title)}</title></rect>"
            f'<line x1="{x(s.median):.1f}" x2="{x(s.median):.1f}" y1="{y}" y2="{y + 18}" '
            f'stroke="{INK}" stroke-width="2.5"/>'
        )
    description = (
        f"Energy per run of {len(spreads)} jobs: whiskers span lowest to highest, the box "
        "the middle half, the thick line the median."
    )
    svg = svg_open(chart_id, caption, description, height) + "".join(parts) + "</svg>"
    return figure(chart_id, caption, svg, len(spreads))


def _short(label: str, most: int = 30) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"
