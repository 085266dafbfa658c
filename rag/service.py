"""The service: one process owning the index, shared by the REST API and the UI.

It opens the engine once, warms the models, runs ingest jobs on one worker thread while queries
keep being answered (Qdrant Edge takes reads and writes concurrently), keeps chat sessions, and
announces itself in ``<index>/rag_service.json`` so that ``rag ingest`` can hand its work over
instead of failing on the index lock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rag.announcement import SERVICE_FILE, running_service, service_file  # noqa: F401  (their old home)
from rag.answer.followup import Conversation
from rag.engine import Engine
from rag.errors import BusyError, Cancelled, IndexStoreError, RagError
from rag.files import write_text_atomic
from rag.jobs import JobQueue
from rag.loaders import count_inputs
from rag.models import AnswerResult, Filters
from rag.settings import Settings
from rag.store.maintenance import IndexMaintenance

log = logging.getLogger(__name__)


#: Index bytes one byte of uploaded text may become: an estimate, not a measurement (a sentence of ~150
#: characters brings a 1.5 KB float32 vector, its int8 copy and its payload, ≈ 2.5 KB; chunks about as
#: much again: ≈ 25×), with room to spare; and what must stay free whatever the upload.
DISK_PER_BYTE = 40
DISK_RESERVE = 256 << 20


def check_disk(folder: Path, need: int) -> None:
    """Refuses (a failed job, the service going on) to write when the index's disk is (nearly) full: Qdrant
    Edge writes through memory-mapped files, and a write to one on a full disk kills the process (SIGBUS)."""
    free = shutil.disk_usage(folder).free
    if free < need + DISK_RESERVE:
        raise IndexStoreError(
            f"not enough free disk space for the index at {folder}: {free >> 20} MB free, "
            f"{(need + DISK_RESERVE) >> 20} MB needed (writing on a full disk would crash the service)",
            hint="free some space on that disk, then upload again (what was ingested before stays)",
        )


def _stopping(on_token: Callable[[str], None], cancelled: threading.Event) -> Callable[[str], None]:
    """``on_token`` that ends the generation (raises :class:`Cancelled`) once ``cancelled`` is set."""

    def feed(text: str) -> None:
        if cancelled.is_set():
            raise Cancelled("the stream was closed: generation stopped")
        on_token(text)

    return feed


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = Engine(settings)
        self.ready = False
        self.error: str | None = None
        self.started = time.time()
        self._llm_lock = threading.Lock()  # llama.cpp runs one generation at a time
        self.llm_waiting = 0  # answers holding or waiting for that lock (bounded: api.max_llm_waiting)
        self._conv_lock = threading.Lock()
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self.jobs = JobQueue(
            self.engine.settings.index_dir() / "uploads", self._ingest_folder, keep=settings.api.jobs_kept
        )
        #: optimizes the index after writes in the background (never in this process: it would freeze it)
        self.maintenance = IndexMaintenance(self.engine.store)
        self._examples = threading.Lock()  # one writer of example questions at a time
        self.url: str | None = None
        #: which LLM the default answerer uses: "local" (its state is the supervisor's), "not used", "remote"
        self._llm_mode = "local"
        self._warm_thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def warm_in_background(self) -> None:
        """Load the models on a background thread (call early: it overlaps building the app)."""
        if self._warm_thread is None:
            self._warm_thread = threading.Thread(target=self._warm, name="rag-warm-up", daemon=True)
            self._warm_thread.start()

    def start(self, url: str) -> None:
        """Announce the service, resume unfinished jobs, and warm the models in the background."""
        self.url = url
        path = service_file(self.engine.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        announcement = json.dumps({"url": url, "pid": os.getpid(), "started": self.started})
        write_text_atomic(path, announcement, durable=False)  # readers see the whole announcement or none
        self.warm_in_background()

    def _warm(self) -> None:
        """Ready once search, citation lookup and the extractive answerer are warm; the local LLM (when it is
        the default) loads after that, holding the LLM lock, so a question for it waits instead of failing."""
        try:
            from rag.answer.generators import choose_answerer

            self.engine.ensure_collection()
            self.engine.warm_up()
            self.engine.answer_pipeline("extractive")
            default = choose_answerer(self.engine.settings)
            if default != "local":
                self._llm_mode = "not used" if default == "extractive" else "remote"
                self._go()
            else:
                with self._llm_lock:
                    self._go()
                    self.engine.answer_pipeline(default)
                    try:
                        self.engine.local_llm.start()  # its own process; questions answer extractively if it fails
                    except RagError as err:
                        log.warning("the local LLM did not start: %s", err)
            self.engine.store.prefetch()  # after ready: searches work meanwhile, only slower
        except Exception as err:  # reported by /healthz
            self.error = f"{type(err).__name__}: {err}"

    @property
    def llm(self) -> str:
        """The default answerer's LLM: loading, ready, restarting, failed (local), remote or not used."""
        if self._llm_mode != "local":
            return self._llm_mode
        state = self.engine.local_llm.state
        return "loading" if state in ("stopped", "loading") else state

    @property
    def llm_error(self) -> str | None:
        return self.engine.local_llm.error if self._llm_mode == "local" and self.engine._local else None

    @property
    def llm_notice(self) -> str | None:
        """Why the default answerer's local LLM is not answering, with the fix; None when it is (or none is used)."""
        if self._llm_mode != "local" or not self.engine._local:
            return None
        return self.engine.llm_notice or self.engine.local_llm.notice()

    def write_examples(self, rows: list[dict[str, Any]]) -> None:
        """The chat's example questions for these articles, written by the local LLM in the background
        (each article once: rag/examples.py); nothing unless the default answerer's LLM is ready."""
        if self._llm_mode != "local" or self.llm != "ready" or not self._examples.acquire(blocking=False):
            return
        from rag import examples

        llm = self.engine.local_llm
        ask_llm = examples.llm_writer(llm.base_url, llm.api_key)

        def write(sentence: str, language: str) -> str | None:
            """Only while no answer holds or waits for the LLM (one generation at a time: two at once
            gave a user's question an unsupported reply); otherwise the article is left for later."""
            if self.llm_waiting or not self._llm_lock.acquire(blocking=False):
                raise BusyError("the local LLM is answering a question")
            try:
                return ask_llm(sentence, language)
            finally:
                self._llm_lock.release()

        def run() -> None:
            try:
                examples.fill(self.engine, rows, write)
            except Exception:  # an example is a nicety: never the service's failure
                log.exception("writing example questions failed")
            finally:
                self._examples.release()

        threading.Thread(target=run, name="examples", daemon=True).start()

    def _go(self) -> None:
        self.jobs.start()
        self.ready = True

    def close(self) -> None:
        self.jobs.stop(wait_s=60)  # the batch being written ends first (never the process in native code)
        self.maintenance.stop()
        path = service_file(self.engine.settings)
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass
        self.engine.close()

    # -- work ---------------------------------------------------------------------------------------
    def _ingest_folder(self, folder: Path, progress: Callable[[int, int], None]) -> dict[str, Any]:
        total = count_inputs([folder])
        done = 0
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        check_disk(self.engine.settings.index_dir(), DISK_PER_BYTE * size)

        def step(n: int, _report: Any) -> None:
            nonlocal done
            done += n
            progress(done, total)
            check_disk(self.engine.settings.index_dir(), 0)  # before the next batch

        label = f"upload {folder.name}/"
        with self.maintenance.paused():
            report = self.engine.ingest(
                [folder], on_progress=step, origin_base=folder, origin_label=label, optimize=False
            )
        return report.to_dict()

    def delete_article(self, article_id: str) -> int:
        """Removes the article now; the index is vacuumed in the background (searches go on)."""
        removed = self.engine.delete_article(article_id, optimize=False)
        if removed:
            self.maintenance.request()
        return removed

    def ask(
        self,
        question: str,
        *,
        answerer: str | None = None,
        filters: Filters | None = None,
        conversation_id: str | None = None,
        on_token: Callable[[str], None] | None = None,
        cancelled: threading.Event | None = None,
    ) -> tuple[AnswerResult, str | None]:
        """``cancelled``: set when the caller went away (a closed stream); the answer then stops at its next
        token, or before it starts if it is still waiting for the local LLM (:class:`Cancelled`)."""
        from rag.answer.generators import choose_answerer

        kind = choose_answerer(self.engine.settings, answerer)
        conversation = self._conversation(conversation_id) if conversation_id is not None else None
        if cancelled is not None and on_token is not None:
            on_token = _stopping(on_token, cancelled)
        if kind != "local":
            result = self.engine.ask(
                question, answerer=kind, filters=filters, conversation=conversation, on_token=on_token
            )
            return result, conversation_id
        with self._llm_turn(cancelled):
            result = self.engine.ask(
                question, answerer=kind, filters=filters, conversation=conversation, on_token=on_token
            )
        return result, conversation_id

    @contextlib.contextmanager
    def _llm_turn(self, cancelled: threading.Event | None) -> Iterator[None]:
        """This answer's turn at the local LLM: waits, unless too many already wait or the caller left."""
        limit = self.settings.api.max_llm_waiting
        with self._conv_lock:
            if self.llm_waiting >= limit:
                raise BusyError(
                    f"{self.llm_waiting} answers are waiting for the local LLM (RAG_API__MAX_LLM_WAITING={limit})",
                    hint="retry in a few seconds, or ask with answerer=extractive",
                )
            self.llm_waiting += 1
        try:
            while not self._llm_lock.acquire(timeout=0.2):
                if cancelled is not None and cancelled.is_set():
                    raise Cancelled("the question was withdrawn before the local LLM took it")
            try:
                if cancelled is not None and cancelled.is_set():
                    raise Cancelled("the question was withdrawn before the local LLM took it")
                yield
            finally:
                self._llm_lock.release()
        finally:
            with self._conv_lock:
                self.llm_waiting -= 1

    def new_conversation(self) -> str:
        return uuid.uuid4().hex

    def _conversation(self, conversation_id: str) -> Conversation:
        with self._conv_lock:
            conv = self._conversations.pop(conversation_id, None) or Conversation()
            self._conversations[conversation_id] = conv
            while len(self._conversations) > self.settings.api.conversations:
                self._conversations.popitem(last=False)
            return conv
