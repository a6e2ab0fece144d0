"""Text for the markup greengate writes (the HTML report, SVG charts and badge, JUnit XML).

Escaping ``<``, ``&`` and quotes is not enough: XML 1.0 cannot carry C0 control characters
(other than tab, LF, CR), lone surrogates or U+FFFE/U+FFFF at all, not even as character
references (https://www.w3.org/TR/xml/#charsets), so a badge label with a control character
was not well-formed (issue 20). HTML calls those, the C1 controls and the noncharacters parse
errors (https://html.spec.whatwg.org/#preprocessing-the-input-stream). Each is shown as
U+FFFD, the replacement character: the reader sees that something was there.
"""

from __future__ import annotations

import re
from html import escape

_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with each lone surrogate (an undecodable byte of a name, PEP 383) as U+FFFD.

    Every text file greengate writes for a CI system (JSON, Markdown, JUnit, OpenMetrics,
    dotenv) is UTF-8, which cannot encode a lone surrogate at all: the write failed, and the
    report with it (issue 20). The verdict keeps the exact bytes (verdict_file/undecodable.py).
    """
    return _LONE_SURROGATE.sub("\ufffd", text)


def markup_safe(text: str) -> str:
    """``text`` with every character XML 1.0 or HTML forbids replaced by U+FFFD."""
    return _FORBIDDEN.sub("\ufffd", text)


def markup_text(text: str) -> str:
    """``text`` as safe content or attribute value (quotes too) of HTML, SVG or XML."""
    return escape(markup_safe(text), quote=True)
