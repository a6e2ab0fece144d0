"""A job name with bytes that are not UTF-8 still gives every CI report file, valid UTF-8.

Issue 20 (files valid for whoever reads them): CI_JOB_NAME=$'j\\xff' made the GitLab report a
"bug in greengate" (UnicodeEncodeError): UTF-8 cannot encode the lone surrogate Python reads
such a byte as. The report files show U+FFFD; the verdict keeps the exact bytes.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import Greengate

POLICY = "version: 1\nbudgets:\n  - name: tiny\n    max_emissions: 0.000000001 g\n"
JOB = "j\udcff\x01ob"  # the byte 0xff, as os.environ hands it over (PEP 383)


def test_gitlab_reports_are_written_for_an_undecodable_job_name(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    env = {"GITLAB_CI": "true", "CI": "true", "CI_JOB_NAME": JOB, "GREENGATE_LEDGER": "off"}
    out = greengate("run", "-q", "--", "true", env=env)
    assert out.returncode == 1, out.stderr  # over the tiny budget: judged, not crashed
    assert "a bug in greengate" not in out.stderr and "could not write" not in out.stderr
    texts = {
        name: (tmp_path / name).read_bytes().decode("utf-8")  # strict: valid UTF-8
        for name in ("gl-code-quality-report.json", "greengate-junit.xml", "metrics.txt")
    }
    issues = json.loads(texts["gl-code-quality-report.json"])
    assert issues and "j\ufffd" in issues[0]["description"]
    ET.fromstring(texts["greengate-junit.xml"].encode())
    (tmp_path / "greengate.env").read_bytes().decode("utf-8")
    verdict = json.loads((tmp_path / "greengate-verdict.json").read_text(encoding="utf-8"))
    assert verdict["undecodable"]  # the exact bytes stay in the verdict


def test_a_github_step_summary_is_written_for_it(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    summary = tmp_path / "summary.md"
    env = {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_JOB": JOB,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(tmp_path / "out.txt"),
        "GREENGATE_LEDGER": "off",
    }
    out = greengate("run", "-q", "--", "true", env=env)
    assert out.returncode == 1, out.stderr
    assert "a bug in greengate" not in out.stderr
    summary.read_bytes().decode("utf-8")
