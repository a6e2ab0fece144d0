"""A ledger location: an SQLite path, or a PostgreSQL connection string, shown without secrets.

PostgreSQL is named either as a URL (``postgresql://u@h/d?password=...``) or as libpq's
``key=value`` string (``host=h dbname=d password=...``); both are parsed by psycopg's own
parser (``psycopg.conninfo.conninfo_to_dict``), never by hand, and shown as
``postgresql://USER@HOST:PORT/DBNAME``: the password, wherever the string held it (user
info, query string, keyword), is never printed, recorded or reported (issue 10). Before,
a query-string password reached stderr and the verdict, and a ``key=value`` string was
opened as an SQLite file named after it, password included.
"""

from __future__ import annotations

import re

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# libpq's connection keywords (libpq "Parameter Key Words"): a location that starts with
# one of them and "=" is a key=value connection string, not a file name.
LIBPQ_KEYWORDS = frozenset(
    {
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding",
        "connect_timeout", "client_encoding", "options", "application_name",
        "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
        "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode",
        "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
        "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service",
        "target_session_attrs", "load_balance_hosts", "require_auth",
    }
)  # fmt: skip
SECRET_KEYS = frozenset({"password", "sslpassword"})
_KEYWORD = re.compile(r"\s*([A-Za-z_]+)\s*=", re.ASCII)
# Used only when psycopg is not installed (and no connection can be made anyway).
_URL_PASSWORD = re.compile(r"(://[^/?#@:]*):[^/?#@]*@")
_QUERY_SECRET = re.compile(r"([?&](?:ssl)?password=)[^&#]*", re.IGNORECASE)
_KEYWORD_SECRET = re.compile(r"((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def is_postgres(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL database (a URL or a key=value string)."""
    text = location.strip()
    if text.lower().startswith(POSTGRES_SCHEMES):
        return True
    keyword = _KEYWORD.match(text)
    return keyword is not None and keyword.group(1).lower() in LIBPQ_KEYWORDS


def parameters(location: str) -> dict[str, str] | None:
    """psycopg's parse of a PostgreSQL location; None if psycopg is absent or it is invalid."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return None
    try:
        parsed = conninfo_to_dict(location)
    except Exception:  # psycopg.ProgrammingError: an invalid string, shown redacted anyway
        return None
    return {key: str(value) for key, value in parsed.items() if value is not None}


def shown(location: str) -> str:
    """``location`` as a person may see it: a PostgreSQL one without any password."""
    if not is_postgres(location):
        return location
    found = parameters(location)
    if found is None:
        return _masked(location)
    user = found.get("user")
    host = found.get("host") or found.get("hostaddr") or "localhost"
    port = found.get("port")
    text = "postgresql://" + (f"{user}@" if user else "") + host + (f":{port}" if port else "")
    return text + f"/{found.get('dbname', '')}"


def scrub(text: str, location: str) -> str:
    """``text`` (e.g. a driver's message) with every secret of ``location`` masked."""
    found = parameters(location) if is_postgres(location) else None
    for key in SECRET_KEYS:
        secret = (found or {}).get(key)
        if secret:
            text = text.replace(secret, "***")
    return text.replace(location, shown(location)) if location else text


def _masked(location: str) -> str:
    text = _URL_PASSWORD.sub(r"\1@", location)
    text = _QUERY_SECRET.sub(r"\1***", text)
    return (
        text if text.lower().startswith(POSTGRES_SCHEMES) else _KEYWORD_SECRET.sub(r"\1***", text)
    )
