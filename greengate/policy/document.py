"""A policy file as plain data plus where each key and value is written in it.

Parsing is YAML's, in greengate.policy.yaml_reader. A document parsed once is kept in the
per-machine cache as JSON, keyed by its exact text, so a run of an unchanged policy neither
imports PyYAML nor parses it: about 15 ms of every start (bench/overhead.py).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from greengate import __version__
from greengate.errors import PolicyError
from greengate.files.cache import cache_dir, store_text
from greengate.files.json_text import dump_json, load_json
from greengate.files.user_file import UserFileError, read_user_file

MAX_BYTES = 1024 * 1024  # a budget file is a few hundred bytes; refuse anything absurd unread
MAX_DEPTH = 32
MAX_NODES = 10_000  # a policy is a few dozen rules; this bounds parsing and schema time

Path = tuple[str | int, ...]
INIT_HINT = "run `greengate init` to write a commented starter policy"

_CACHE_FORMAT = 1
_PARSER = os.path.join(os.path.dirname(__file__), "yaml_reader.py")


@dataclass(frozen=True)
class Location:
    """A 1-based line and column in the policy file."""

    line: int
    column: int


@dataclass(frozen=True)
class Document:
    """Plain data read from a policy file, with the location of every key and value."""

    name: str
    data: Any
    values: Mapping[Path, Location]  # where the value at a path starts
    keys: Mapping[Path, Location]  # where the key naming the value at a path starts

    def locate(self, path: Path, *, key: bool = False) -> Location:
        """Where ``path`` is written; the nearest enclosing value when it is absent."""
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.values:
            path = path[:-1]
        return self.values[path]


def format_path(path: Path) -> str:
    """A path as a person reads it: ``budgets[1].max_emissions``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_policy_file(path: str) -> str:
    """The text of a policy file, or a PolicyError saying why it cannot be read."""
    try:
        raw = read_user_file(path, limit=MAX_BYTES)
    except UserFileError as e:
        if e.missing:
            raise PolicyError("no such policy file", file=path, hint=INIT_HINT) from None
        if e.problem == "too-large":
            _check_size(MAX_BYTES + 1, path)
        hint = "name the .yml file" if e.problem == "not-regular" else None
        raise PolicyError(e.reason.replace("regular", "policy"), file=path, hint=hint) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise PolicyError(
            f"not UTF-8 text: byte 0x{raw[e.start]:02x} at byte offset {e.start} cannot be decoded",
            file=path,
            line=line,
            column=column,
            hint="save the policy file as UTF-8",
        ) from None


def _check_size(size: int, name: str) -> None:
    if size > MAX_BYTES:
        raise PolicyError(
            f"larger than {MAX_BYTES // 1024} KiB; a policy is a short YAML file, not parsing it",
            file=name,
        )


def parse_document(text: str, name: str, *, cache: bool = True) -> Document:
    """Parse policy text into a Document, or a located PolicyError; ``cache``: use the cache."""
    _check_size(len(text.encode("utf-8", "surrogatepass")), name)
    key = _cache_key(text) if cache else None
    if key is not None and (cached := _cached(key, name)) is not None:
        return cached
    from greengate.policy.yaml_reader import compose_document

    document = compose_document(text, name)  # a syntax error raises: only good parses are kept
    if key is not None:
        _remember(key, document)
    return document


def _cache_key(text: str) -> str | None:
    """What the parse depends on: the text, greengate's version and the parser's own file."""
    try:
        parser = os.stat(_PARSER)
    except OSError:
        return None  # no parser source to identify (an unusual install): do not cache
    stamp = f"{_CACHE_FORMAT}\0{__version__}\0{parser.st_size}-{parser.st_mtime_ns}\0"
    return hashlib.sha256((stamp + text).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _cache_file(key: str) -> pathlib.Path:
    return cache_dir() / "policy-documents" / f"{key}.json"


def _cached(key: str, name: str) -> Document | None:
    """The document cached under ``key``, or None (absent, unreadable or malformed)."""
    try:
        with open(_cache_file(key), encoding="utf-8") as f:
            raw = load_json(f.read())
        values = {tuple(path): Location(line, column) for path, line, column in raw["values"]}
        keys = {tuple(path): Location(line, column) for path, line, column in raw["keys"]}
        data = raw["data"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Document(name, data, values, keys)


def _remember(key: str, document: Document) -> None:
    """Cache the parse; a cache that cannot be written is simply not used."""
    raw = {
        "data": document.data,
        "values": [[list(path), at.line, at.column] for path, at in document.values.items()],
        "keys": [[list(path), at.line, at.column] for path, at in document.keys.items()],
    }
    store_text(_cache_file(key), dump_json(raw))
