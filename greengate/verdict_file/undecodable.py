"""Bytes that are not UTF-8 (in an argument, a branch, a path) carried through the verdict JSON.

POSIX arguments, environment variables and file names are bytes; Python hands them over as
text with each undecodable byte as a lone surrogate (PEP 383, ``surrogateescape``). JSON text
is UTF-8 and cannot hold those, so the verdict shows such a string with U+FFFD in place of
each bad byte (readable, valid UTF-8, schema-valid), and records its exact bytes in the
top-level ``undecodable`` object: RFC 6901 JSON Pointer -> base64. A reader that needs the
bytes (to rerun the argv, say) takes them from there; reading a verdict back restores them.
"""

from __future__ import annotations

from typing import Any

KEY = "undecodable"


def _pointer_token(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _raw(text: str) -> bytes | None:
    """The bytes behind ``text``, or None when it is plain Unicode (the usual case)."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte (e.g. from JSON input)
        return text.encode("utf-8", "surrogatepass")


def split_undecodable(data: Any) -> tuple[Any, dict[str, str]]:
    """``data`` with every unencodable string made valid, and the pointer -> base64 record."""
    found: dict[str, str] = {}

    def clean(value: Any, pointer: str) -> Any:
        if isinstance(value, str):
            raw = _raw(value)
            if raw is None:
                return value
            import base64  # only for bytes that are not text: rare (start-up)

            found[pointer] = base64.b64encode(raw).decode("ascii")
            return raw.decode("utf-8", "replace")
        if isinstance(value, dict):
            return {_shown(k): clean(v, f"{pointer}/{_pointer_token(k)}") for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        return value

    return clean(data, ""), found


def _shown(key: Any) -> Any:
    # Keys are greengate's own names; one that is not valid text is shown, not recorded.
    if isinstance(key, str) and _raw(key) is not None:
        return key.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return key


def restore_undecodable(data: dict[str, Any]) -> dict[str, Any]:
    """A verdict's data with the recorded bytes put back as surrogate-escaped text."""
    record = data.get(KEY)
    if not isinstance(record, dict):
        return data
    import base64
    import binascii

    for pointer, encoded in record.items():
        try:
            text = base64.b64decode(encoded, validate=True).decode("utf-8", "surrogateescape")
        except (binascii.Error, ValueError, TypeError):
            continue  # not ours to guess: keep the shown text
        _set(data, pointer, text)
    return data


def _set(data: Any, pointer: str, text: str) -> None:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    if not tokens:
        return
    target = data
    try:
        for token in tokens[:-1]:
            target = target[int(token)] if isinstance(target, list) else target[token]
        last = tokens[-1]
        if isinstance(target, list):
            target[int(last)] = text
        elif isinstance(target, dict) and last in target:
            target[last] = text
    except (KeyError, IndexError, ValueError, TypeError):
        return  # a pointer to nothing: ignored, the shown text stays
