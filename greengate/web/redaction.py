"""Every credential greengate knows, and the one function that takes them out of a text.

Credentials are registered where they are read (a provider's environment variables, a
WattTime token, a Pushgateway URL's user:password, the OTLP headers), once per process, and
every message greengate prints passes ``redact``: GreengateError does it for every error and
warning built from one, the HTTP exchange for what a server says. A server may echo a
secret in another form than it was given, so each is also looked for URL-quoted, in the
base64 of a basic-auth header, JSON-escaped, and in any case.
"""

from __future__ import annotations

import re
import threading

MIN_LENGTH = 3  # shorter values would blank out ordinary words
MARK = "[redacted]"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _forms(secret: str) -> set[str]:
    import base64  # only once a secret is known: an offline run never pays for these
    import json
    import urllib.parse

    raw = secret.encode()
    return {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        urllib.parse.quote(secret),
        json.dumps(secret)[1:-1],
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def register(*secrets: str | None) -> None:
    """Redact these values (and their other forms) from every later message."""
    global _pattern
    new = {s for s in secrets if s and len(s) >= MIN_LENGTH}
    if not new:
        return
    with _lock:
        for s in new:
            _secrets.update(f for f in _forms(s) if len(f) >= MIN_LENGTH)
        _pattern = None


def register_basic(username: str, password: str) -> None:
    """A basic-auth pair: its ``user:password`` base64 is what a server may echo.

    The user name alone is not a secret: a Pushgateway user called ``metrics`` must not
    blank that word out of every message.
    """
    import base64

    register(password)
    pair = f"{username}:{password}".encode()
    with_padding = base64.b64encode(pair).decode()
    register(with_padding.rstrip("="), base64.urlsafe_b64encode(pair).decode().rstrip("="))


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _secrets:
            # Longest first, so a secret inside a longer one never leaves the longer's tail.
            ordered = sorted(_secrets, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE)
        return _pattern


def redact(text: str) -> str:
    """``text`` with every registered credential, in any of its forms, replaced."""
    pattern = _compiled()
    return pattern.sub(MARK, text) if pattern is not None else text


def forget() -> None:
    """Drop every registered secret (tests that run several configurations in one process)."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None
