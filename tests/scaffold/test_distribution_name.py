"""The distribution is ``greengate-ci``: the PyPI name ``greengate`` is somebody else's project.

Every install line a user copies (the README, docs, examples, the templates ``init --ci``
writes, the action's ``greengate-version``) must name ``greengate-ci``; the built wheel and
sdist must pass ``twine check`` and install into a fresh venv by that name.
"""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from greengate import __version__
from greengate.scaffold.ci_templates import CI_KINDS, render

ROOT = Path(__file__).resolve().parents[2]

# A requirement naming the bare distribution ``greengate``: followed by an extra, a version
# specifier, a quote, a direct reference or the end of the word, and not by ``-ci``.
FOREIGN = re.compile(r"""(?<![\w.-])greengate(?![\w-])\s*(\[|==|>=|<=|~=|!=|@|["']|\s|$)""")
INSTALL = re.compile(r"\b(pip3?|uv pip|pipx)\b.*\binstall\b|\bpip\b.*\binstall\b")


def _install_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if INSTALL.search(line)]


def _foreign(line: str) -> bool:
    tail = INSTALL.split(line, maxsplit=1)[-1]
    # "-r requirements.txt", paths and other packages are fine; only a greengate requirement counts.
    return any(FOREIGN.match(tail, m.start()) for m in re.finditer(r"greengate", tail))


def _tracked_texts() -> dict[str, str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    texts: dict[str, str] = {}
    for name in files:
        if name.startswith("tests/"):
            continue  # the tests name the foreign package on purpose
        try:
            texts[name] = (ROOT / name).read_text("utf-8")
        except (UnicodeDecodeError, IsADirectoryError):
            continue
    return texts


def test_the_checker_tells_the_two_names_apart() -> None:
    assert _foreign('pip install "greengate==0.1.0"')
    assert _foreign("pip install 'greengate[otlp]'")
    assert _foreign("python -m pip install greengate")
    assert _foreign('pip install "greengate @ git+https://example.invalid/x"')
    assert not _foreign('pip install "greengate-ci==0.1.0"')
    assert not _foreign("pip install 'greengate-ci[otlp]'")
    assert not _foreign("pip install -r requirements.txt")
    assert not _foreign('"$RUNNER_TEMP/greengate-venv/bin/pip" install "greengate-ci==1"')


def test_no_tracked_file_installs_the_foreign_package() -> None:
    lines = {
        f"{name}: {line.strip()}"
        for name, text in _tracked_texts().items()
        for line in _install_lines(text)
        if _foreign(line)
    }
    assert not lines, "install lines naming the PyPI project `greengate`:\n" + "\n".join(lines)


@pytest.mark.parametrize("kind", sorted(CI_KINDS))
@pytest.mark.parametrize("job_wide", [False, True])
def test_every_template_installs_greengate_ci_pinned(kind: str, job_wide: bool) -> None:
    text = render(kind, "greengate.yml", job_wide=job_wide)
    greengate_lines = [line for line in _install_lines(text) if "greengate" in line]
    assert not [line for line in greengate_lines if _foreign(line)]
    if kind in {"gitlab", "azure", "jenkins"}:
        # These pip-install greengate themselves; GitHub uses the action.
        assert any(f'"greengate-ci=={__version__}"' in line for line in greengate_lines)


def test_the_action_installs_greengate_ci_for_a_version() -> None:
    action = (ROOT / "action.yml").read_text("utf-8")
    assert 'spec="greengate-ci==$GG_VERSION"' in action
    assert "greengate==" not in action


def test_the_readme_install_line_names_the_pinned_distribution() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert f'pip install "greengate-ci=={__version__}"' in readme
    assert "OWNER/greengate" not in readme


@pytest.mark.skipif(
    not (ROOT / "pyproject.toml").exists(), reason="needs the source tree (pyproject.toml)"
)
def test_the_built_wheel_passes_twine_and_installs_by_its_name(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    built = sorted(p.name for p in dist.iterdir())
    assert built == [
        f"greengate_ci-{__version__}-py3-none-any.whl",
        f"greengate_ci-{__version__}.tar.gz",
    ]
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
    )
    assert twine.returncode == 0, twine.stdout + twine.stderr
    assert twine.stdout.count("PASSED") == 2

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    install = subprocess.run(
        [
            str(fresh / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--find-links",
            str(dist),
            f"greengate-ci=={__version__}",
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    show = subprocess.run(
        [str(fresh / "bin" / "python"), "-m", "pip", "show", "-f", "greengate-ci"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Name: greengate-ci" in show
    assert "greengate/cli/__init__.py" in show
    assert "greengate/schemas/" in show  # package data travels with the wheel
    assert (fresh / "bin" / "greengate").exists()
