"""Console summary (golden text, colour rules) and the live progress line."""

from __future__ import annotations

import dataclasses
import io
import os
import re

import pytest
from factories import (
    all_verdicts,
    assert_golden,
    failing_verdict,
    history_verdict,
    passing_verdict,
    stopped_verdict,
)

from greengate.gate.progress import Progress
from greengate.reporters.console import ConsoleReporter
from greengate.reporters.interface import ReportTarget
from greengate.reporters.progress_line import ProgressLine, format_progress
from greengate.verdict import History, Verdict

ALL = all_verdicts()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7])[0-9;]*m")


def _render(verdict: Verdict, env: dict[str, str] | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    ConsoleReporter(ReportTarget(out, err, env or {}), width=100).report(verdict)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", sorted(ALL))
def test_summary_matches_golden_text(name: str) -> None:
    out, err = _render(ALL[name])
    assert out == "", "the console summary never touches stdout"
    assert not ANSI.search(err), "no escape codes when stderr is not a terminal"
    assert len(err.splitlines()) <= 12
    assert_golden(f"console/{name}.txt", err)


def test_colour_when_forced_like_a_terminal() -> None:
    _, err = _render(failing_verdict(), {"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert COLOUR.search(err)
    assert ANSI.sub("", err) == _render(failing_verdict())[1]


def test_no_color_wins_over_a_terminal() -> None:
    _, err = _render(failing_verdict(), {"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not COLOUR.search(err)


def test_colour_on_a_real_terminal() -> None:
    leader, follower = os.openpty()
    with open(follower, "w", encoding="utf-8", closefd=True) as tty:
        target = ReportTarget(io.StringIO(), tty, {"TERM": "xterm-256color"})
        ConsoleReporter(target, width=100).report(passing_verdict())
        tty.flush()
        data = os.read(leader, 65536).decode("utf-8")
    os.close(leader)
    assert COLOUR.search(data)
    assert "PASS" in data


def test_ascii_only_stream_gets_ascii_bars() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="backslashreplace")
    ConsoleReporter(ReportTarget(io.StringIO(), stream, {}), width=100).report(passing_verdict())
    stream.flush()
    assert "emissions ##------------------  11% of 1 g CO2e" in raw.getvalue().decode("ascii")


# --- progress line -------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _progress(seconds: float, cpu: float = 4.56, kwh: float = 0.00012) -> Progress:
    return Progress(elapsed_seconds=seconds, cpu_seconds=cpu, energy_kwh=kwh, processes=3)


def test_progress_text() -> None:
    assert format_progress(_progress(12.34)) == "greengate: 12.3 s, 4.56 CPU-s, 120 mWh so far"


def _line(stream: io.StringIO, clock: _Clock, rows: int = 24, **env: str) -> ProgressLine:
    return ProgressLine(
        stream, clock=clock, size=lambda _: (rows, 80), env={"TERM": "xterm", **env}
    )


def test_progress_line_lives_on_the_bottom_row_at_most_once_a_second() -> None:
    stream, clock = _Terminal(), _Clock()
    line = _line(stream, clock)
    line.update(_progress(120.5, cpu=100.25, kwh=0.0123))
    clock.now += 0.4
    line.update(_progress(120.9))  # too soon: dropped
    clock.now += 0.6
    line.update(_progress(1.0, cpu=0.5, kwh=0.0))
    line.close()
    first = "greengate: 2 min 00 s, 100 CPU-s, 12.3 Wh so far"
    second = "greengate: 1 s, 0.5 CPU-s, 0 Wh so far"
    assert stream.getvalue() == (
        "\x1bD\x1bM"  # room for the row, the cursor's column kept
        "\x1b7\x1b[1;23r\x1b8"  # everything else scrolls in rows 1 to 23
        f"\x1b7\x1b[24;1H\x1b[2K{first}\x1b8"
        f"\x1b7\x1b[24;1H\x1b[2K{second}\x1b8"
        "\x1b7\x1b[r\x1b8\x1b7\x1b[24;1H\x1b[2K\x1b8"  # the whole screen back, the row cleared
    )
    written = stream.getvalue()
    line.close()  # a second close writes nothing
    assert stream.getvalue() == written


def test_progress_line_follows_a_resize_and_gives_up_on_a_tiny_terminal() -> None:
    stream, clock, rows = _Terminal(), _Clock(), [24]
    line = ProgressLine(stream, clock=clock, size=lambda _: (rows[0], 80), env={"TERM": "xterm"})
    line.update(_progress(1.0))
    rows[0], clock.now = 40, clock.now + 1
    line.update(_progress(2.0))
    assert stream.getvalue().endswith(
        "\x1b7\x1b[24;1H\x1b[2K\x1b8"  # the old bottom row cleared
        "\x1b7\x1b[1;39r\x1b8\x1b7\x1b[40;1H\x1b[2Kgreengate: 2 s, 4.56 CPU-s, 120 mWh so far\x1b8"
    )
    rows[0], clock.now = 2, clock.now + 1
    line.update(_progress(3.0))  # no room: the region is given back, nothing drawn
    assert stream.getvalue().endswith("\x1b7\x1b[r\x1b8\x1b7\x1b[40;1H\x1b[2K\x1b8")


def test_progress_line_is_silent_on_a_dumb_terminal() -> None:
    stream = _Terminal()
    line = _line(stream, _Clock(), TERM="dumb")
    line.update(_progress(1.0))
    line.close()
    assert stream.getvalue() == ""


def test_progress_line_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)
    line.update(_progress(1.0))
    line.close()
    assert stream.getvalue() == ""


def test_progress_line_stops_on_a_broken_stream() -> None:
    stream = _Terminal()
    line = _line(stream, _Clock())
    stream.close()
    line.update(_progress(1.0))  # ValueError on a closed stream: swallowed, then disabled
    assert line.enabled is False


def test_history_shows_windows_regression_and_rerun() -> None:
    _, err = _render(history_verdict())
    assert_golden("console/history.txt", err)


def test_history_without_anything_to_judge_adds_no_lines() -> None:
    plain = passing_verdict()
    recorded = dataclasses.replace(plain, history=History("/ci/ledger.db", 1))
    assert _render(recorded) == _render(plain)


def test_an_unusable_ledger_is_said_once_among_the_reasons() -> None:
    _, err = _render(ALL["error"])
    assert err.count("the ledger could not be used") == 1
    assert "  why       the ledger could not be used, so no history was checked" in err
    assert "history" not in err.replace("no history was checked", "")


def test_a_run_stopped_at_its_limit_says_so_in_the_first_line() -> None:
    _, err = _render(stopped_verdict())
    first = err.splitlines()[0]
    assert first.startswith(" FAIL  greengate: stopped at its energy limit (exit 143); rule ")
    assert first.endswith("; energy 10.4 Wh crossed 10 Wh after 3600.5 s")
