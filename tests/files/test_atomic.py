"""Atomic writes onto what is not a regular file: written to, never replaced by a file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from greengate.files.atomic import write_text_atomic


def test_a_fifo_is_written_to_and_stays_a_fifo(tmp_path: Path) -> None:
    # As --verdict /dev/null or -o /dev/stdout: os.replace would swap the device for a file
    # (as root, /dev/null itself for everything else on the machine).
    fifo = tmp_path / "verdict.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_text_atomic(fifo, "{}\n")
    reader.join(timeout=10)
    assert received == [b"{}\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["verdict.pipe"]  # no temp file left


def test_a_link_to_a_regular_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.read_text(encoding="utf-8") == "new"
    assert not link.is_symlink()  # replaced, as before: the old file is untouched
    assert real.read_text(encoding="utf-8") == "old"
