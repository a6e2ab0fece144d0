"""Run the pipelines ``greengate init --ci gitlab`` writes under gitlab-ci-local, offline.

gitlab-ci-local (npm, installed by .ci/install-gitlab-ci-local with its own Node 22) runs a
``.gitlab-ci.yml`` on its shell executor: each job's ``before_script`` and ``script`` in one
bash, ``after_script`` in another, artifacts and reports collected as a runner does. The
"image" a job runs in is a venv on this machine (``PipelineImage``): ``python`` with pip and,
already installed, greengate's dependencies, so that the template's own ``pip install
greengate-ci==VERSION`` installs greengate from a wheel built from this checkout
(``PIP_NO_INDEX``, ``PIP_FIND_LINKS``) and nothing is downloaded. ``apt-get`` is a stand-in
that installs nothing: git is on this machine already.

Where gitlab-ci-local differs from GitLab, this module says so and makes up the difference:

- it sets ``GITLAB_CI=false`` and ``CI_PROJECT_DIR=/builds/...`` even on its shell executor:
  runs pass GitLab's ``GITLAB_CI=true`` and the directory the job really runs in;
- it runs a job that has neither ``rules`` nor ``only`` in every pipeline, where GitLab gives
  it ``only: [branches, tags]`` (no merge-request pipelines), and it applies only the
  variables of ``workflow: rules``, never their ``when: never``: ``jobs_gitlab_creates``
  applies both as GitLab does, evaluating the rules with gitlab-ci-local's own engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "tests" / "tools" / ".gitlab-ci-local" / "node_modules" / ".bin"
PIPELINE_FILE = "greengate.gitlab-ci.yml"  # where `greengate init --ci gitlab` writes it
JOB_WIDE_FILE = "greengate-job.gitlab-ci.yml"

# Read at import: the hermetic-environment fixture (tests/conftest.py) removes CI per test.
IN_CI = os.environ.get("CI") == "true"


def require_gitlab_ci_local() -> Path:
    """gitlab-ci-local's bin directory; skip without it locally, fail in CI (CI=true)."""
    if (BIN / "gitlab-ci-local").exists() and (BIN / "node").exists() and shutil.which("rsync"):
        return BIN
    why = "gitlab-ci-local, Node 22 or rsync is missing (.ci/install-gitlab-ci-local installs them)"
    if IN_CI:
        pytest.fail(why + "; CI must run the GitLab pipelines, not skip them", pytrace=False)
    pytest.skip(why)


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity; its stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class PipelineImage:
    """What the job's image would hold: python and pip, greengate's wheel to install offline."""

    bin_dirs: tuple[Path, ...]  # first on PATH: the venv's bin, the apt-get stand-in
    wheelhouse: Path

    def env(self) -> dict[str, str]:
        """The variables gitlab-ci-local passes on to the job's shell."""
        path = os.pathsep.join([*map(str, self.bin_dirs), str(BIN), os.environ.get("PATH", "")])
        return {
            "PATH": path,
            "PIP_NO_INDEX": "1",  # the wheel below, never the network
            "PIP_FIND_LINKS": str(self.wheelhouse),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_WARN_SCRIPT_LOCATION": "1",
        }


def build_image(where: Path) -> PipelineImage:
    """Build greengate's wheel from this checkout and a venv standing in for the image."""
    source = where / "source"
    source.mkdir()
    # A copy, so that the build leaves nothing in the checkout.
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(
        ROOT / "greengate", source / "greengate", ignore=shutil.ignore_patterns("__pycache__")
    )
    wheelhouse = where / "wheelhouse"
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*build, "--no-index", "--isolated", "-w", str(wheelhouse), str(source)],
        check=True,
        capture_output=True,
    )
    venv = where / "image"
    # Without its own pip (ensurepip takes seconds): the test venv's pip comes in with the
    # rest below, and installs into this venv, the interpreter it runs in.
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    # greengate's dependencies, as the test venv has them, minus greengate itself (which
    # the pipeline installs from the wheel): links in a directory the image's python adds
    # to its path, so pip finds them installed and downloads nothing.
    deps = where / "deps"
    deps.mkdir()
    outer = Path(sysconfig.get_paths()["purelib"])
    for entry in outer.iterdir():
        if "greengate" not in entry.name.lower() and entry.suffix != ".pth":
            (deps / entry.name).symlink_to(entry)
    image_site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (image_site / "greengate-test-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    stand_ins = where / "stand-ins"
    stand_ins.mkdir()
    apt_get = stand_ins / "apt-get"
    apt_get.write_text("#!/bin/sh\n# The image's apt-get: git is installed already.\nexit 0\n")
    apt_get.chmod(0o755)
    return PipelineImage((venv / "bin", stand_ins), wheelhouse)


@dataclass(frozen=True)
class PipelineRun:
    """One gitlab-ci-local run: its exit code, its log, where its artifacts went."""

    returncode: int
    log: str
    project: Path
    pipeline_file: str

    def report(self, kind: str) -> Path:
        """The file the job's ``artifacts:reports:KIND`` names, where the job wrote it.

        gitlab-ci-local collects only ``artifacts:paths`` and the dotenv report; GitLab
        uploads every report, so they are read from the job's directory.
        """
        config = yaml.safe_load((self.project / self.pipeline_file).read_text("utf-8"))
        (job,) = (v for k, v in config.items() if isinstance(v, dict) and "script" in v)
        return self.project / job["artifacts"]["reports"][kind]

    def artifacts(self) -> Path:
        """Where gitlab-ci-local collected the one job's ``artifacts:`` (its reports too)."""
        (directory,) = (self.project / ".gitlab-ci-local" / "artifacts").iterdir()
        return directory

    def job_log(self) -> str:
        """What the one job printed, as gitlab-ci-local saved it."""
        (path,) = (self.project / ".gitlab-ci-local" / "output").glob("*.log")
        return path.read_text(encoding="utf-8", errors="replace")


def _base_args(project: Path, pipeline_file: str, home: Path) -> list[str]:
    return [
        str(BIN / "gitlab-ci-local"),
        "--file",
        pipeline_file,
        "--home",
        str(home),
        "--no-color",
    ]


def _variable_args(variables: Mapping[str, str], unset: Sequence[str]) -> list[str]:
    args: list[str] = []
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    for name in unset:
        args += ["--unset-variable", name]
    if variables:  # the predefined ones a run sets on purpose, without a warning each
        args += ["--ignore-predefined-vars", ",".join(variables)]
    return args


def run_pipeline(
    project: Path,
    image: PipelineImage,
    *,
    pipeline_file: str = PIPELINE_FILE,
    variables: Mapping[str, str] | None = None,
    unset: Sequence[str] = (),
    timeout: float = 300,
) -> PipelineRun:
    """Run every job of ``pipeline_file`` in ``project`` on the shell executor."""
    env = {**os.environ, **image.env()}
    gitlab = {"GITLAB_CI": "true", "CI_PROJECT_DIR": str(project), **(variables or {})}
    done = subprocess.run(
        [
            *_base_args(project, pipeline_file, project.parent / "gcl-home"),
            "--force-shell-executor",
            *_variable_args(gitlab, unset),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )
    return PipelineRun(done.returncode, done.stdout + done.stderr, project, pipeline_file)


def jobs_gitlab_creates(
    project: Path,
    *,
    pipeline_file: str = PIPELINE_FILE,
    variables: Mapping[str, str] | None = None,
    unset: Sequence[str] = (),
) -> list[str]:
    """The jobs GitLab would create for these variables (none when workflow rules say never).

    The rules are evaluated by gitlab-ci-local (``--list-json``); what it leaves out is
    applied here (module docstring).
    """
    variables = dict(variables or {})
    config: dict[str, Any] = yaml.safe_load((project / pipeline_file).read_text("utf-8"))
    home = project.parent / "gcl-home"
    workflow = (config.get("workflow") or {}).get("rules")
    if workflow is not None:
        probe = project / ".workflow-probe.gitlab-ci.yml"
        probe.write_text(yaml.safe_dump({"probe": {"rules": workflow, "script": ["true"]}}))
        try:
            listed = _list_jobs(project, probe.name, home, variables, unset)
        finally:
            probe.unlink()
        if listed["probe"] == "never":
            return []  # GitLab creates no pipeline at all
    merge_request = variables.get("CI_PIPELINE_SOURCE") == "merge_request_event"
    created = []
    for name, when in _list_jobs(project, pipeline_file, home, variables, unset).items():
        job = config.get(name) or {}
        if when == "never":
            continue
        if merge_request and not any(key in job for key in ("rules", "only", "except")):
            continue  # GitLab's default only: [branches, tags]
        created.append(name)
    return created


def _list_jobs(
    project: Path,
    pipeline_file: str,
    home: Path,
    variables: Mapping[str, str],
    unset: Sequence[str],
) -> dict[str, str]:
    done = subprocess.run(
        [
            *_base_args(project, pipeline_file, home),
            "--list-json",
            "--no-json-schema-validation",
            *_variable_args(variables, unset),
        ],
        cwd=project,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    start = done.stdout.index("[")
    return {job["name"]: job["when"] for job in json.loads(done.stdout[start:])}
