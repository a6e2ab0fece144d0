"""The one channel for CI workflow commands, and the guard on every other line greengate prints.

GitHub's runner executes a line of stdout *or stderr* that starts, after leading
whitespace, with ``::name`` (actions/runner ``ActionCommand.TryParseV2``), and the legacy
``##[name ...]`` found anywhere in a line (``TryParse``); Azure's agent executes
``##vso[...]`` anywhere in a line (azure-pipelines-agent ``Command.TryParse``). Both match
with .NET's culture-sensitive ``StartsWith``/``IndexOf``, which skip characters such as
U+200B or U+00AD. Branch and job names, argv, rule names and paths are the pull request's
(issue 10), so in a CI mode every text greengate writes passes ``NeutralisingStream``,
installed once over ``sys.stdout`` and ``sys.stderr`` (click's own messages included), and
greengate's own commands go around it through ``write_commands`` alone. In a GitLab job it
defuses GitLab's log sections instead (reporters/gitlab_log_guard.py); the GitLab reporter's
own section goes around it the same way.

Neutralising inserts a backslash, as the runner itself defuses ``##[start-action`` in user
output (``OutputManager``: ``##[\\start-action``): before the first ``:`` of a line whose
text begins with one, and before the ``[`` of ``##[`` and ``##vso[``. Nothing is dropped.

A command must start a line: the wrapped command shares the stream and may have left it
mid-line (``printf x``), and greengate cannot know where another writer left the cursor, so
``write_commands`` always starts with a newline (at worst an empty log line).
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TextIO, cast

from greengate.reporters.gitlab_log_guard import SectionGuard

# Line ends the runner and the agent split on (StreamReader.ReadLine: \n, \r, \r\n).
_BREAKS = frozenset("\n\r")
# Also treated as a new line (never as joining one): separators other readers split on.
_SOFT_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Characters .NET's culture-sensitive comparison may skip, by category; more is harmless.
_TRANSPARENT_CATEGORIES = frozenset({"Cc", "Cf", "Mn", "Me", "Zl", "Zp", "Co", "Cn"})
_TRANSPARENT = frozenset("\u115f\u1160\u3164\uffa0")
_SPECIAL = re.compile("[\\[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def ci_mode(env: Mapping[str, str]) -> bool:
    """Whether a runner that executes commands from the log reads this process's output."""
    return env.get("GITHUB_ACTIONS") == "true" or env.get("TF_BUILD", "").lower() == "true"


def gitlab_log(env: Mapping[str, str]) -> bool:
    """Whether GitLab's log viewer, which reads section markers anywhere, shows the output."""
    return env.get("GITLAB_CI") == "true"


def _transparent(c: str) -> bool:
    return c in _TRANSPARENT or unicodedata.category(c) in _TRANSPARENT_CATEGORIES


class Neutraliser:
    """Defuses command syntax in text written piece by piece (a command may span two writes)."""

    def __init__(self) -> None:
        self._line_start = True  # only whitespace (or skipped characters) so far on this line
        self._tail = ""  # the last significant characters of this line, lower-cased

    def feed(self, text: str) -> str:
        """``text`` with every would-be command defused, given what came before it."""
        if not self._line_start and _SPECIAL.search(text) is None:
            # The common case: mid-line text with nothing to defuse.
            recent = "".join(c for c in text[-8:] if not _transparent(c)).lower()
            self._tail = (self._tail + recent)[-5:]
            return text
        out: list[str] = []
        for c in text:
            if c in _BREAKS:
                self._line_start, self._tail = True, ""
            elif c in _SOFT_BREAKS:
                self._line_start = True
            elif not (_transparent(c) or (self._line_start and c.isspace())):
                if self._defuses(c):
                    out.append("\\")
                self._line_start = False
                self._tail = (self._tail + c.lower())[-5:]
            out.append(c)
        return "".join(out)

    def _defuses(self, c: str) -> bool:
        # ":" opening a line (``::cmd``), "[" after "##" or "##vso" (``##[cmd]``, ``##vso[``).
        if self._line_start and c == ":":
            return True
        return c == "[" and self._tail.endswith(("##", "##vso"))


def neutralise(text: str) -> str:
    """``text`` as one or more whole lines, with every would-be command defused."""
    return Neutraliser().feed(text)


class NeutralisingStream:
    """A text stream that defuses command syntax in everything written through it.

    ``commands``: GitHub's and Azure's workflow commands; ``sections``: GitLab's log
    sections, lone carriage returns and escapes (reporters/gitlab_log_guard.py).
    It has no ``buffer``: click, finding none, writes its messages through this object
    rather than around it.
    """

    def __init__(self, inner: TextIO, *, commands: bool = True, sections: bool = False) -> None:
        self.inner = inner
        self._commands = commands
        self._sections = sections
        self._neutraliser = Neutraliser()
        self._section_guard = SectionGuard()

    def write(self, text: str) -> int:
        """Write ``text`` defused; returns len(text), as a text stream does."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        shown = self._section_guard.feed(text) if self._sections else text
        self.inner.write(self._neutraliser.feed(shown) if self._commands else shown)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each of ``lines``."""
        for line in lines:
            self.write(line)

    def write_raw(self, text: str) -> None:
        """Write greengate's own commands as they are; the next text starts a fresh line."""
        self.inner.write(text)
        self._neutraliser = Neutraliser()
        self._section_guard = SectionGuard()

    def flush(self) -> None:
        """Flush the stream underneath."""
        self.inner.flush()

    def __getattr__(self, name: str) -> Any:
        if name in ("buffer", "detach"):  # a way around the guard
            raise AttributeError(name)
        return getattr(self.inner, name)


def write_commands(stream: TextIO, commands: Iterable[str]) -> None:
    """Write greengate's own workflow commands, each on a line of its own, and flush."""
    lines = list(commands)
    if not lines:
        return
    # The newline first: the cursor may be mid-line.
    write_raw(stream, "\n" + "\n".join(lines) + "\n")


def write_raw(stream: TextIO, text: str) -> None:
    """Write greengate's own control text past the stream's guards (not the command's)."""
    # Found through any wrapper that hands attributes down (cli.streams.TolerantStream).
    raw = getattr(stream, "write_raw", None)
    stream.flush()
    if callable(raw):
        raw(text)
    else:
        stream.write(text)
    stream.flush()


def guard_standard_streams(env: Mapping[str, str] | None = None) -> None:
    """In a CI mode, route ``sys.stdout`` and ``sys.stderr`` through ``NeutralisingStream``."""
    env = os.environ if env is None else env
    commands, sections = ci_mode(env), gitlab_log(env)
    if not (commands or sections):
        return
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, NeutralisingStream):
            guarded = NeutralisingStream(stream, commands=commands, sections=sections)
            setattr(sys, name, cast(TextIO, guarded))
