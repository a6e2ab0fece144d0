"""GitLab's job log: what greengate's own text must not do there, defused.

GitLab's newer log viewer (``ci/job_log_viewer/lib/scanner.js``) starts or ends a
collapsible section wherever ``section_`` appears in a line, not only after ``ESC[0K``:
the text up to the next carriage return, split at ``:`` and trimmed, is a section when it
reads ``start|end : number : name`` (and an empty number counts as 0). A rule or branch
name holding ``section_end:1:greengate`` would close greengate's section early, and
``section_start::x`` open a fake one. The viewer also shows only what follows the last
carriage return of a line, and evaluates ANSI escapes.

So in a GitLab job (``GITLAB_CI=true``) every text greengate prints passes ``SectionGuard``:
a backslash goes after each ``section_`` (``section_\\start``: neither viewer reads it as a
marker; nothing is dropped), a carriage return that does not end a line becomes a line
break (both halves stay visible), and an escape other than a colour (SGR, ``ESC[...m``) is
shown as the text ``\\x1b``. greengate's own section markers go around it
(``NeutralisingStream.write_raw``).
"""

from __future__ import annotations

import re

_MARKER = "section_"
# ESC not starting a colour: cursor moves, erasing (ESC[0K), OSC and the rest.
_NOT_COLOUR = re.compile(r"\x1b(?!\[[0-9;]*m)")
_LONE_CR = re.compile(r"\r(?!\n)")


class SectionGuard:
    """Defuses section markers, lone carriage returns and escapes in text written in pieces."""

    def __init__(self) -> None:
        self._tail = ""  # the end of the text before, where a marker may have begun
        self._after_cr = False  # the text before ended in a carriage return, now a newline

    def feed(self, text: str) -> str:
        """``text`` defused, given what came before it."""
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # "\r" then "\n" in two writes: one line break
        self._after_cr = text.endswith("\r")
        text = _LONE_CR.sub("\n", _NOT_COLOUR.sub(r"\\x1b", text))
        joined = self._tail + text
        skip = len(self._tail)
        pieces: list[str] = []
        last = 0
        for found in re.finditer(_MARKER, joined):
            end = found.end() - skip
            if end > 0:  # the marker ends in this text (it may have begun in the last)
                pieces += [text[last:end], "\\"]
                last = end
        pieces.append(text[last:])
        self._tail = joined[-(len(_MARKER) - 1) :]
        return "".join(pieces)


def defuse(text: str) -> str:
    """``text`` (whole lines) defused for GitLab's log."""
    return SectionGuard().feed(text)
