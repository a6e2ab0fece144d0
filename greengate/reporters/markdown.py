"""The verdict as GitHub-flavoured Markdown: a CI job summary a person reads after the run."""

from __future__ import annotations

import re
from typing import ClassVar

from greengate.measurement import Component
from greengate.policy.change import PolicyChange
from greengate.reporters import figures, headline
from greengate.reporters.history_text import (
    regression_text,
    rerun_text,
    window_figure,
    window_left,
    window_name,
)
from greengate.reporters.interface import Reporter
from greengate.reporters.laps_text import job_lap_text, laps_markdown
from greengate.reporters.policy_change_text import limit_text
from greengate.reporters.report_file import write_report_file
from greengate.reporters.trend_chart import trend_lines
from greengate.units import (
    format_duration,
    format_emissions,
    format_energy,
    format_intensity,
    format_power,
    significant,
)
from greengate.verdict import History, Status, Verdict

DEFAULT_PATH = "greengate-summary.md"
_BAR_WIDTH = 10
_COMPONENT = {Component.CPU: "CPU", Component.MEMORY: "Memory", Component.GPU: "GPU"}
# Characters that would start emphasis, links, HTML, code or a table cell in GFM.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def text(s: str) -> str:
    """``s`` as literal Markdown text that is safe inside a table cell."""
    return _SPECIAL.sub(r"\\\1", s).replace("\r", "").replace("\n", " ")


def code(s: str) -> str:
    """``s`` as an inline code span that is safe inside a table cell."""
    s = s.replace("\r", "").replace("\n", " ")
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    # GFM splits table cells on "|" before it parses code spans, so it is escaped here too.
    return f"{ticks}{pad}{s.replace('|', chr(92) + '|')}{pad}{ticks}"


def verdict_markdown(v: Verdict) -> str:
    """A heading, the limits table, the measurement table, reasons and notes."""
    failure = headline.command_failure(v.command) is not None
    emoji = figures.STATUS_EMOJI[
        Status.FAIL if failure and v.status is not Status.ERROR else v.status
    ]
    lines = [f"### {emoji} greengate: {headline.title(v)}", "", _context_line(v), ""]
    if v.checks:
        lines += [
            "| Limit | Measured | Allowed | Usage | Status |",
            "| --- | ---: | ---: | --- | --- |",
        ]
        for c in v.checks:
            lines.append(
                f"| {c.quantity.value} | {figures.amount(c.quantity, c.measured)} "
                f"| {figures.amount(c.quantity, c.limit)} "
                f"| `{figures.bar(c.ratio, _BAR_WIDTH)}` {figures.percent(c)} "
                f"| {figures.STATUS_EMOJI[c.status]} {c.status.value}"
                f"{' (band straddles the limit)' if c.straddles else ''} |"
            )
        lines.append("")
    lines += laps_markdown(v, text)
    if v.policy_change is not None:
        lines += _policy_change(v.policy_change)
    if v.history is not None:
        lines += _history(v.history, v.measurement.emissions_kg if v.measurement else None)
        lines += trend_lines(v.history.trend, v.context.job_identity, v.context.branch)
    lines += ["| | |", "| --- | --- |", *_detail_rows(v), ""]
    if v.reasons:
        lines += ["**Why**", "", *(f"- {text(r)}" for r in v.reasons), ""]
    for note in v.measurement.notes if v.measurement else ():
        lines += [f"> ⚠️ {text(note)}", ""]
    return "\n".join(lines)


def _policy_change(c: PolicyChange) -> list[str]:
    """Old and new limits side by side, saying which one was applied (--policy-from)."""
    lines = [
        f"**This change edits the policy.** Applied: the trusted {code(c.applied_path)} "
        f"from {code(c.ref)}. Not applied: this change's own {code(c.proposed_path)}.",
        "",
        f"| | Applied ({text(c.ref)}) | Proposed (not applied) |",
        "| --- | --- | --- |",
        f"| rule | {_rule(c.applied_rule)} | {_rule(c.proposed_rule)} |",
        f"| mode | {c.applied_mode.value} | {c.proposed_mode.value} |",
    ]
    for lim in c.limits:
        lines.append(
            f"| {lim.quantity.value} | {limit_text(lim, lim.applied)} "
            f"| {limit_text(lim, lim.proposed)} |"
        )
    if c.other:
        lines.append(f"| also differs | {', '.join(c.other)} | |")
    return [*lines, ""]


def _history(h: History, this_run_kg: float | None) -> list[str]:
    """Budget windows as a table, then the regression and the rerun (docs/history.md)."""
    if not (h.problem or h.windows or h.regression or h.rerun):
        return []  # recorded, with nothing to judge
    lines = ["**History**", ""]
    if h.problem is not None:
        return [*lines, f"Not checked: the ledger could not be used ({text(h.problem)}).", ""]
    if h.windows:
        lines += [
            "| Window | Spent | This run | Limit | Left | Status |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for w in h.windows:
            lines.append(
                f"| {text(window_name(w))} | {window_figure(w, w.spent)} "
                f"| {window_figure(w, w.this_run)} | {window_figure(w, w.limit)} "
                f"| {window_left(w)} | {figures.STATUS_EMOJI[w.status]} {w.status.value} |"
            )
        lines.append("")
    if h.regression is not None:
        r = h.regression
        emoji = figures.STATUS_EMOJI[r.status]
        lines += [f"- Regression: {text(regression_text(r))}: {emoji} {r.status.value}"]
    if h.rerun:
        lines += [f"- Rerun: {rerun_text(this_run_kg)}"]
    return [*lines, ""] if lines[-1] else lines


def _rule(label: str | None) -> str:
    return text(label) if label is not None else "no rule matches"


def _context_line(v: Verdict) -> str:
    ctx = v.context
    job = ctx.job_identity
    parts = [f"Job {code(job)}" if job else "No job name"]
    if ctx.branch:
        parts.append(f"on {code(ctx.branch)}")
    if ctx.commit:
        parts.append(f"at {code(ctx.commit[:7])}")
    if v.job_lap is not None:
        parts.append(f"in {text(job_lap_text(v.job_lap))}")
    return " ".join(parts) + f", mode {v.mode.value}."


def _detail_rows(v: Verdict) -> list[str]:
    rows: list[tuple[str, str]] = []
    m = v.measurement
    if m is not None:
        energy = format_energy(m.energy_kwh)
        if m.pue != 1.0:
            it = format_energy(m.it_energy_kwh, like=m.energy_kwh)
            energy += f" ({it} IT x PUE {significant(m.pue)})"
        band = figures.energy_band(m)
        if band:
            energy += f", range {band}"
        rows.append(("Energy", energy))
        for c in m.components:
            tier = f" ({c.tier.value} tier)" if m.scope is not None else ""
            fallback = f" Fell back: {text(c.fallback)}." if c.fallback else ""
            rows.append(
                (
                    _COMPONENT[c.component],
                    f"{format_energy(c.kwh, like=m.energy_kwh)}{tier}: {text(c.detail)}{fallback}",
                )
            )
        method = figures.method(m)
        if method:
            rows.append(("Method", text(method)))
        containers = figures.containers(m)
        if containers:
            rows.append(("Containers", text(containers)))
        if m.timeline is not None and m.timeline.watts:
            peak = max(m.timeline.watts)
            rows.append(
                (
                    "Power",
                    f"`{figures.sparkline(m.timeline.watts)}` peak {format_power(peak)}, "
                    f"{format_duration(m.timeline.interval_s)} per step",
                )
            )
        g = m.intensity
        where = ", ".join(str(p) for p in (g.source, g.zone, g.year) if p)
        emissions = format_emissions(m.emissions_kg)
        emissions_band = figures.emissions_band(m)
        if emissions_band:
            emissions += f", range {emissions_band}"
        rows.append(("Emissions", emissions))
        sci = figures.sci(m)
        if sci:
            rows.append(("Carbon", text(sci)))
        rows.append(("Grid intensity", f"{format_intensity(g.g_per_kwh)} ({text(where)})"))
        if m.usage is not None:
            rows.append(("Resources", figures.usage(m.usage, machine=bool(v.laps))))
        else:
            rows.append(("Measured by", text(m.source)))
    if v.command is not None:
        argv = code(v.command.text)
        rows.append(("Command", f"{argv} → {figures.outcome(v.command)}"))
    if v.rule is not None:
        where = f" at {code(f'{v.policy_path}:{v.rule.line}')}" if v.policy_path else ""
        rows.append(("Rule", f"{text(v.rule.label)}{where}"))
    elif v.policy_path is not None:
        rows.append(("Rule", f"none in {code(v.policy_path)} matches"))
    return [f"| {name} | {value} |" for name, value in rows]


class MarkdownReporter(Reporter):
    """``--report markdown[=PATH]``: the summary as a Markdown file, e.g. for a PR comment."""

    name: ClassVar[str] = "markdown"

    def report(self, verdict: Verdict) -> None:
        """Write the summary to PATH (default ``greengate-summary.md``)."""
        path = self.option or DEFAULT_PATH
        write_report_file(self.target, path, verdict_markdown(verdict) + "\n", "Markdown summary")
