"""A readers-writer lock: many searches at once, or one article replacement, never both.

Replacing an article is a delete followed by upserts (Qdrant has no multi-operation transaction);
searches hold :meth:`RWLock.reading` and a replacement holds :meth:`RWLock.writing`, so no search
sees both versions of an article or neither. Writers are preferred (a waiting writer stops new
readers) so a stream of searches cannot starve an ingest; both sides are re-entrant per thread, so
a search inside a search (``ask`` runs ``search``) cannot deadlock behind a waiting writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RWLock:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer: int | None = None  # thread id of the writer
        self._writer_depth = 0
        self._waiting_writers = 0
        self._local = threading.local()

    def _read_depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    @contextmanager
    def reading(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._read_depth() or self._writer == me:  # already inside: no new wait
            self._local.depth = self._read_depth() + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._cond:
            while self._writer is not None or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._read_depth() and self._writer != me:
            raise RuntimeError("cannot take the write lock while holding the read lock")
        with self._cond:
            if self._writer != me:
                self._waiting_writers += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting_writers -= 1
                self._writer = me
            self._writer_depth += 1
        try:
            yield
        finally:
            with self._cond:
                self._writer_depth -= 1
                if not self._writer_depth:
                    self._writer = None
                    self._cond.notify_all()
