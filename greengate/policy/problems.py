"""What is wrong with a policy, where: collected, sorted by line, raised as one PolicyError."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from greengate.errors import PolicyError
from greengate.policy.document import Document, Path, format_path

MAX_SHOWN = 5  # enough to fix several typos in one go without burying the first


@dataclass(frozen=True)
class Problem:
    """One mistake at ``path``; ``at_key`` points at the key rather than its value."""

    path: Path
    message: str
    at_key: bool = False


def shown(value: Any) -> str:
    """A value as the user wrote it in YAML, kept short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping {}"
    if isinstance(value, list):
        return "a list" if value else "an empty list []"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def raise_problems(document: Document, problems: Sequence[Problem]) -> None:
    """Raise a PolicyError located at the first problem and listing a few more; no-op if none."""
    if not problems:
        return
    located = sorted(
        ((document.locate(p.path, key=p.at_key), p) for p in problems),
        key=lambda pair: (pair[0].line, pair[0].column),
    )
    where, first = located[0]
    lines = [first.message]
    for other_where, other in located[1:MAX_SHOWN]:
        at = f"{document.name}:{other_where.line}:{other_where.column}"
        path = format_path(other.path)
        lines.append(f"  also {at}: {path + ': ' if path else ''}{other.message}")
    if len(located) > MAX_SHOWN:
        lines.append(f"  and {len(located) - MAX_SHOWN} more")
    raise PolicyError(
        "\n".join(lines),
        file=document.name,
        line=where.line,
        column=where.column,
        key_path=format_path(first.path) or None,
    )
