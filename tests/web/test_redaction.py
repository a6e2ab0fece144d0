"""The one redactor: every secret greengate knows, in every form a server may echo it, is out
of every GreengateError, whatever raised it."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from greengate.errors import GreengateError
from greengate.web import redaction

SECRET = "S3cret/Pass word+&"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    redaction.forget()
    yield
    redaction.forget()


def test_every_form_a_server_may_echo_is_redacted() -> None:
    redaction.register_basic("user", SECRET)
    pair = base64.b64encode(f"user:{SECRET}".encode()).decode()
    forms = [
        SECRET,
        SECRET.upper(),
        SECRET.lower(),
        quote(SECRET, safe=""),
        quote(SECRET, safe="").lower(),
        quote_plus(SECRET),
        json.dumps(SECRET)[1:-1],
        pair,
        pair.rstrip("="),
        base64.urlsafe_b64encode(f"user:{SECRET}".encode()).decode(),
    ]
    for form in forms:
        message = str(GreengateError(f"server said: {form}!", hint=f"not {form}"))
        assert form not in message and "[redacted]" in message, form


def test_short_values_are_not_redacted_from_ordinary_words() -> None:
    redaction.register("ab", "")
    assert redaction.redact("a cab and a tab") == "a cab and a tab"


def test_a_postgres_ledgers_password_is_known_before_it_connects() -> None:
    pytest.importorskip("psycopg")  # the postgres extra; the ledger tests need it anyway
    from greengate.ledger.postgres import PostgresLedger

    with socket.socket() as sock:  # a port nobody listens on: the connection is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(GreengateError):
        PostgresLedger(f"postgresql://gg:{quote(SECRET, safe='')}@127.0.0.1:{port}/gg")
    message = str(GreengateError(f"a driver echoed {SECRET.swapcase()}"))
    assert SECRET.swapcase() not in message and "[redacted]" in message


def test_a_basic_auth_user_name_alone_is_not_a_secret() -> None:
    redaction.register_basic("metrics", SECRET)
    assert redaction.redact("could not send metrics") == "could not send metrics"
