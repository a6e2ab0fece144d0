"""The run's containers in the verdict file and the summaries people read."""

from __future__ import annotations

import dataclasses
import io

from factories import assert_valid_verdict, make_measurement, make_verdict

from greengate.containers.work import ContainerUse, ContainerWork
from greengate.reporters.console import ConsoleReporter
from greengate.reporters.interface import ReportTarget
from greengate.reporters.markdown import verdict_markdown
from greengate.verdict import Verdict
from greengate.verdict_file.verdict_json import verdict_from_dict, verdict_to_dict

WORK = ContainerWork(
    containers=(
        ContainerUse("f" * 64, "postgres:16", 1.5, 80 * 2**20, 2.0e9),
        ContainerUse("w2t6q6dx6u4d4p7lteyxltrvx", "build", 4.25, None, 0.0),
    ),
    cpu_seconds=5.75,
    cpu_low_seconds=5.5,
    cpu_high_seconds=6.0,
    memory_byte_seconds=2.0e9,
    method="cgroup v2 cpu.stat",
    notes=("a note",),
)


def verdict_with_containers() -> Verdict:
    return make_verdict(measurement=dataclasses.replace(make_measurement(), containers=WORK))


def test_the_verdict_file_keeps_each_container() -> None:
    verdict = verdict_with_containers()
    data = verdict_to_dict(verdict)
    assert_valid_verdict(data)
    section = data["measurement"]["containers"]
    assert [c["image"] for c in section["containers"]] == ["postgres:16", "build"]
    assert section["cpu_s"] == 5.75 and section["cpu_high_s"] == 6.0
    back = verdict_from_dict(data)
    assert back.measurement is not None and back.measurement.containers == WORK


def test_a_run_without_containers_has_no_section() -> None:
    data = verdict_to_dict(make_verdict())
    assert_valid_verdict(data)
    assert "containers" not in data["measurement"]


def test_the_summaries_name_the_containers_largest_first() -> None:
    verdict = verdict_with_containers()
    out, err = io.StringIO(), io.StringIO()
    ConsoleReporter(ReportTarget(out, err, {}), width=200).report(verdict)
    line = next(row for row in err.getvalue().splitlines() if "containers" in row)
    assert "2 containers, 5.75 CPU-s counted (cgroup v2 cpu.stat)" in line
    assert line.index("w2t6q6dx6u4d build") < line.index("ffffffffffff postgres:16")
    markdown = verdict_markdown(verdict)
    assert "| Containers | 2 containers, 5.75 CPU-s counted" in markdown
