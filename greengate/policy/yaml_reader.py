"""Policy text to a Document: the only place that knows about YAML.

It reads YAML 1.2 core-schema scalars (``mode: off`` and ``branch: no`` stay strings, unlike
PyYAML's YAML 1.1 default), and refuses what a budget file never needs but an attacker or a
typo can produce: duplicate keys, aliases (expansion bombs), deep nesting, custom tags and
huge files. Imported only when a policy's text is not in the parse cache (document.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from greengate.errors import PolicyError
from greengate.policy.document import (
    INIT_HINT,
    MAX_DEPTH,
    MAX_NODES,
    Document,
    Location,
    Path,
    format_path,
)

_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _CoreResolver(BaseResolver):
    """YAML 1.2 core schema: only true/false are booleans, no timestamps or base 60."""


_TAG = "tag:yaml.org,2002:"
for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
        "-+.0123456789",
    ),
    ("null", r"~|null|Null|NULL|", "~nN"),
):
    _CoreResolver.add_implicit_resolver(
        _TAG + _tag,
        re.compile(rf"^(?:{_pattern})$"),
        [*_first, ""] if _tag == "null" else [*_first],
    )


class _Refused(Exception):
    """Valid YAML that a policy file must not contain."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class _Loader(Reader, Scanner, Parser, Composer, _CoreResolver):
    """Composes nodes (never Python objects), refusing aliases and deep nesting."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            # Refusing aliases outright is simpler than capping an expansion bomb's size.
            message = "aliases (*name) are not allowed in a policy; write the value out"
            raise _Refused(message, mark.line + 1, mark.column + 1)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            message = f"more than {MAX_NODES} values; a policy is a few dozen rules"
            raise _Refused(message, mark.line + 1, mark.column + 1)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose_document(text: str, name: str) -> Document:
    """Parse policy text into a Document, or a located PolicyError."""
    text = text.removeprefix("\ufeff")
    loader = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
    except _Refused as e:
        raise PolicyError(e.message, file=name, line=e.line, column=e.column) from None
    except yaml.MarkedYAMLError as e:
        raise _yaml_error(e, name) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        column = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        message = f"invalid YAML: character U+{e.character:04X} is not allowed in YAML text"
        raise PolicyError(message, file=name, line=line, column=column) from None
    finally:
        if loader is not None:
            loader.dispose()
    if root is None or (isinstance(root, ScalarNode) and root.tag == _TAG + "null"):
        raise PolicyError("the policy file is empty", file=name, hint=INIT_HINT)
    builder = _Builder(name, text)
    data = builder.convert(root, ())
    return Document(name, data, builder.values, builder.keys)


def _yaml_error(e: yaml.MarkedYAMLError, name: str) -> PolicyError:
    mark = e.problem_mark or e.context_mark
    problem = e.problem or "invalid YAML"
    message = f"invalid YAML: {problem}"
    if e.context == "expected a single document in the stream":
        message = "more than one YAML document (a second '---' starts here); a policy is one"
    elif e.context and e.context_mark and e.context_mark is not mark:
        message += f" ({e.context} at line {e.context_mark.line + 1})"
    hint = "indent with spaces; YAML does not allow tabs" if "\\t" in problem else None
    if mark is None:
        return PolicyError(message, file=name, hint=hint)
    return PolicyError(message, file=name, line=mark.line + 1, column=mark.column + 1, hint=hint)


class _Builder:
    """Turns composed nodes into plain data, recording locations and refusing duplicates."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.values: dict[Path, Location] = {}
        self.keys: dict[Path, Location] = {}

    def error(self, node: Node, message: str, path: Path) -> PolicyError:
        mark = node.start_mark
        return PolicyError(
            message,
            file=self.name,
            line=mark.line + 1,
            column=mark.column + 1,
            key_path=format_path(path) or None,
        )

    def convert(self, node: Node, path: Path) -> Any:
        self.values[path] = Location(node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, (MappingNode, SequenceNode)) and node.tag not in _COLLECTION_TAGS:
            raise self.error(node, f"unsupported YAML tag {node.tag!r}", path)
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise self.error(key_node, "a key must be a plain name", path)
                key = str(key_node.value)
                here = (*path, key)
                if key in result:
                    first = self.keys[here].line
                    raise self.error(
                        key_node, f"duplicate key {key!r} (first at line {first})", path
                    )
                self.keys[here] = Location(
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1
                )
                result[key] = self.convert(value_node, here)
            return result
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                here = (*path, i)
                items.append(self.convert(item, here))
                self.values[here] = self.entry(item)
            return items
        return self.scalar(node, path)

    def entry(self, item: Node) -> Location:
        """Where a list item starts: its ``-`` when that precedes it (a rule's first line)."""
        # Walks back over the whitespace only: slicing the text here would be quadratic.
        index, newlines = item.start_mark.index - 1, 0
        while index >= 0 and self.text[index] in " \t\r\n":
            newlines += self.text[index] == "\n"
            index -= 1
        if index < 0 or self.text[index] != "-":  # a flow list, or a comment after the dash
            return Location(item.start_mark.line + 1, item.start_mark.column + 1)
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return Location(item.start_mark.line + 1 - newlines, column)

    def scalar(self, node: Node, path: Path) -> Any:
        value, tag = str(node.value), node.tag.removeprefix(_TAG)
        converter = _SCALARS.get(tag)
        if converter is None:
            raise self.error(node, f"unsupported YAML tag {node.tag!r}", path)
        try:
            return converter(value)
        except OutOfRange as e:
            raise self.error(node, str(e), path) from None
        except ValueError:
            raise self.error(node, f"{value!r} is not a valid {tag}", path) from None


class OutOfRange(ValueError):
    """A number no policy setting can hold: infinite, not a number, or too large to be exact."""


# Every number in a policy is a limit, factor or count far below this; above it a float is
# no longer exact, and a 400-digit integer would overflow float() further on (issue 10).
MAX_NUMBER = 2**53


def _bool(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError(value)
    return value.lower() == "true"


def _int(value: str) -> int:
    digits = value.lstrip("+-")
    if len(digits) > 40:  # before int(): no time spent on (or limit hit by) a huge literal
        raise OutOfRange(f"{_short(value)} is out of range: numbers here are at most {MAX_NUMBER}")
    if value.startswith(("0x", "0o")):
        number = int(value, 16 if value[1] == "x" else 8)
    else:
        number = int(value, 10)  # base 10 even with leading zeros: YAML 1.2 has no 0777 octal
    if abs(number) > MAX_NUMBER:
        raise OutOfRange(f"{_short(value)} is out of range: numbers here are at most {MAX_NUMBER}")
    return number


def _float(value: str) -> float:
    if value.lower().endswith((".inf", ".nan")):
        # Every number in a policy is a limit, factor or count: none may be infinite or
        # undefined (an infinite tolerance would switch the regression gate off).
        raise OutOfRange(f"{value!r} is not a finite number; write the value itself")
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise OutOfRange(f"{_short(value)} is out of range: numbers here are at most {MAX_NUMBER}")
    return number


def _short(value: str) -> str:
    return repr(value) if len(value) <= 24 else repr(value[:12] + "..." + value[-6:])


_SCALARS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "null": lambda _: None,
    "bool": _bool,
    "int": _int,
    "float": _float,
}
