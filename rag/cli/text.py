"""Text as the CLI prints it (standard library only: imported before the CLI knows what it needs)."""

from __future__ import annotations

import re

_UNSEEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """``text`` as one line of output: a newline or other control or bidi character in a file name is
    shown as its escape (``\\n``, ``\\u202e``), so it cannot forge lines or reorder what is shown."""
    return _UNSEEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
