"""The CLI while ``rag serve`` owns the index: every command is handed to the service.

The embedded index takes one writer (its write-ahead log locks the folder), so a second process
never opens it; instead the CLI finds the service's announcement in the index folder. ``rag
ingest`` uploads the files to ``POST /api/articles`` and follows the job to its report; ``ask``,
``chat``, ``search``, ``cite`` and ``stats`` go to the service's API (:class:`ServiceEngine`).

Light on purpose: a call the service answers imports no model code (httpx and the result types only;
tests/test_cli_target.py checks that no torch or haystack comes with it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from rag.errors import RagError
from rag.models import (
    AnswerResult,
    Citation,
    CiteLookup,
    Claim,
    EvidenceSentence,
    Filters,
    IngestReport,
    SearchHit,
    SearchResult,
    Skipped,
)

#: Files per upload request.
BATCH = 50


def ingest_via_service(
    url: str,
    paths: Sequence[Path],
    *,
    token: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    timeout_s: float = 3600.0,
) -> IngestReport:
    """Upload the files to the service and wait for their jobs; returns one merged ingest report."""
    from rag.loaders import SUPPORTED_EXTENSIONS, list_files

    for p in paths:
        if not Path(p).exists():
            raise RagError(f"{p}: no such file or folder")
    files = list_files(paths)
    skipped = [
        Skipped(str(f), f"unsupported file type '{f.suffix}' (supported: {', '.join(SUPPORTED_EXTENSIONS)})")
        for f in files
        if f.suffix.lower() not in SUPPORTED_EXTENSIONS
    ]
    files = [f for f in files if f.suffix.lower() in SUPPORTED_EXTENSIONS]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    merged = IngestReport(skipped=skipped, skipped_total=len(skipped), via=url)
    if skipped:
        merged.skipped_by_kind["unsupported file type"] = len(skipped)
    started = time.monotonic()
    with httpx.Client(base_url=url, headers=headers, timeout=120.0) as client:
        for i in range(0, len(files), BATCH):
            batch = files[i : i + BATCH]
            names = {f.name: str(f) for f in batch}
            upload = [("files", (f.name, f.read_bytes())) for f in batch]
            job = _json(client.post("/api/articles", files=upload), url)
            while job["state"] in ("queued", "running"):
                if time.monotonic() - started > timeout_s:
                    raise RagError(f"the service at {url} did not finish job {job['job_id']} in time")
                time.sleep(0.5)
                job = _json(client.get(f"/api/jobs/{job['job_id']}"), url)
                if on_progress:
                    on_progress(i + int(job["done"]), len(files))
            if job["state"] == "failed":
                raise RagError(f"the service failed ingest job {job['job_id']}: {job['error']}")

            def local(origin: str, names: dict[str, str] = names) -> str:
                """ "upload <job>/name[:line]" -> the local path of that file [:line]."""
                base, _, line = origin.split("/", 1)[-1].partition(":")
                return names.get(base, base) + (f":{line}" if line else "")

            # a job's report lists its first skips and counts the rest (rag.jobs.summarize_report)
            merged.absorb(IngestReport.from_dict(job["report"] or {}), local)
    merged.seconds = round(time.monotonic() - started, 3)
    return merged


def _json(resp: httpx.Response, url: str) -> dict[str, Any]:
    if resp.status_code >= 400:
        try:
            err = resp.json()["error"]
            raise RagError(f"the service at {url} refused the upload: {err['message']}", hint=err.get("hint"))
        except (ValueError, KeyError, TypeError):
            raise RagError(f"the service at {url} answered {resp.status_code}") from None
    data: dict[str, Any] = resp.json()
    return data


def service_token() -> str | None:
    return os.environ.get("RAG_API_TOKEN") or None


class ServiceEngine:
    """The queries of :class:`rag.engine.Engine` (search, cite, ask, stats) answered by the running
    service over its REST API, with the same result types: the CLI keeps working while ``rag
    serve`` owns the index, and pays no model loading."""

    def __init__(self, url: str, token: str | None = None, timeout_s: float = 600.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url
        self._client = httpx.Client(base_url=url, headers=headers, timeout=timeout_s)
        self._conversations: dict[int, str] = {}

    def __enter__(self) -> ServiceEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            resp = self._client.request(method, path, json=body)
        except httpx.HTTPError as e:
            raise RagError(
                f"the service at {self.url} did not answer: {e}", hint="is `rag serve` still running? see its log"
            ) from e
        if resp.status_code >= 400:
            try:
                err = resp.json()["error"]
            except (ValueError, KeyError, TypeError):
                raise RagError(f"the service at {self.url} answered {resp.status_code}") from None
            raise RagError(str(err["message"]), hint=err.get("hint"))
        return resp.json()

    def search(self, query: str, *, top_k: int | None = None, filters: Filters | None = None, **_: Any) -> Any:
        body = {"query": query, "top_k": top_k or 5, "filters": _filters_json(filters)}
        data = self._call("POST", "/api/search", body)
        hits = [
            SearchHit(**{**h, "sentences": [EvidenceSentence(**x) for x in h.get("sentences", [])]})
            for h in data["hits"]
        ]
        evidence = [EvidenceSentence(**x) for x in data.get("evidence", [])]
        return SearchResult(
            data["query"], data["language"], hits, evidence, float(data["seconds"]), notice=data.get("notice")
        )

    def cite(self, claim: str, *, top_k: int = 5, filters: Filters | None = None) -> list[Any]:
        return self.lookup(claim, top_k=top_k, filters=filters).citations

    def lookup(self, claim: str, *, top_k: int = 5, filters: Filters | None = None) -> Any:
        data = self._call("POST", "/api/cite", {"claim": claim, "top_k": top_k, "filters": _filters_json(filters)})
        return CiteLookup.from_dict(data)

    def ask(
        self,
        question: str,
        *,
        answerer: str | None = None,
        filters: Filters | None = None,
        conversation: Any = None,
        on_token: Any = None,  # the service's answer comes whole
    ) -> AnswerResult:
        body: dict[str, Any] = {"question": question, "answerer": answerer, "filters": _filters_json(filters)}
        if conversation is None:
            return answer_from_dict(self._call("POST", "/api/ask", body))
        known = self._conversations.get(id(conversation))
        data = self._call("POST", "/api/chat", body | ({"conversation_id": known} if known else {}))
        self._conversations[id(conversation)] = data["conversation_id"]
        return answer_from_dict(data["answer"])

    @property
    def llm_notice(self) -> str | None:
        """Why the service's local LLM is not answering, with its fix (its /healthz ``llm_error``)."""
        try:
            return self._call("GET", "/healthz").get("llm_error")
        except RagError:
            return None

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", "/api/stats")
        return data

    def articles(self) -> int | None:
        """The service's article count from ``/healthz`` (None while it starts, or if it does not say)."""
        try:
            n = self._client.get("/healthz", timeout=5.0).json().get("articles")
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return n if isinstance(n, int) else None


def answer_from_dict(data: dict[str, Any]) -> AnswerResult:
    """An :class:`AnswerResult` from its JSON (``AnswerResult.to_dict``)."""
    fields = {k: v for k, v in data.items() if k in AnswerResult.__dataclass_fields__}
    fields["citations"] = [Citation(**c) for c in data.get("citations", [])]
    fields["claims"] = [Claim(**c) for c in data.get("claims", [])]
    return AnswerResult(**fields)


def _filters_json(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None:
        return None
    return {"sources": filters.sources, "languages": filters.languages, "date_from": filters.date_from,
            "date_to": filters.date_to}  # fmt: skip
