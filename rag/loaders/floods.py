"""Near-duplicate floods in an ingest: many articles that differ only in their numbers.

100k tiny articles such as "Breve N: nevica a Belluno." crowd the real articles out of the results
(the seed question then abstained). They are still ingested, since a wire feed may be like that, but
the ingest report names each such group, with its size and an example, so the flood is seen.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from rag.models import Article

_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def shape(text: str, chars: int = 160) -> str:
    """The text with its numbers as ``#``, case and spacing folded: articles of one template share it."""
    return _SPACE.sub(" ", _DIGITS.sub("#", text.casefold())).strip()[:chars]


class FloodCounter:
    def __init__(self, min_count: int = 20) -> None:
        self.min_count = min_count
        self._counts: Counter[str] = Counter()
        self._example: dict[str, str] = {}

    def observe(self, article: Article) -> None:
        key = shape(article.text)
        self._counts[key] += 1
        self._example.setdefault(key, article.text[:80])

    def groups(self, limit: int = 10) -> list[dict[str, Any]]:
        """The largest groups of at least ``min_count`` look-alike articles: ``{"count", "example"}``."""
        return [
            {"count": n, "example": self._example[key]}
            for key, n in self._counts.most_common(limit)
            if n >= self.min_count
        ]
