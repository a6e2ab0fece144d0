"""``--report pushgateway=URL`` against Debian's real ``prometheus-pushgateway`` on loopback.

The server is started by the test on a free 127.0.0.1 port (``.ci/run`` installs the
package) and read back from its own ``/metrics`` page.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Greengate
from factories import failing_verdict, passing_verdict
from prometheus_client.parser import text_string_to_metric_families

from greengate.gate.publish import publish
from greengate.reporters.interface import ReportTarget
from greengate.reporters.pushgateway import PushError, PushgatewayReporter, group_path
from greengate.verdict import Verdict

BINARY = shutil.which("prometheus-pushgateway") or "/usr/bin/prometheus-pushgateway"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Pushgateway on loopback; its base URL."""
    if not Path(BINARY).exists():
        pytest.skip("prometheus-pushgateway is not installed (.ci/run installs it)")
    port = free_port()
    log = tmp_path_factory.mktemp("pushgateway") / "log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [BINARY, f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def scraped(url: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of metric ``name`` on the Pushgateway's /metrics page."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as r:
        text = r.read().decode()
    # The Pushgateway adds an empty ``instance`` to every group that has none.
    return [
        ({k: v for k, v in s.labels.items() if k != "instance"}, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def push(url: str, verdict: Verdict, env: dict[str, str] | None = None) -> str:
    err = io.StringIO()
    PushgatewayReporter(ReportTarget(io.StringIO(), err, env or {}), url).report(verdict)
    return err.getvalue()


def with_context(v: Verdict, **context: str | None) -> Verdict:
    return dataclasses.replace(v, context=dataclasses.replace(v.context, **context))


HOSTILE_BRANCH = "feature/x y%2F..?#"
HOSTILE_JOB = "../build job"


def test_metrics_are_labelled_by_job_branch_and_repository(gateway: str) -> None:
    v = with_context(
        failing_verdict(), job=HOSTILE_JOB, branch=HOSTILE_BRANCH, repository="org/repo"
    )
    assert v.measurement is not None
    said = push(gateway, v)
    assert "pushed" in said
    labels = {"job": HOSTILE_JOB, "branch": HOSTILE_BRANCH, "repository": "org/repo"}
    energy = [value for ls, value in scraped(gateway, "greengate_energy_kwh") if ls == labels]
    assert energy == [pytest.approx(v.measurement.energy_kwh)]
    emissions = [value for ls, value in scraped(gateway, "greengate_emissions_kg") if ls == labels]
    assert emissions == [pytest.approx(v.measurement.emissions_kg)]
    status = {
        ls["status"]: value
        for ls, value in scraped(gateway, "greengate_status")
        if {k: ls[k] for k in labels} == labels
    }
    assert status == {"pass": 0.0, "warn": 0.0, "fail": 1.0, "error": 0.0}
    ratios = {
        ls["quantity"]: value
        for ls, value in scraped(gateway, "greengate_budget_usage_ratio")
        if {k: ls[k] for k in labels} == labels
    }
    assert ratios == {c.quantity.value: pytest.approx(c.ratio) for c in v.checks}


def test_a_rerun_replaces_its_group_and_another_branch_adds_one(gateway: str) -> None:
    first = with_context(passing_verdict(), job="unit", branch="main", repository="r")
    push(gateway, first)
    again = dataclasses.replace(
        first,
        measurement=dataclasses.replace(first.measurement, pue=2.0),  # type: ignore[arg-type]
    )
    push(gateway, again)
    other = with_context(first, branch="dev")
    push(gateway, other)
    assert again.measurement is not None and first.measurement is not None
    mine = [
        (ls["branch"], value)
        for ls, value in scraped(gateway, "greengate_energy_kwh")
        if ls.get("job") == "unit" and ls.get("repository") == "r"
    ]
    assert sorted(mine) == [
        ("dev", pytest.approx(first.measurement.energy_kwh)),
        ("main", pytest.approx(again.measurement.energy_kwh)),
    ]
    assert again.measurement.energy_kwh != pytest.approx(first.measurement.energy_kwh)


def test_unknown_keys_are_pushed_as_empty_labels(gateway: str) -> None:
    v = with_context(passing_verdict(), job=None, branch=None, repository=None)
    push(gateway, v)
    groups = [ls for ls, _ in scraped(gateway, "greengate_energy_kwh")]
    assert {"job": "greengate", "branch": "", "repository": ""} in groups


def test_the_path_encodes_every_value() -> None:
    assert (
        group_path("a/b", "", "x")
        == "/metrics/job@base64/YS9i/branch@base64/=/repository@base64/eA=="
    )


def test_a_refused_connection_is_a_warning_without_credentials(tmp_path: Path) -> None:
    url = f"http://user:s3cret@127.0.0.1:{free_port()}"
    err = io.StringIO()
    reporter = PushgatewayReporter(ReportTarget(io.StringIO(), err, {}), url)
    published = publish(
        passing_verdict(),
        verdict_path=str(tmp_path / "v.json"),
        reporters=lambda _: [reporter],
    )
    assert len(published.problems) == 1
    problem = published.problems[0]
    assert "could not push to the Pushgateway at http://127.0.0.1:" in problem
    assert "s3cret" not in problem and "user" not in problem


def test_a_silent_server_times_out() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
        port = server.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(PushError, match=r"within 0\.5 s"):
            push(
                f"http://127.0.0.1:{port}",
                passing_verdict(),
                {"GREENGATE_PUSHGATEWAY_TIMEOUT": "0.5"},
            )
        assert time.monotonic() - started < 5
        for conn in accepted:
            conn.close()


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:1", "http://127.0.0.1:port", "http://", ""])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(PushError, match=r"is not http|no Pushgateway URL"):
        push(url, passing_verdict())


def test_the_cli_pushes_and_keeps_the_commands_exit_code(
    greengate: Greengate, gateway: str, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(
        "version: 1\nbudgets:\n  - max_energy: 1 kWh\n", encoding="utf-8"
    )
    ok = greengate(
        "run", "--job", "cli-job", "--branch", "b/1", "--report", f"pushgateway={gateway}",
        "--", "python", "-c", "raise SystemExit(7)",
    )  # fmt: skip
    assert ok.returncode == 7, ok.stderr
    assert "metrics pushed" in ok.stderr
    exit_codes = [
        value
        for ls, value in scraped(gateway, "greengate_command_exit_code")
        if ls.get("job") == "cli-job" and ls.get("branch") == "b/1"
    ]
    assert exit_codes == [7.0]
    down = greengate(
        "run", "--job", "cli-job", "--report", f"pushgateway=http://127.0.0.1:{free_port()}",
        "--", "python", "-c", "pass",
    )  # fmt: skip
    assert down.returncode == 0, down.stderr
    assert "greengate: warning: the pushgateway report failed: could not push" in down.stderr
