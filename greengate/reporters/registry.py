"""Name -> reporter class table; drives ``--report`` and CI auto-detection.

Classes are imported lazily so a run pays only for the reporters it uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

from greengate.context import ci_provider
from greengate.errors import UsageError
from greengate.reporters.interface import Reporter, ReportTarget

# name -> "module:Class"; adding a CI system means adding one module and one line here.
REPORTERS: dict[str, str] = {
    "console": "greengate.reporters.console:ConsoleReporter",
    "github": "greengate.reporters.github:GitHubReporter",
    "gitlab": "greengate.reporters.gitlab:GitLabReporter",
    "azure": "greengate.reporters.azure:AzureReporter",
    "jenkins": "greengate.reporters.jenkins:JenkinsReporter",
    "junit": "greengate.reporters.junit:JUnitReporter",
    "markdown": "greengate.reporters.markdown:MarkdownReporter",
    "pushgateway": "greengate.reporters.pushgateway:PushgatewayReporter",
    "otlp": "greengate.reporters.otlp:OtlpReporter",
}


def reporter_class(name: str) -> type[Reporter]:
    """The reporter class registered under ``name``."""
    try:
        module_name, _, class_name = REPORTERS[name].partition(":")
    except KeyError:
        known = ", ".join(sorted(REPORTERS))
        raise UsageError(f"unknown reporter {name!r}", hint=f"choose one of: {known}") from None
    cls: type[Reporter] = getattr(importlib.import_module(module_name), class_name)
    return cls


@dataclass(frozen=True)
class ChosenReporters:
    """Which reporters a run gets, each with its ``--report NAME=OPTION`` option; chosen (and
    the names checked) before the command runs, built once the verdict file is written."""

    chosen: tuple[tuple[str, str | None], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.chosen)

    def build(self, target: ReportTarget) -> list[Reporter]:
        """The reporters, each given where it writes at construction."""
        return [reporter_class(name)(target, option) for name, option in self.chosen]


def choose_reporters(
    requested: tuple[str, ...], env: Mapping[str, str], *, console: bool = True
) -> ChosenReporters:
    """Reporters for this run: the console (unless quiet), the auto-detected CI ones, and
    those asked for with ``--report NAME`` or ``--report NAME=OPTION``."""
    chosen: dict[str, str | None] = {}
    if console:
        chosen["console"] = None
    # Only the CI we are in is imported and asked: importing every reporter to ask each
    # would cost every run some 20 ms of start-up.
    provider = ci_provider(env)
    if provider in REPORTERS and reporter_class(provider).detect(env):
        chosen[provider] = None
    for item in requested:
        name, sep, option = item.partition("=")
        reporter_class(name.strip())  # validates the name
        chosen[name.strip()] = option if sep else None
    return ChosenReporters(tuple(chosen.items()))


def build_reporters(
    requested: tuple[str, ...], target: ReportTarget, *, console: bool = True
) -> list[Reporter]:
    """The chosen reporters built for ``target`` in one step."""
    return choose_reporters(requested, target.env, console=console).build(target)
