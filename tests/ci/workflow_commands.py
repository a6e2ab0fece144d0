"""Workflow commands read as GitHub's runner reads them, stricter than act's parser.

The runner (actions/runner, ``ActionCommand.TryParseV2``) trims the line's leading white
space, takes the command up to the next ``::``, splits its properties on every ``,`` and
each at its first ``=``, and unescapes ``%25 %0D %0A`` (and ``%3A %2C`` in properties). act
parses with a regular expression of its own that accepts more, so the act tests check every
annotation act saw with this too.
"""

from __future__ import annotations

from dataclasses import dataclass

ANNOTATIONS = ("notice", "warning", "error")


@dataclass(frozen=True)
class Command:
    name: str
    properties: dict[str, str]
    message: str


def _unescape(s: str, prop: bool) -> str:
    s = s.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        s = s.replace("%3A", ":").replace("%2C", ",")
    return s.replace("%25", "%")


def parse(line: str) -> Command | None:
    """The command on ``line`` as the runner sees it, or None when it sees none."""
    text = line.rstrip("\n").lstrip()
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    info, message = text[2:end], text[end + 2 :]
    name, _, props = info.partition(" ")
    properties = {}
    for pair in filter(None, props.split(",")):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            return None  # the runner fails the whole command on a malformed property
        properties[key] = _unescape(value, prop=True)
    return Command(name, properties, _unescape(message, prop=False))
