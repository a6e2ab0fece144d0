"""Writing a reporter's file: atomically, and with a warning instead of a crash on I/O trouble."""

from __future__ import annotations

import os

from greengate.files.atomic import write_text_atomic
from greengate.files.markup import valid_unicode
from greengate.reporters.interface import ReportTarget


def write_report_file(target: ReportTarget, path: str, text: str, what: str) -> bool:
    """Write ``text`` to ``path`` (creating its directory); warn on stderr and return False
    when that fails, because a report that cannot be written must not hide the verdict."""
    try:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        write_text_atomic(path, valid_unicode(text))  # UTF-8 formats: no undecodable byte
    except OSError as e:
        print(
            f"greengate: warning: could not write the {what} to {path}: {e.strerror or e}",
            file=target.stderr,
        )
        return False
    return True
