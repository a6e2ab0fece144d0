"""GitHub Actions: one annotation, a job summary, and step outputs (REFERENCE.md section 1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal

from greengate.files.markup import valid_unicode
from greengate.files.user_file import UserFileError, append_user_file
from greengate.reporters import headline
from greengate.reporters.ci_commands import write_commands
from greengate.reporters.interface import Reporter
from greengate.reporters.markdown import verdict_markdown
from greengate.reporters.policy_change_text import policy_file
from greengate.verdict import Status, Verdict

_LEVEL = {
    Status.PASS: "notice",
    Status.WARN: "warning",
    Status.FAIL: "error",
    Status.ERROR: "error",
}


def escape_data(s: str) -> str:
    """Escape a workflow command's message, as actions/toolkit ``command.ts`` escapeData."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    """Escape a workflow command's property value, as ``command.ts`` escapeProperty."""
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, properties: Mapping[str, str], message: str) -> str:
    """One ``::command key=value,...::message`` line, escaped (no newline at the end)."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(v: Verdict) -> str:
    """The one annotation for the verdict, pointing at the matched rule when there is one."""
    properties: dict[str, str] = {}
    path = policy_file(v)
    if v.rule is not None and path:
        # GitHub places an annotation by its path in the repository, not in the run's cwd
        # or the trusted ref it was read from.
        properties["file"] = path
        properties["line"] = str(v.rule.line)
    properties["title"] = f"greengate: {headline.title(v)}"
    failure = headline.command_failure(v.command)
    reasons = [f"{failure[0].upper()}{failure[1:]}.", *v.reasons] if failure else list(v.reasons)
    message = "\n".join(reasons) or f"greengate: {v.status.value}"
    # A failed command is never a notice (GitHub shows notices as all-is-well): at least a warning.
    level = "warning" if failure and v.status in (Status.PASS, Status.WARN) else _LEVEL[v.status]
    return workflow_command(level, properties, message)


def new_delimiter() -> str:
    """A fresh heredoc delimiter, in the form actions/toolkit uses."""
    return f"ghadelimiter_{uuid.uuid4()}"


def output_entry(name: str, value: str, delimiter: Callable[[], str] = new_delimiter) -> str:
    """``name=value`` for GITHUB_OUTPUT, or the ``name<<DELIM`` form when value has a newline."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delim = delimiter()
    # The toolkit refuses such values too (file-command.ts): the value would end early and
    # the rest of it would be read as more outputs.
    if delim in value:
        raise ValueError(f"output {name!r} contains its delimiter {delim!r}")
    return f"{name}<<{delim}\n{value}\n{delim}\n"


def verdict_outputs(v: Verdict, verdict_path: str | None) -> dict[str, str]:
    """The step outputs: status, emissions-kg, energy-kwh and the verdict file's path."""
    m = v.measurement
    return {
        "status": v.status.value,
        "emissions-kg": _plain(m.emissions_kg) if m else "",
        "energy-kwh": _plain(m.energy_kwh) if m else "",
        "verdict": verdict_path or "",
    }


def _plain(x: float) -> str:
    # Six significant digits, never in exponent form, so shell arithmetic (bc, awk) reads it.
    return format(Decimal(f"{x:.6g}"), "f")


class GitHubReporter(Reporter):
    """Annotation on stdout; Markdown to GITHUB_STEP_SUMMARY; outputs to GITHUB_OUTPUT."""

    name = "github"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """On when running inside GitHub Actions."""
        return env.get("GITHUB_ACTIONS") == "true"

    def report(self, verdict: Verdict) -> None:
        """Write all three; a file that cannot be written is a warning on stderr."""
        # The runner keeps 10 annotations per level per step; one per verdict leaves room
        # for the wrapped command's own, and the step summary tells the full story.
        write_commands(self.target.stdout, [annotation(verdict)])
        # Markdown is UTF-8: an undecodable byte of a name shows as U+FFFD there.
        summary = valid_unicode(verdict_markdown(verdict) + "\n")
        self._append("GITHUB_STEP_SUMMARY", "job summary", summary)
        try:
            entries = [
                output_entry(name, value)
                for name, value in verdict_outputs(verdict, self.target.verdict_path).items()
            ]
        except ValueError as e:
            self._warn(f"step outputs not written: {e}")
            return
        self._append("GITHUB_OUTPUT", "step outputs", "".join(entries))

    def notice(self, text: str) -> None:
        """A warning annotation while the command runs."""
        line = workflow_command("warning", {"title": "greengate"}, text)
        write_commands(self.target.stdout, [line])

    def _append(self, variable: str, what: str, text: str) -> None:
        path = self.target.env.get(variable)
        if not path:
            self._warn(f"{variable} is not set; no {what} written")
            return
        try:
            # Regular files only: a FIFO or device put there must not hang the step.
            append_user_file(path, text)
        except UserFileError as e:
            self._warn(f"cannot write the {what} ({variable}): {e.message}")

    def _warn(self, message: str) -> None:
        print(f"greengate: warning: {message}", file=self.target.stderr, flush=True)
