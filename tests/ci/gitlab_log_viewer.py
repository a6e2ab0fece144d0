"""How GitLab's newer job log viewer reads sections, ported from its scanner.

``app/assets/javascripts/ci/job_log_viewer/lib/scanner.js`` (gitlab-org/gitlab): per line,
an ANSI escape (``ESC[`` parameters, intermediates, one final byte) is skipped, and wherever
``section_`` starts, the text up to the next carriage return (or the line's end) is split at
``:`` and each part trimmed; ``start|end``, a number (JavaScript's ``Number``: an empty or
blank part is 0) and a non-empty name make it a section marker. What the line shows is
what follows its last carriage return.
"""

from __future__ import annotations

import re

_JS_NUMBER = re.compile(
    r"[+-]?(?:Infinity|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|"
)


def _js_number(text: str) -> bool:
    # Number(s) is not NaN: the trimmed text is empty or a numeric literal.
    return _JS_NUMBER.fullmatch(text.strip()) is not None


def _skip_ansi(line: str, at: int) -> int:
    while at < len(line) and 0x30 <= ord(line[at]) <= 0x3F:
        at += 1
    while at < len(line) and 0x20 <= ord(line[at]) <= 0x2F:
        at += 1
    if at < len(line) and 0x40 <= ord(line[at]) <= 0x7E:
        at += 1
    return at


def sections(log: str) -> list[tuple[str, str]]:
    """Every section marker the viewer acts on, in order: ("start" or "end", name)."""
    found: list[tuple[str, str]] = []
    for line in log.split("\n"):
        at = 0
        while at < len(line):
            if line.startswith("\x1b[", at):
                at = _skip_ansi(line, at + 2)
            elif line.startswith("section_", at):
                start = at + len("section_")
                end = line.find("\r", start)
                end = len(line) if end < 0 else end + 1
                parts = [part.strip() for part in line[start:end].split(":")]
                if (
                    len(parts) == 3
                    and parts[0] in ("start", "end")
                    and _js_number(parts[1])
                    and parts[2]
                ):
                    name = parts[2]
                    if parts[0] == "start" and 0 < name.find("[") < name.rfind("]"):
                        name = name[: name.find("[")]  # name[options]
                    found.append((parts[0], name))
                at = end
            else:
                at += 1
    return found
