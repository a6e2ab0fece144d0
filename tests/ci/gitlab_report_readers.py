"""GitLab's own readers of the report artifacts, ported, so the tests read them as GitLab does.

Each follows the GitLab source (gitlab-org/gitlab) it names, including how it fails: GitLab
drops a whole report when its reader raises, so a reader here raises too.

- metrics: ``Gitlab::Ci::Parsers::Metrics::Generic``: each non-blank line has everything from
  ``#`` to the line's end removed, is split with Ruby's ``Shellwords.shellsplit``, and gives
  ``name value``; a line that does not split (an unmatched quote) fails the report.
- dotenv: ``Ci::ParseDotenvArtifactService``: every line must match ``^(.*?)=(.*)$`` (both
  sides stripped); keys as ``Ci::JobVariable`` validates them; under 5 KB, at most 20.
- Code Quality: ``Gitlab::Ci::Reports::CodequalityReports``: a JSON array of degradations,
  each checked against ``app/validators/json_schemas/codeclimate.json`` (kept by meaning
  below), keyed by fingerprint.
- JUnit: ``Gitlab::Ci::Parsers::Test::Junit``: ``testsuites``/``testsuite`` > ``testcase``;
  a ``failure`` child makes it failed, ``error`` error, ``skipped`` skipped, else success.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import jsonschema

# Ruby's Shellwords.shellsplit scanner (its \s is ASCII whitespace; its atomic group changes
# nothing here, the alternatives start with different characters).
_RUBY_SPACE = " \t\r\n\f\v"
_SHELL_TOKEN = re.compile(
    rf"[{_RUBY_SPACE}]*(?:([^{_RUBY_SPACE}\\'\"]+)|'([^']*)'|\"((?:[^\"\\]|\\.)*)\"|(\\.?)|(\S))"
    rf"([{_RUBY_SPACE}]|\Z)?",
    re.DOTALL,
)


class ReportRejected(ValueError):
    """GitLab's reader raised: the whole report is dropped."""


def shellsplit(line: str) -> list[str]:
    """Ruby's ``Shellwords.shellsplit``: raises on an unmatched quote, as Ruby does."""
    words: list[str] = []
    field = ""
    pos = 0
    while pos < len(line):
        m = _SHELL_TOKEN.match(line, pos)
        if m is None or m.end() == pos:
            break
        word, single, double, escaped, garbage, sep = m.groups()
        if garbage is not None:
            raise ReportRejected(f"Unmatched quote: {line!r}")
        if word is not None:
            field += word
        elif single is not None:
            field += single
        elif double is not None:
            field += re.sub(r"\\([$`\"\\\n])", r"\1", double)
        elif escaped is not None:
            field += re.sub(r"\\(.)", r"\1", escaped, flags=re.DOTALL)
        if sep is not None:
            words.append(field)
            field = ""
        pos = m.end()
    return words


def metrics(text: str) -> dict[str, str]:
    """The metrics GitLab keeps from a metrics report: name -> value."""
    found: dict[str, str] = {}
    for line in text.splitlines(keepends=True):
        if not line.strip():
            continue
        words = shellsplit(re.sub(r"#.*$", "", line, flags=re.MULTILINE))
        if not words or not words[0].strip() or len(words) < 2:
            continue
        found[words[0]] = words[1]
    return found


_DOTENV_KEY = re.compile(r"[a-zA-Z0-9_]+")


def dotenv(data: bytes) -> dict[str, str]:
    """The variables a dotenv report gives later jobs; raises where GitLab refuses the file."""
    if len(data) >= 5 * 1024:
        raise ReportRejected("Dotenv Artifact Too Big")
    variables: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").removeprefix("\ufeff").splitlines(keepends=True):
        matches = re.findall(r"^(.*?)=(.*)$", line, flags=re.MULTILINE)
        if not matches:
            raise ReportRejected(f"Invalid Format: {line!r}")
        key, value = (part.strip() for part in matches[-1])
        if not _DOTENV_KEY.fullmatch(key) or len(key) > 255:
            raise ReportRejected(f"invalid key {key!r}")
        variables[key] = value
    if len(variables) > 20:
        raise ReportRejected("Dotenv files cannot have more than 20 variables")
    return variables


# What codeclimate.json requires of a degradation, and its types.
_DEGRADATION = {
    "type": "object",
    "required": ["description", "fingerprint", "severity", "location"],
    "properties": {
        "description": {"type": "string"},
        "fingerprint": {"type": "string"},
        "severity": {"type": "string"},
        "location": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "lines": {"type": "object", "properties": {"begin": {"type": "integer"}}},
            },
        },
    },
}
SEVERITIES = ("blocker", "critical", "major", "minor", "info")


def code_quality(text: str) -> dict[str, dict[str, Any]]:
    """The degradations GitLab keeps, by fingerprint; raises where GitLab drops the report."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ReportRejected("a Code Quality report is a JSON array")
    kept: dict[str, dict[str, Any]] = {}
    for degradation in data:
        try:
            jsonschema.validate(degradation, _DEGRADATION)
        except jsonschema.ValidationError as error:
            raise ReportRejected(f"Invalid degradation format: {error.message}") from None
        if degradation["severity"] not in SEVERITIES:
            raise ReportRejected(f"unknown severity {degradation['severity']!r}")
        kept[degradation["fingerprint"]] = degradation
    return kept


def junit(data: bytes) -> list[tuple[str, str, str]]:
    """Each test case as GitLab lists it: (classname, name, status)."""
    root = ET.fromstring(data)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases: list[tuple[str, str, str]] = []
    for suite in suites:
        for case in suite.findall("testcase"):
            status = "success"
            for child, outcome in (
                ("failure", "failed"),
                ("error", "error"),
                ("skipped", "skipped"),
            ):
                if case.find(child) is not None:
                    status = outcome
                    break
            cases.append((case.get("classname", ""), case.get("name", ""), status))
    return cases
