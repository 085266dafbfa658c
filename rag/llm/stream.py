"""The answer text out of a JSON reply that is still being streamed, piece by piece."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

_START = re.compile(r'"answer"\s*:\s*"')


class AnswerStream:
    """Feed raw chunks of ``{"answer": "...", ...}``; ``on_text`` receives the decoded answer text."""

    def __init__(self, on_text: Callable[[str], None]) -> None:
        self.on_text = on_text
        self.raw = ""
        self._pos: int | None = None  # where the answer string's content starts
        self._sent = 0  # characters of decoded content already sent
        self._done = False

    def feed(self, chunk: str) -> None:
        self.raw += chunk
        if self._done:
            return
        if self._pos is None:
            m = _START.search(self.raw)
            if not m:
                return
            self._pos = m.end()
        body, closed = _string_prefix(self.raw, self._pos)
        text = _decode(body)
        if len(text) > self._sent:
            self.on_text(text[self._sent :])
            self._sent = len(text)
        self._done = closed


def _string_prefix(raw: str, start: int) -> tuple[str, bool]:
    """The JSON string body from ``start`` up to its closing quote (or what has arrived of it)."""
    i = start
    while i < len(raw):
        if raw[i] == "\\":
            if i + 1 >= len(raw):
                return raw[start:i], False  # an escape cut in two: wait for the rest
            i += 2
            continue
        if raw[i] == '"':
            return raw[start:i], True
        i += 1
    return raw[start:], False


def _decode(body: str) -> str:
    for cut in range(len(body), max(len(body) - 6, -1), -1):  # a \\uXXXX may be incomplete
        try:
            return str(json.loads(f'"{body[:cut]}"'))
        except ValueError:
            continue
    return ""
