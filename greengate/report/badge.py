"""A README badge from the ledger: ``carbon | 1.2 kg / 30 days``, coloured by a window's use.

Drawn here in the shields.io "flat" look (no SaaS is asked), or written as shields.io's
endpoint-badge JSON (``{"schemaVersion": 1, "label", "message", "color"}``) for a
self-hosted endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from greengate.files.json_text import dump_json
from greengate.ledger.records import RecordFilter
from greengate.ledger.sql import SqlLedger
from greengate.ledger.windows import period_start
from greengate.policy.model import Period, Policy, Window
from greengate.report import queries
from greengate.report.svg import esc
from greengate.units import format_emissions, format_energy

# shields.io's named colours and their hex values (badge-maker's colour table).
COLOURS = {
    "brightgreen": "#4c1",
    "yellow": "#dfb317",
    "red": "#e05d44",
    "blue": "#007ec6",
    "lightgrey": "#9f9f9f",
}


@dataclass(frozen=True)
class Badge:
    """What the badge says and its colour name."""

    label: str
    message: str
    colour: str  # a key of COLOURS
    share: float | None  # the window's use (1.0 = its limit), None without a window


def short(kind: str, value: float) -> str:
    """A badge-sized amount, e.g. ``1.2 kg``, ``950 g``, ``3.4 kWh`` (greengate.units)."""
    if kind == "emissions":
        return format_emissions(value).removesuffix(" CO2e")
    return format_energy(value)


def _span(window: Window) -> str:
    if window.period is Period.ROLLING:
        return f"{window.days} days"
    return str(window.period.value)


def choose_window(policy: Policy | None, branch: str | None) -> tuple[Window, str] | None:
    """The first window that charges the branch (or, with no branch, names one plainly)."""
    for window in policy.windows if policy else ():
        if branch is not None:
            if any(fnmatchcase(branch, g) for g in window.branches):
                return window, branch
        else:
            plain = [g for g in window.branches if not any(c in g for c in "*?[")]
            if plain:
                return window, plain[0]
    return None


def make_badge(
    ledger: SqlLedger,
    policy: Policy | None,
    branch: str | None,
    now: datetime,
    *,
    repository: str | None = None,
    days: int = 30,
    label: str = "carbon",
) -> Badge:
    """The badge for a branch's window (its use picks the colour), else the last ``days``."""
    chosen = choose_window(policy, branch)
    if chosen is None:
        where = RecordFilter(repository, branch, since=now - timedelta(days=days))
        spent = queries.totals(ledger, where).emissions_kg
        return Badge(label, f"{short('emissions', spent)} / {days} days", "blue", None)
    window, on = chosen
    since = period_start(window, now)
    kind, limit = (
        ("emissions", window.max_emissions_kg)
        if window.max_emissions_kg is not None
        else ("energy", window.max_energy_kwh)
    )
    assert limit is not None  # a window has at least one limit (policy schema)
    spent = sum(
        kg if kind == "emissions" else kwh
        for _, name, _, kg, kwh, _ in queries.day_spends(ledger, since, repository)
        if name == on
    )
    share = spent / limit
    warn_at = (
        window.warn_at
        if window.warn_at is not None
        else (policy.defaults.warn_at if policy else 0.8)
    )
    colour = "red" if share > 1 else "yellow" if share >= warn_at else "brightgreen"
    message = f"{short(kind, spent)} of {short(kind, limit)} / {_span(window)}"
    return Badge(label, message, colour, share)


def badge_json(badge: Badge) -> str:
    """shields.io's endpoint-badge JSON."""
    data = {
        "schemaVersion": 1,
        "label": badge.label,
        "message": badge.message,
        "color": badge.colour,
    }
    return dump_json(data) + "\n"


# Advance widths of Verdana at 11 px (the face shields.io measures with), rounded; other
# characters count as a lower-case letter.
_NARROW = dict.fromkeys("il.,:;|!'", 3.1) | dict.fromkeys("fjrt()[] /", 4.6)
_WIDE = dict.fromkeys("mwMW%", 10.0) | dict.fromkeys("ABCDEFGHIJKLNOPQRSTUVXYZ", 7.6)


def text_width(text: str) -> float:
    """The width of text in the badge's font, in pixels."""
    return sum(_NARROW.get(c, _WIDE.get(c, 7.0 if c.isdigit() else 6.2)) for c in text)


def badge_svg(badge: Badge) -> str:
    """The badge as SVG in the shields.io flat style, with a text alternative."""
    left = round(text_width(badge.label) + 10)
    right = round(text_width(badge.message) + 10)
    width = left + right
    colour = COLOURS[badge.colour]
    words = esc(f"{badge.label}: {badge.message}")

    def text(x: float, content: str) -> str:
        return (
            f'<text x="{x:.1f}" y="15" fill="#010101" fill-opacity=".3">{esc(content)}</text>'
            f'<text x="{x:.1f}" y="14">{esc(content)}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{words}"><title>{words}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f"{text(left / 2, badge.label)}{text(left + right / 2, badge.message)}</g></svg>\n"
    )
