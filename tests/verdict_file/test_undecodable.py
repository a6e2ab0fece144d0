"""Text with bytes that are not UTF-8 through the verdict JSON: shown, recorded, restored."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

from factories import assert_valid_verdict, passing_verdict

from greengate.verdict_file.undecodable import restore_undecodable, split_undecodable
from greengate.verdict_file.verdict_json import verdict_from_dict, verdict_to_dict, verdict_to_json

BAD = b"exit 4 #\xff".decode("utf-8", "surrogateescape")  # as Python hands over argv


def test_a_string_that_is_not_utf8_is_shown_with_fffd_and_its_bytes_recorded() -> None:
    shown, record = split_undecodable({"a": ["ok", BAD], "b": {"c/d~e": BAD}, "n": 1})
    assert shown == {"a": ["ok", "exit 4 #\ufffd"], "b": {"c/d~e": "exit 4 #\ufffd"}, "n": 1}
    assert record == {  # RFC 6901 pointers: "/" is ~1 and "~" is ~0
        "/a/1": base64.b64encode(b"exit 4 #\xff").decode(),
        "/b/c~1d~0e": base64.b64encode(b"exit 4 #\xff").decode(),
    }
    assert restore_undecodable({**shown, "undecodable": record})["b"]["c/d~e"] == BAD


def test_plain_unicode_is_left_alone() -> None:
    data = {"branch": "feat/ünïcode ✓", "argv": ["x"]}
    assert split_undecodable(data) == (data, {})


def test_a_verdict_with_undecodable_text_is_valid_and_reads_back_exactly() -> None:
    verdict = passing_verdict()
    command = verdict.command
    assert command is not None
    verdict = replace(
        verdict,
        command=replace(command, argv=("sh", "-c", BAD)),
        context=replace(verdict.context, branch=b"feat/\xfe".decode("utf-8", "surrogateescape")),
    )
    text = verdict_to_json(verdict)
    text.encode("utf-8")  # valid UTF-8: the bytes are not in the text itself
    data = json.loads(text)
    assert_valid_verdict(data)
    assert data["command"]["argv"][2] == "exit 4 #\ufffd"
    assert set(data["undecodable"]) == {"/command/argv/2", "/context/branch"}
    back = verdict_from_dict(data)
    assert back.command is not None and back.command.argv[2] == BAD
    assert back.context.branch == verdict.context.branch
    assert "undecodable" not in verdict_to_dict(passing_verdict())
