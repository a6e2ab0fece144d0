"""A verdict's budget history in words: windows, regression and rerun, as reporters show it."""

from __future__ import annotations

from greengate.reporters import figures
from greengate.units import format_emissions
from greengate.verdict import History, Quantity, RegressionResult, WindowResult


def window_name(w: WindowResult) -> str:
    """The window and the branch it was charged for, e.g. ``main per month on main``."""
    return f"{w.label} on {w.branch}"


def window_figure(w: WindowResult, value: float) -> str:
    """One of the window's figures in its quantity's unit."""
    return figures.amount(Quantity(w.quantity), value)


def window_left(w: WindowResult) -> str:
    """What is left after this run, or by how much the run went over."""
    if w.remaining < 0:
        return f"{window_figure(w, -w.remaining)} over"
    return f"{window_figure(w, w.remaining)} left"


def window_line(w: WindowResult) -> str:
    """E.g. ``window main per month on main: 12.1 kg CO2e spent + 400 g CO2e this run of
    50.0 kg CO2e, 37.5 kg CO2e left``."""
    return (
        f"window {window_name(w)}: {window_figure(w, w.spent)} spent + "
        f"{window_figure(w, w.this_run)} this run of {window_figure(w, w.limit)}, "
        f"{window_left(w)}"
    )


def regression_text(r: RegressionResult) -> str:
    """E.g. ``+12 % vs main (median of 10 runs), tolerance 10 %``."""
    text = r.describe()
    if r.median_kwh and r.allowed_kwh is not None:
        # The allowed increase is max(tolerance, noise x spread): shown as the share it is.
        text += f", tolerance {r.allowed_kwh / r.median_kwh * 100:.0f} %"
    return text


def rerun_text(this_run_kg: float | None) -> str:
    """Why a rerun matters: its emissions are waste."""
    waste = f"its {format_emissions(this_run_kg)}" if this_run_kg is not None else "its emissions"
    return f"this job already ran at this commit; {waste} count as rerun waste"


def history_lines(h: History, this_run_kg: float | None) -> list[str]:
    """One line per window limit, then the regression and the rerun, when there are any."""
    if h.problem is not None:
        return [f"not checked: the ledger could not be used ({h.problem})"]
    lines = [window_line(w) for w in h.windows]
    if h.regression is not None:
        lines.append(f"regression: {regression_text(h.regression)}")
    if h.rerun:
        lines.append(f"rerun: {rerun_text(this_run_kg)}")
    return lines
