"""The readers-writer lock that makes an article's replacement one step for searches."""

from __future__ import annotations

import threading
import time

import pytest

from rag.store.rwlock import RWLock


def _started(target: object) -> threading.Thread:
    t = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    t.start()
    return t


def test_readers_share_and_a_writer_waits_for_them() -> None:
    lock = RWLock()
    inside = threading.Barrier(2, timeout=5)
    log: list[str] = []

    def reader() -> None:
        with lock.reading():
            inside.wait()  # both readers are inside at the same time
            time.sleep(0.2)
            log.append("read")

    readers = [_started(reader), _started(reader)]
    time.sleep(0.05)
    with lock.writing():
        log.append("write")
    for r in readers:
        r.join(5)
    assert log == ["read", "read", "write"]


def test_a_waiting_writer_stops_new_readers_but_not_a_reader_reentering() -> None:
    lock = RWLock()
    log: list[str] = []
    first_in = threading.Event()
    release = threading.Event()

    def long_reader() -> None:
        with lock.reading():
            first_in.set()
            release.wait(5)
            with lock.reading():  # re-entry while a writer waits: must not deadlock
                log.append("re-entered")

    def writer() -> None:
        with lock.writing():
            log.append("write")

    def late_reader() -> None:
        with lock.reading():
            log.append("late read")

    t1 = _started(long_reader)
    first_in.wait(5)
    t2 = _started(writer)
    time.sleep(0.1)
    t3 = _started(late_reader)
    time.sleep(0.1)
    assert log == []  # the writer waits for the reader; the late reader waits behind the writer
    release.set()
    for t in (t1, t2, t3):
        t.join(5)
        assert not t.is_alive()
    assert log == ["re-entered", "write", "late read"]


def test_the_writer_may_read_and_write_again_but_a_reader_may_not_upgrade() -> None:
    lock = RWLock()
    with lock.writing(), lock.reading(), lock.writing():
        pass
    with lock.reading(), pytest.raises(RuntimeError, match="read lock"), lock.writing():
        pass
    with lock.writing():  # nothing left held
        pass
