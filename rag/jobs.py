"""Ingest jobs of the service: uploaded files saved under the index, ingested one job at a time.

A job is a folder ``<index>/uploads/<job id>/`` holding the uploaded files and ``job.json`` (its
state, progress and report). Nothing is lost when the process dies: at the next start every job
that had not finished is ingested again (ingest is idempotent, and the index's journal has already
removed any half-written article), unless it was running when the process died twice already: a
file that takes the process down (a PDF bomb, say) must not do so at every start, so that job is
given up, saying why. A job can be cancelled (:meth:`JobQueue.cancel`): a queued one never runs, a
running one stops after the batch it is writing (the articles written so far stay). Uploaded file
names are reduced to a safe base name, so no name can escape the job's folder.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from rag.errors import InputFileError
from rag.files import write_text_atomic

JOB_FILE = ".job.json"  # hidden: the loaders skip it when the folder is ingested
#: Longest stored name in UTF-8 bytes (with its "-N" and extension): well below NAME_MAX (255 bytes).
MAX_NAME_BYTES = 150
_SAFE = re.compile(r"[^\w.\- ]+")
_EXT = re.compile(r"[A-Za-z0-9]{1,16}")
#: Names Windows reserves for devices (with any extension): an index folder may be copied there.
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10))})


def safe_name(name: str, taken: set[str]) -> str:
    """A base name that stays inside its folder, unique (case-insensitively) within ``taken``.

    Only the last path component is kept (``/`` and ``\\`` both separate, after NFKC folding, so
    full-width look-alikes separate too); characters other than letters, digits, ``_ - .`` and space
    become ``_``; leading/trailing dots and spaces go (no ``.``, ``..`` or hidden names); Windows
    device names get a ``_`` prefix; the stem is cut to :data:`MAX_NAME_BYTES`. A short alphanumeric
    extension is kept, so the file still reaches its loader. Empty results become ``upload``.
    """
    folded = unicodedata.normalize("NFKC", name).replace("\\", "/")
    base = _SAFE.sub("_", PurePosixPath(folded).name)
    stem, dot, ext = base.rpartition(".")
    if not dot or not _EXT.fullmatch(ext):
        stem, ext = base, ""
    stem = stem.strip(" .") or "upload"
    if stem.split(".", 1)[0].strip().upper() in _DEVICES:
        stem = "_" + stem
    n = 1
    while True:
        tail = (f"-{n}" if n > 1 else "") + (f".{ext}" if ext else "")
        room = MAX_NAME_BYTES - len(tail.encode())
        candidate = stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .") + tail
        if candidate.lower() not in taken and candidate != JOB_FILE:
            taken.add(candidate.lower())
            return candidate
        n += 1


def shown_name(name: str, limit: int = 80) -> str:
    """A client's file name as a message shows it: quoted, control characters escaped, shortened."""
    shown = repr(name)
    return shown if len(shown) <= limit else f"{shown[: limit // 2]}…{shown[-limit // 2 :]}"


#: Skip reasons a job report keeps in full; the rest are counted by kind.
REPORT_SKIPS = 100
_LINE = re.compile(r"^line \d+: ")


def skip_kind(reason: str) -> str:
    """A skip reason without its particulars: ``line 7: invalid JSON (Expecting ',' at col 3); …`` ->
    ``invalid JSON``."""
    text = _LINE.sub("", reason)
    return re.split(r"[(:;]| \d| '| \"", text, maxsplit=1)[0].strip() or text[:60]


def summarize_report(report: dict[str, Any], keep: int = REPORT_SKIPS) -> dict[str, Any]:
    """A report whose ``skipped`` list is cut to its first ``keep`` entries, with ``skipped_total`` and
    ``skipped_by_kind`` (counts) beside it: one 100k-line job's full report was 21.5 MB."""
    skipped = list(report.get("skipped") or [])
    kinds: dict[str, int] = {}
    for item in skipped:
        kind = skip_kind(str(item.get("reason", "")))
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        **report,
        "skipped": skipped[:keep],
        "skipped_total": len(skipped),
        "skipped_by_kind": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
    }


class JobCancelled(Exception):
    """Raised in the ingest's progress callback: the job was cancelled."""


#: A job found running at a start this many times (the process died under it) is given up.
MAX_RUNS = 2


@dataclass
class Job:
    job_id: str
    state: str = "queued"  # queued | running | done | failed | cancelled
    created: float = field(default_factory=time.time)
    files: list[str] = field(default_factory=list)
    total: int = 0
    done: int = 0
    report: dict[str, Any] | None = None
    error: str | None = None
    resumed: bool = False
    runs: int = 0  # times it was started (a process that died while it ran counts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class JobQueue:
    """One worker thread ingests jobs in order through ``ingest(folder, on_progress) -> report``."""

    def __init__(
        self,
        folder: Path,
        ingest: Callable[[Path, Callable[[int, int], None]], dict[str, Any]],
        keep: int = 200,
    ) -> None:
        self.keep = keep  # finished jobs remembered (their folders and reports); older ones are pruned
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._ingest = ingest
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._cancelled: set[str] = set()
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="rag-ingest", daemon=True)

    def start(self) -> list[str]:
        """Starts the worker; re-queues the jobs an earlier process did not finish. Returns their ids."""
        resumed = []
        for job_file in sorted(self.folder.glob(f"*/{JOB_FILE}")):
            try:
                job = Job(**json.loads(job_file.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            self._jobs[job.job_id] = job
            if job.state == "running" and job.runs >= MAX_RUNS:
                job.state = "failed"
                job.error = (
                    f"given up: the service stopped {job.runs} times while ingesting it (a file that crashes or "
                    f"exhausts it?); upload its files again one by one to find which ({', '.join(job.files)})"
                )
                self._save(job)
            elif job.state in ("queued", "running"):
                job.state, job.resumed, job.done = "queued", True, 0
                self._save(job)
                self._queue.put(job.job_id)
                resumed.append(job.job_id)
        self._prune()
        self._thread.start()
        return resumed

    def _prune(self) -> None:
        """Forgets the oldest finished jobs beyond :attr:`keep` (memory, report files and folders)."""
        with self._lock:
            finished = sorted(
                (j for j in self._jobs.values() if j.state in ("done", "failed", "cancelled")), key=lambda j: j.created
            )
            old = finished[: max(0, len(finished) - self.keep)]
            for job in old:
                del self._jobs[job.job_id]
        for job in old:
            shutil.rmtree(self.folder / job.job_id, ignore_errors=True)

    def stop(self, wait_s: float = 0.0) -> None:
        """Ends the worker. A running job stops after the batch it is writing and is queued again (it goes
        on at the next start; stopped on purpose, its run does not count towards giving it up). With
        ``wait_s`` the call waits for that, so the process does not exit with the worker inside native
        code (which aborted it: exit 134)."""
        self._stopping = True
        self._queue.put(None)
        with self._lock:
            running = [j for j in self._jobs.values() if j.state == "running"]
            for job in running:
                job.runs = max(0, job.runs - 1)
        for job in running:
            self._save(job)
        if wait_s and self._thread.is_alive():
            self._thread.join(wait_s)

    def submit(self, files: list[tuple[str, bytes]]) -> Job:
        job = Job(job_id=uuid.uuid4().hex[:16])
        folder = self.folder / job.job_id
        tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.folder))
        try:
            taken: set[str] = set()
            for name, data in files:
                target = tmp / safe_name(name, taken)
                if target.resolve().parent != tmp.resolve():
                    raise InputFileError(name, "the file name is not allowed")
                target.write_bytes(data)
                job.files.append(target.name)
            job.total = len(job.files)
            _write_json(tmp / JOB_FILE, job.to_dict())
            os.replace(tmp, folder)  # the job appears whole, or not at all
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        with self._lock:
            self._jobs[job.job_id] = job
        self._queue.put(job.job_id)
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Cancels a queued or running job (a finished one is left as it is); None if there is no such job."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state not in ("queued", "running"):
                return job
            self._cancelled.add(job_id)
            if job.state == "queued":
                job.state, job.error = "cancelled", "cancelled before it ran"
        self._save(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def pending(self) -> int:
        with self._lock:
            return sum(j.state in ("queued", "running") for j in self._jobs.values())

    def _save(self, job: Job) -> None:
        folder = self.folder / job.job_id
        if folder.exists():
            _write_json(folder / JOB_FILE, job.to_dict())

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            job = self._jobs[job_id]
            with self._lock:
                if job_id in self._cancelled or job.state == "cancelled":
                    continue
                job.state, job.runs = "running", job.runs + 1
            self._save(job)
            folder = self.folder / job_id

            def progress(done: int, total: int, job: Job = job) -> None:
                job.done, job.total = done, max(total, job.total)
                if job.job_id in self._cancelled or self._stopping:
                    raise JobCancelled

            try:
                job.report = summarize_report(self._ingest(folder, progress))
                job.state, job.done = "done", job.total
                for name in job.files:  # ingested: the index holds the text now
                    (folder / name).unlink(missing_ok=True)
            except JobCancelled:
                if self._stopping and job.job_id not in self._cancelled:  # the service stops: again next time
                    job.state = "queued"
                    self._save(job)
                    return
                job.state, job.error = "cancelled", f"cancelled while running, after {job.done} of {job.total} files"
            except Exception as err:  # reported through the job, the service goes on
                job.state, job.error = "failed", str(err)
            self._save(job)
            self._prune()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2))
