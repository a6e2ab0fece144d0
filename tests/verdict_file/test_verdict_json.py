"""The verdict file: layout, schema, round trip, atomic writing, and publishing order."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import stat
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from factories import (
    all_verdicts,
    assert_golden,
    assert_valid_verdict,
    failing_verdict,
    history_verdict,
    make_command,
    passing_verdict,
    stopped_verdict,
)

from greengate.errors import GreengateError
from greengate.files import atomic as atomicfile
from greengate.gate.publish import publish
from greengate.reporters.interface import Reporter, ReportTarget
from greengate.verdict import LimitCheck, Quantity, Status, Verdict
from greengate.verdict_file.verdict_json import (
    verdict_from_dict,
    verdict_schema,
    verdict_to_dict,
    verdict_to_json,
    write_verdict,
)

ALL = all_verdicts()


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_sample_verdict_validates_and_round_trips(name: str) -> None:
    data = verdict_to_dict(ALL[name])
    assert_valid_verdict(data)
    assert verdict_from_dict(data) == ALL[name]
    # Through the JSON text too, as ``greengate check --measurement verdict.json`` reads it.
    assert verdict_from_dict(json.loads(verdict_to_json(ALL[name]))) == ALL[name]


@pytest.mark.parametrize("name", ["fail", "error", "job_error", "grid_error", "ledger_fail"])
def test_verdict_file_matches_golden(name: str) -> None:
    # The ERRORs greengate produces: error (ledger_failure: fail, the ledger unusable, the
    # run within budget), job_error (a job whose sampler died) and grid_error (a live grid
    # provider failed under grid.fallback: error); ledger_fail: the same ledger on a run over
    # budget is a FAIL.
    assert_golden(f"verdict/{name}.json", verdict_to_json(ALL[name]))


def test_top_level_layout() -> None:
    data = verdict_to_dict(passing_verdict())
    assert list(data) == [
        "schema_version",
        "tool",
        "status",
        "mode",
        "command",
        "context",
        "measurement",
        "policy",
        "rule",
        "limits",
        "usage_ratio",
        "reasons",
    ]
    assert data["schema_version"] == "1.2"
    assert data["tool"] == {"name": "greengate", "version": "0.1.0"}
    assert data["measurement"]["usage"]["cpu_s"] == pytest.approx(123.75)
    assert data["command"]["duration_s"] == pytest.approx(95.4)
    assert data["usage_ratio"] == pytest.approx(0.66)


def test_a_zero_limit_writes_null_ratios_never_infinity() -> None:
    check = LimitCheck(Quantity.ENERGY, 0.5, 0.0, 0.8, Status.FAIL)
    verdict = dataclasses.replace(passing_verdict(), checks=(check,))
    text = verdict_to_json(verdict)
    assert "Infinity" not in text and "NaN" not in text
    data = json.loads(text)
    assert data["limits"][0]["ratio"] is None
    assert data["usage_ratio"] is None


def test_naive_times_are_written_with_an_offset() -> None:
    naive = datetime(2025, 1, 2, 3, 4, 5)
    command = make_command(started_at=naive, ended_at=naive + timedelta(seconds=2))
    data = verdict_to_dict(dataclasses.replace(passing_verdict(), command=command))
    started = datetime.fromisoformat(data["command"]["started_at"])
    assert started.tzinfo is not None
    assert started == naive.astimezone()
    assert_valid_verdict(data)


def test_z_suffix_is_read_as_utc() -> None:
    data = verdict_to_dict(passing_verdict())
    data["command"]["started_at"] = "2025-03-14T09:26:53.589Z"
    command = verdict_from_dict(data).command
    assert command is not None
    assert command.started_at == make_command().started_at


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(extra=1), "$"),
        (lambda d: d.update(status="ok"), "$.status"),
        (lambda d: d.update(mode="strict"), "$.mode"),
        (lambda d: d["limits"][0].update(quantity="water"), "$.limits[0].quantity"),
        (lambda d: d["measurement"]["components"][0].update(component="disk"), "component"),
        (lambda d: d["context"].pop("job"), "$.context"),
        (lambda d: d["command"].update(started_at="2025-03-14 09:26"), "started_at"),
        (lambda d: d["command"].update(started_at="2025-03-14T09:26:53"), "started_at"),
        (lambda d: d.update(schema_version="2.0"), "$.schema_version"),
    ],
)
def test_schema_is_strict(change: Any, where: str) -> None:
    data = verdict_to_dict(passing_verdict())
    change(data)
    errors = list(jsonschema.Draft202012Validator(verdict_schema()).iter_errors(data))
    assert errors
    assert any(where in e.json_path for e in errors)


def test_schema_is_a_valid_2020_12_schema() -> None:
    schema = verdict_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


# --- atomic writing ------------------------------------------------------------------------


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_write_verdict_writes_the_json_and_leaves_no_temp_file(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "greengate-verdict.json"
    write_verdict(failing_verdict(), path)
    assert path.read_text(encoding="utf-8") == verdict_to_json(failing_verdict())
    assert _listing(tmp_path) == ["greengate-verdict.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_atomic_write_respects_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomicfile.write_text_atomic(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o600


def test_atomic_write_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("old contents that are longer than the new ones\n")
    atomicfile.write_text_atomic(str(path), "new\n")
    assert path.read_text() == "new\n"
    assert _listing(tmp_path) == ["report.md"]


@pytest.mark.parametrize("failing", ["fdopen", "replace"])
def test_a_failure_mid_write_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "greengate-verdict.json"
    path.write_text("previous verdict\n")
    seen: list[str] = []

    def boom(*args: Any) -> None:
        temps = [n for n in _listing(tmp_path) if n.endswith(".tmp")]
        seen.extend(temps)  # the temp file exists, in the same directory, at this point
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        atomicfile.write_text_atomic(path, '{"half": ')
    assert seen, "the failure was not simulated mid-write"
    assert path.read_text() == "previous verdict\n"
    assert _listing(tmp_path) == ["greengate-verdict.json"]


def test_an_interrupt_mid_write_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomicfile.write_text_atomic(tmp_path / "v.json", "{}")
    assert _listing(tmp_path) == []


def test_writing_into_a_missing_directory_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomicfile.write_text_atomic(tmp_path / "missing" / "v.json", "{}")


# --- publish ---------------------------------------------------------------------------------


class _Recorder(Reporter):
    name = "recorder"

    def __init__(self, target: ReportTarget, seen: list[str], error: Exception | None = None):
        super().__init__(target)
        self.seen = seen
        self.error = error

    def report(self, verdict: Verdict) -> None:
        path = self.target.verdict_path
        self.seen.append(Path(path).read_text() if path else "<no verdict file>")
        if self.error is not None:
            raise self.error


def _target(written: str | None = None) -> ReportTarget:
    return ReportTarget(io.StringIO(), io.StringIO(), {}, written)


def _built(
    *reporters: Callable[[ReportTarget], Reporter],
) -> Callable[[str | None], list[Reporter]]:
    """What the CLI hands publish: reporters built once the verdict file is (not) written."""
    return lambda written: [make(_target(written)) for make in reporters]


def test_publish_writes_the_verdict_before_any_reporter_runs(tmp_path: Path) -> None:
    seen: list[str] = []
    path = str(tmp_path / "v.json")
    problems = publish(
        passing_verdict(), verdict_path=path, reporters=_built(lambda t: _Recorder(t, seen))
    ).problems
    assert problems == []
    assert seen == [verdict_to_json(passing_verdict())]


def test_publish_keeps_going_after_a_failing_reporter(tmp_path: Path) -> None:
    seen: list[str] = []
    reporters = _built(
        lambda t: _Recorder(t, seen, OSError(13, "Permission denied")),
        lambda t: _Recorder(t, seen, GreengateError("no summary")),
        lambda t: _Recorder(t, seen, RuntimeError("oops")),
        lambda t: _Recorder(t, seen),
    )
    path = tmp_path / "v.json"
    problems = publish(failing_verdict(), verdict_path=str(path), reporters=reporters).problems
    assert len(seen) == 4
    assert problems == [
        "the recorder report failed: [Errno 13] Permission denied",
        "the recorder report failed: no summary",
        "the recorder report failed (a bug in greengate): RuntimeError: oops",
    ]
    assert verdict_from_dict(json.loads(path.read_text())) == failing_verdict()


def test_publish_keeps_a_buggy_reporters_traceback_for_debug(tmp_path: Path) -> None:
    reporters = _built(
        lambda t: _Recorder(t, [], OSError(13, "Permission denied")),
        lambda t: _Recorder(t, [], RuntimeError("oops")),
    )
    published = publish(
        failing_verdict(), verdict_path=str(tmp_path / "v.json"), reporters=reporters
    )
    # Only greengate's own bug carries a traceback; an OS error is the user's to fix.
    assert len(published.tracebacks) == 1
    assert published.tracebacks[0].startswith("Traceback (most recent call last):")
    assert "RuntimeError: oops" in published.tracebacks[0]


def test_publish_reports_an_unwritable_verdict_and_still_runs_reporters(tmp_path: Path) -> None:
    seen: list[str] = []
    path = str(tmp_path / "no-such-dir" / "v.json")
    built: list[Reporter] = []

    def reporters(written: str | None) -> list[Reporter]:
        built.append(_Recorder(_target(written), seen))
        return built

    published = publish(passing_verdict(), verdict_path=path, reporters=reporters)
    assert not published.verdict_written
    problems = published.problems
    assert problems == [f"cannot write the verdict to {path}: No such file or directory"]
    assert seen == ["<no verdict file>"]
    # Built after the write, so each reporter is told at construction that there is no file.
    assert [r.target.verdict_path for r in built] == [None]


def test_the_example_in_the_docs_validates() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "verdict.md").read_text(encoding="utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    assert_valid_verdict(json.loads(example))


@pytest.mark.parametrize("name", ["fail", "warn_mode", "history"])
def test_a_verdict_reads_back_whole_enforced_and_history_included(name: str) -> None:
    verdict = {**all_verdicts(), "history": history_verdict()}[name]
    assert verdict_from_dict(json.loads(verdict_to_json(verdict))) == verdict


@pytest.mark.parametrize(("mode", "enforced"), [("enforce", True), ("warn", False)])
def test_a_verdict_before_1_2_reads_enforced_from_its_mode(mode: str, enforced: bool) -> None:
    data = verdict_to_dict(history_verdict()) | {"schema_version": "1.1", "mode": mode}
    for check in data["limits"]:
        del check["enforced"]
    for window in data["history"]["windows"]:
        del window["enforced"]
    del data["history"]["regression"]["enforced"]
    assert_valid_verdict(data)
    read = verdict_from_dict(data)
    assert [c.enforced for c in read.checks] == [enforced] * len(read.checks)
    assert read.history is not None and read.history.regression is not None
    assert [w.enforced for w in read.history.windows] == [enforced, enforced]
    assert read.history.regression.enforced is enforced


def test_a_run_stopped_at_its_limit_is_written_validated_and_read_back() -> None:
    verdict = stopped_verdict()
    data = verdict_to_dict(verdict)
    assert_valid_verdict(data)
    assert data["command"]["stopped_at_limit"] is True
    assert data["command"]["stop"] == {
        "quantity": "energy",
        "measured": 0.0104,
        "limit": 0.01,
        "before": 0.0097,
        "overshoot": pytest.approx(0.0004),
        "limit_of": "rule 'train'",
        "signal": 15,
        "elapsed_s": 3600.5,
    }
    assert verdict_from_dict(json.loads(verdict_to_json(verdict))) == verdict
    # Every other verdict keeps its layout: neither key appears.
    assert "stopped_at_limit" not in verdict_to_dict(passing_verdict())["command"]
    # The schema holds the two together.
    del data["command"]["stop"]
    with pytest.raises(AssertionError, match="'stop' is a dependency of 'stopped_at_limit'"):
        assert_valid_verdict(data)
