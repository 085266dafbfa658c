"""Writes and deletes of the same article, one at a time.

An upload job writes a batch of articles (its chunks, sentences and record, seconds apart) while a
``DELETE /api/articles/{id}`` may come in from another thread: had the delete run in the middle, the
article would be left half there (a record without its chunks). So each side holds the ids it works
on: a delete waits for the batch that writes its article, a batch for a delete of one of its own.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class ArticleLocks:
    def __init__(self) -> None:
        self._busy: Counter[str] = Counter()
        self._changed = threading.Condition()

    @contextmanager
    def holding(self, article_ids: Iterable[str]) -> Iterator[None]:
        ids = set(article_ids)
        with self._changed:
            self._changed.wait_for(lambda: not any(self._busy[i] for i in ids))
            self._busy.update(ids)
        try:
            yield
        finally:
            with self._changed:
                self._busy.subtract(ids)
                self._busy = +self._busy  # drop the zeros
                self._changed.notify_all()
