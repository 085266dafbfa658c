"""Upload jobs: cancelled before or while they run, and given up after the process died under one twice
(issue 25, item 12: a PDF bomb's job ran again after every restart, and no job could be cancelled)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.jobs import JOB_FILE, JobQueue


def _wait(cond: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_queued_job_cancelled_never_runs_and_a_running_one_stops(tmp_path: Path) -> None:
    ran: list[str] = []
    gate = threading.Event()

    def ingest(folder: Path, progress: Callable[[int, int], None]) -> dict[str, Any]:
        ran.append(folder.name)
        for i in range(1, 50):  # a batch at a time, telling its progress
            gate.wait(5)
            progress(i, 50)
            time.sleep(0.02)
        return {"articles": 50}

    jobs = JobQueue(tmp_path / "uploads", ingest)
    jobs.start()
    first = jobs.submit([("a.txt", b"Uno.")])
    second = jobs.submit([("b.txt", b"Due.")])
    _wait(lambda: jobs.get(first.job_id).state == "running")  # type: ignore[union-attr]
    assert jobs.cancel(second.job_id).state == "cancelled"  # type: ignore[union-attr]
    assert jobs.cancel(first.job_id) is not None
    gate.set()
    _wait(lambda: jobs.get(first.job_id).state == "cancelled")  # type: ignore[union-attr]
    job = jobs.get(first.job_id)
    assert job is not None and "cancelled while running, after" in str(job.error)
    time.sleep(0.2)
    assert ran == [first.job_id]  # the second never ran
    saved = json.loads((tmp_path / "uploads" / second.job_id / JOB_FILE).read_text())
    assert saved["state"] == "cancelled"  # and stays so after a restart
    assert jobs.cancel("nope") is None
    jobs.stop()


def test_a_job_the_process_died_under_twice_is_given_up(tmp_path: Path) -> None:
    def crash(folder: Path, progress: Callable[[int, int], None]) -> dict[str, Any]:
        raise AssertionError("not called: the process 'dies' before it returns")

    folder = tmp_path / "uploads"
    job = JobQueue(folder, crash).submit([("bomba.pdf", b"%PDF-1.4")])
    record = folder / job.job_id / JOB_FILE
    for runs, resumed in ((1, True), (2, False)):
        record.write_text(json.dumps({**json.loads(record.read_text()), "state": "running", "runs": runs}))
        queue = JobQueue(folder, lambda f, p: {"articles": 0})
        assert queue.start() == ([job.job_id] if resumed else [])
        queue.stop()
        time.sleep(0.1)
    gave_up = json.loads(record.read_text())
    assert gave_up["state"] == "failed" and "given up" in gave_up["error"] and "bomba.pdf" in gave_up["error"]


def test_a_job_stopped_on_purpose_does_not_count_as_a_crash(tmp_path: Path) -> None:
    gate = threading.Event()
    queue = JobQueue(tmp_path / "uploads", lambda f, p: gate.wait(5) and {})
    queue.start()
    job = queue.submit([("a.txt", b"Uno.")])
    _wait(lambda: queue.get(job.job_id).state == "running")  # type: ignore[union-attr]
    queue.stop()  # the service shuts down with the job running
    saved = json.loads((tmp_path / "uploads" / job.job_id / JOB_FILE).read_text())
    assert saved["state"] == "running" and saved["runs"] == 0
    gate.set()


def test_a_full_disk_fails_the_upload_with_a_message_and_the_service_goes_on(
    tmp_path: Path, seeded_index: Path, monkeypatch: Any
) -> None:
    """Issue 25, item 10: disk full during an upload killed `rag serve` with a Bus error (Qdrant Edge
    writes through memory-mapped files). Now the job fails first, saying why, and the service answers."""
    import shutil
    from collections import namedtuple

    from rag import service as service_module
    from tests.api.conftest import start_service

    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    svc = start_service(index)
    try:
        usage = namedtuple("usage", "total used free")
        monkeypatch.setattr(service_module.shutil, "disk_usage", lambda p: usage(10 << 30, 10 << 30, 100 << 20))
        job = svc.jobs.submit([("ponte.txt", "Il ponte di Verona è lungo 412 metri.".encode())])
        _wait(lambda: svc.jobs.get(job.job_id).state in ("done", "failed"), 60)  # type: ignore[union-attr]
        failed = svc.jobs.get(job.job_id)
        assert failed is not None and failed.state == "failed"
        assert "not enough free disk space" in str(failed.error) and "100 MB free" in str(failed.error)
        assert svc.engine.search("truppe in Siria").evidence  # still serving
    finally:
        svc.close()
