"""Background index maintenance for a serving process: optimize after writes, never in the way.

The service ingests and deletes without optimizing inline (``EdgeShard.optimize`` holds the GIL: a
serving process would stop answering). Instead every write calls :meth:`IndexMaintenance.request`;
a thread waits until writes have paused for ``settle_s``, then runs ``store.optimize_offline``
(a copy optimized in a child process, swapped in). A writer that needs the index (an ingest job)
enters :meth:`IndexMaintenance.paused`, which cancels a running optimization and holds off the next
until it is done; deletes need no pause (they are re-applied to the optimized copy).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rag.store.base import VectorStore

log = logging.getLogger(__name__)


class IndexMaintenance:
    def __init__(self, store: VectorStore, *, settle_s: float = 1.0) -> None:
        self.store = store
        self.settle_s = settle_s
        self.state = "idle"  # idle | waiting | optimizing
        self.last: str | None = None  # what the last run did ("swapped", "cancelled", ...)
        self.runs = 0
        self._wanted = threading.Event()
        self._cancel = threading.Event()
        self._hold = threading.Lock()  # held by the optimizer while it runs, and by paused() writers
        self._writers = 0
        self._count_lock = threading.Lock()
        self._last_request = 0.0
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="rag-index-maintenance", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """The index changed: optimize it once writes have settled."""
        self._last_request = time.monotonic()
        if self.state == "idle":
            self.state = "waiting"
        self._wanted.set()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """For a writer: no optimization runs meanwhile (a running one is cancelled); one is requested after."""
        with self._count_lock:
            self._writers += 1
            self._cancel.set()
        try:
            with self._hold:
                yield
        finally:
            with self._count_lock:
                self._writers -= 1
                if not self._writers:
                    self._cancel.clear()
            self.request()

    def wait_idle(self, timeout: float = 300) -> bool:
        """Until no optimization is wanted or running (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.state != "idle" or self._wanted.is_set():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        self._stopped = True
        self._cancel.set()
        self._wanted.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopped:
                return
            while time.monotonic() - self._last_request < self.settle_s and not self._stopped:
                time.sleep(0.05)  # writes still coming: wait for them to settle
            if self._stopped:
                return
            with self._hold:
                if self._writers:
                    continue  # a writer got in first; it requests again when done
                self._wanted.clear()
                self.state = "optimizing"
                started = time.monotonic()
                try:
                    self.last = self.store.optimize_offline(self._cancel)
                except Exception as err:  # the index stays as it was, only less optimized
                    self.last = f"failed: {type(err).__name__}: {err}"
                    log.exception("index maintenance failed")
                self.runs += 1
                log.info("index maintenance: %s in %.1f s", self.last, time.monotonic() - started)
                self.state = "waiting" if self._wanted.is_set() else "idle"
