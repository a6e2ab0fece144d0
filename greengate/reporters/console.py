"""A short summary of the verdict for the person reading the log, on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from greengate.measurement import Measurement
from greengate.reporters import figures, headline
from greengate.reporters.history_text import history_lines
from greengate.reporters.interface import Reporter, ReportTarget
from greengate.reporters.laps_text import job_lap_text, laps_lines
from greengate.reporters.policy_change_text import change_lines
from greengate.units import format_emissions, format_energy, format_intensity, significant
from greengate.verdict import CommandOutcome, LimitCheck, Status, Verdict

_BADGE = {
    Status.PASS: "bold white on green",
    Status.WARN: "bold black on yellow",
    Status.FAIL: "bold white on red",
    Status.ERROR: "bold white on magenta",
}
_BAR = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "red"}
_BAR_WIDTH = 20
_ARGV_WIDTH = 60
_LABEL_WIDTH = 12  # two spaces of indent, then the label column
_LOG_WIDTH = 10_000  # not a terminal: no wrapping (one row, one line)


class ConsoleReporter(Reporter):
    """Status badge, energy, emissions, limits with bars, the run, reasons and notes."""

    name = "console"

    def __init__(
        self, target: ReportTarget, option: str | None = None, *, width: int | None = None
    ) -> None:
        super().__init__(target, option)
        self.width = width  # None: the terminal's width (or COLUMNS, or 80)

    def report(self, verdict: Verdict) -> None:
        """Print the summary on stderr; colour only on a terminal, and never with NO_COLOR."""
        console = Console(
            file=self.target.stderr,
            force_terminal=None,
            width=self.width,
            highlight=False,
            emoji=False,
            markup=False,
            # rich reads NO_COLOR, FORCE_COLOR, TERM and COLUMNS from this mapping; the
            # target's environment, not os.environ, so tests and callers decide.
            _environ=self.target.env,
        )
        if self.width is None and not console.is_terminal and not self.target.env.get("COLUMNS"):
            # A CI log is read in a browser as wide as the reader's: wrapping at rich's
            # 80-column default for non-terminals split numbers from their units.
            console.width = _LOG_WIDTH
        ascii_only = not console.encoding.lower().startswith("utf")
        console.print(_headline(verdict), soft_wrap=True)
        # Wrapped by hand, not with a rich Table: a table pads every line with spaces.
        value_width = max(console.width - _LABEL_WIDTH, 30)
        for label, value in _rows(verdict, ascii_only):
            for i, line in enumerate(value.wrap(console, value_width)):
                line.rstrip()
                head = Text(f"  {label if i == 0 else '':<{_LABEL_WIDTH - 2}}", "dim")
                console.print(head + line, soft_wrap=True)


def _headline(v: Verdict) -> Text:
    failure = headline.command_failure(v.command)
    if failure is not None and v.command is not None and v.status in (Status.PASS, Status.WARN):
        # The budget held but the step failed: the badge is the command's exit, in red.
        badge = (f" EXIT {v.command.exit_code} ", _BADGE[Status.FAIL])
        text = Text.assemble(badge, f" greengate: {failure}; budget {v.status.name}, ")
    else:
        text = Text.assemble((f" {v.status.name} ", _BADGE[v.status]), " greengate: ")
        if failure is not None:
            text.append(f"{failure}; ")
    if v.rule is not None:
        where = f"{v.policy_path}:{v.rule.line}" if v.policy_path else f"line {v.rule.line}"
        text.append(f"rule {v.rule.label!r} ({where})")
    else:
        text.append("no budget rule applied")
    if v.mode.value != "enforce":
        text.append(f", mode {v.mode.value}")
    stop = v.command.stop if v.command is not None else None
    if stop is not None:
        amount = format_energy if stop.quantity == "energy" else format_emissions
        text.append(
            f"; {stop.quantity} {amount(stop.measured, digits=4)} crossed "
            f"{amount(stop.limit, digits=4)} "
            f"after {stop.elapsed_seconds:.1f} s"
        )
    return text


def _rows(v: Verdict, ascii_only: bool) -> list[tuple[str, Text]]:
    rows: list[tuple[str, Text]] = []
    if v.measurement is not None:
        rows += _measurement_rows(v.measurement)
    for i, check in enumerate(v.checks):
        rows.append(("limits" if i == 0 else "", _limit(check, ascii_only)))
    rows += [("steps" if i == 0 else "", Text(t)) for i, t in enumerate(laps_lines(v))]
    if v.job_lap is not None:
        rows.append(("job", Text(job_lap_text(v.job_lap))))
    if v.context.job_key is not None:
        rows.append(("leg", Text(v.context.job_key)))
    # A ledger was used: windows, regression, rerun. Its problem, if any, is already a reason.
    if v.history is not None and v.history.problem is None:
        emissions = v.measurement.emissions_kg if v.measurement else None
        lines = history_lines(v.history, emissions)
        rows += [("history" if i == 0 else "", Text(t)) for i, t in enumerate(lines)]
    if v.command is not None or v.measurement is not None:
        rows.append(_run_row(v.command, v.measurement, job=bool(v.laps)))
    style = "red" if v.status in (Status.FAIL, Status.ERROR) else ""
    rows += [("why" if i == 0 else "", Text(r, style)) for i, r in enumerate(v.reasons)]
    notes = v.measurement.notes if v.measurement else ()
    rows += [("warning", Text(n, "yellow")) for n in notes]
    if v.policy_change is not None:  # --policy-from, and this change edits the policy
        lines = change_lines(v.policy_change)
        rows += [("policy" if i == 0 else "", Text(t, "yellow")) for i, t in enumerate(lines)]
    return rows


def _measurement_rows(m: Measurement) -> list[tuple[str, Text]]:
    # Components in the total's unit, so "1.98 Wh (cpu 1.60 Wh, memory 0.200 Wh)" adds up.
    parts = [f"{c.component.value} {format_energy(c.kwh, like=m.energy_kwh)}" for c in m.components]
    if m.pue != 1.0:
        parts.append(f"PUE {significant(m.pue)}")
    energy = Text(format_energy(m.energy_kwh), "bold")
    if parts:
        energy.append(f"  ({', '.join(parts)})")
    band = figures.energy_band(m)
    if band:
        energy.append(f"; range {band}")
    grid = m.intensity
    where = ", ".join(str(p) for p in (grid.source, grid.zone, grid.year) if p)
    emissions = Text(format_emissions(m.emissions_kg), "bold")
    emissions.append(f"  at {format_intensity(grid.g_per_kwh)} ({where})")
    rows = [("energy", energy), ("emissions", emissions)]
    method, sci = figures.method(m), figures.sci(m)
    if method:
        rows.append(("method", Text(method)))
    if sci:
        rows.append(("carbon", Text(sci)))
    containers = figures.containers(m)
    if containers:
        rows.append(("containers", Text(containers)))
    return rows


def _limit(check: LimitCheck, ascii_only: bool) -> Text:
    full, empty = ("#", "-") if ascii_only else ("█", "░")
    text = Text.assemble(
        f"{check.quantity.value:<10}",
        (figures.bar(check.ratio, _BAR_WIDTH, full, empty), _BAR.get(check.status, "")),
        f" {figures.percent(check):>4} of {figures.amount(check.quantity, check.limit)}",
    )
    if check.straddles:
        text.append("  (uncertainty band straddles the limit)", "yellow")
    return text


def _run_row(
    c: CommandOutcome | None, m: Measurement | None, job: bool = False
) -> tuple[str, Text]:
    parts: list[str] = []
    if c is not None:
        parts.append(f"{_argv(c.text)}: {figures.outcome(c)}")
    if m is not None and m.usage is not None:
        parts.append(figures.usage(m.usage, wall=c is None, machine=job))
    elif m is not None:
        parts.append(f"measured by {m.source}")
    return ("command" if c is not None else "source", Text("; ".join(parts)))


def _argv(text: str) -> str:
    text = " ".join(text.split("\n"))
    return text if len(text) <= _ARGV_WIDTH else text[: _ARGV_WIDTH - 3] + "..."
