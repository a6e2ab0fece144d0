"""Files ``greengate init`` writes into a project: whole or not at all, never over a file.

The starter policy comes from ``greengate/templates/``. Each file is written to a temporary
name and then hard-linked to its target: ``link(2)`` fails when the target exists, so a
file created meanwhile by someone else is never overwritten, and no reader ever sees half
a file. Where the filesystem has no hard links, ``O_CREAT | O_EXCL`` keeps the first promise.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from greengate import __version__
from greengate.errors import UsageError
from greengate.files.atomic import MODE, create_temp

_SCHEMA_PLACEHOLDER = "__SCHEMA__"
_DOCS_PLACEHOLDER = "__POLICY_DOCS__"
# The project page (pyproject's Homepage): pip users have no docs/ folder to be pointed at.
PROJECT = "https://github.com/greengate/greengate"
RAW = "https://raw.githubusercontent.com/greengate/greengate"


@dataclass(frozen=True)
class NewFile:
    """A file to create: where, what, and what it is (for messages)."""

    path: str
    text: str
    what: str


def template(name: str) -> str:
    """The text of a template shipped in ``greengate/templates``."""
    return resources.files("greengate").joinpath("templates").joinpath(name).read_text("utf-8")


def schema_path() -> str:
    """Where the policy JSON Schema of the installed greengate is on disk."""
    return str(resources.files("greengate").joinpath("schemas").joinpath("policy.schema.json"))


def published(path: str) -> str:
    """``path`` of the repository at this version's release tag, on the project's page."""
    return f"{PROJECT}/blob/v{__version__}/{path}"


def schema_url() -> str:
    """The policy schema this version ships, at its published address (raw, for editors)."""
    return f"{RAW}/v{__version__}/greengate/schemas/policy.schema.json"


def starter_policy(policy_path: str) -> str:
    """The commented starter policy, its schema comment pointing at this version's schema.

    Relative to the installed file when greengate is installed inside the project (a local
    .venv); else the published URL: an absolute site-packages path works on the machine that
    ran init only, and is wrong for everyone the file is committed for (issue 19).
    """
    schema = schema_url()
    with contextlib.suppress(ValueError):  # another drive on Windows: no relative path
        relative = os.path.relpath(schema_path(), os.path.dirname(os.path.abspath(policy_path)))
        schema = schema if relative.startswith("..") else relative.replace(os.sep, "/")
    text = template("greengate.yml").replace(_SCHEMA_PLACEHOLDER, schema)
    return text.replace(_DOCS_PLACEHOLDER, published("docs/policy.md"))


def write_new_files(files: Sequence[NewFile]) -> None:
    """Create every file, refusing up front when any of them already exists."""
    for new in files:
        if os.path.lexists(new.path):
            raise _exists(new)
    for new in files:
        write_new_file(new)


def _exists(new: NewFile) -> UsageError:
    return UsageError(
        f"{new.path} already exists; not overwriting it",
        hint=f"remove it, or give another path for the {new.what}",
    )


def write_new_file(new: NewFile) -> None:
    """Create ``new.path`` with ``new.text``; UsageError if it exists or cannot be written."""
    directory = os.path.dirname(os.path.abspath(new.path))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create the directory for {new.path}: {e.strerror or e}") from None
    try:
        fd, temp = create_temp(directory, os.path.basename(new.path))
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(new.text.encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            _link(temp, new)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    except FileExistsError:
        raise _exists(new) from None
    except OSError as e:
        raise UsageError(f"cannot write {new.path}: {e.strerror or e}") from None


def _link(temp: str, new: NewFile) -> None:
    try:
        os.link(temp, new.path)
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # No hard links here: exclusive create still never overwrites.
        fd = os.open(new.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, MODE)
        with os.fdopen(fd, "wb") as stream:
            stream.write(new.text.encode("utf-8"))
