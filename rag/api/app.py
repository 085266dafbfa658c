"""The FastAPI application: routes under ``/api``, ``/healthz``, ``/openapi.json`` and ``/docs``.

Thin by design: every route calls :class:`rag.service.Service` / :class:`rag.engine.Engine` and
turns the result into the same JSON as the CLI's ``--json``; every error becomes
``{"error": {"type", "message", "hint"}}`` with a fitting status.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import __version__
from rag.api import schemas as s
from rag.api.guard import Guard
from rag.errors import (
    BusyError,
    Cancelled,
    ConfigError,
    IndexStoreError,
    InputFileError,
    LLMError,
    ModelError,
    RagError,
)
from rag.loaders import SUPPORTED_EXTENSIONS
from rag.models import AnswerResult, CiteLookup, SearchResult
from rag.service import Service

log = logging.getLogger("rag.api")

_ERRORS = {404: s.ErrorResponse, 400: s.ErrorResponse, 401: s.ErrorResponse, 503: s.ErrorResponse}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {code: {"model": model} for code, model in _ERRORS.items()}
_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "token events, then one answer (or error) event"},
    **ERROR_RESPONSES,
}


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.hint = status, kind, message, hint


def _error(status: int, kind: str, message: str, hint: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message, "hint": hint}}, status_code=status)


def _status_of(err: RagError) -> int:
    if isinstance(err, BusyError):
        return 503
    if isinstance(err, LLMError):
        return 502
    if isinstance(err, (IndexStoreError, ModelError)):
        return 503
    if isinstance(err, InputFileError):
        return 400
    if isinstance(err, ConfigError):
        return 400
    return 400


def create_app(service: Service) -> FastAPI:
    settings = service.engine.settings
    app = FastAPI(
        title="rag-news",
        version=__version__,
        description="Search and cited answers over an Italian news archive. Every citation satisfies "
        "`article_text[start:end] == quote`.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.api.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    token = settings.api.token.get_secret_value() if settings.api.token else None

    @app.middleware("http")
    async def auth(request: Request, call_next: Any) -> Any:
        if token and request.url.path.startswith("/api/") and not _bearer_ok(request, token):
            return _error(401, "unauthorized", "missing or wrong bearer token", "send Authorization: Bearer <token>")
        return await call_next(request)

    app.add_middleware(Guard, api=settings.api, bound=lambda: service.url)  # outermost: runs first

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, err: ApiError) -> JSONResponse:
        return _error(err.status, err.kind, err.message, err.hint)

    @app.exception_handler(RagError)
    async def rag_error(_request: Request, err: RagError) -> JSONResponse:
        return _error(_status_of(err), type(err).__name__, err.message, err.hint)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        problems = []
        hint = "see /docs for the schema"
        for e in err.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            given = e.get("input")
            shown = f" ({given!r})" if isinstance(given, str | int | float) and len(repr(given)) <= 60 else ""
            problems.append(f"{where}{shown}: {e.get('msg')}" if where else str(e.get("msg")))
            if where.split(".")[-1].startswith("date_"):
                hint = "write dates as YYYY-MM-DD; see /docs for the schema"
        return _error(400, "invalid_request", "; ".join(problems) or "invalid request", hint)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        return _error(err.status_code, "http_error", str(err.detail))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, "internal_error", f"unexpected {type(err).__name__}; see the service log")

    def ready() -> Service:
        if not service.ready:
            if service.error:
                raise ApiError(503, "failed", f"the service failed to start: {service.error}")
            raise ApiError(503, "starting", "the service is still loading its models", "retry in a few seconds")
        return service

    # -- health and docs ----------------------------------------------------------------------------
    @app.get("/healthz", response_model=s.Health, responses={503: {"model": s.Health}}, tags=["service"])
    def healthz(request: Request) -> Any:
        """Readiness for load balancers. With a token set, a caller without it learns only the status
        (no index path, article count or error texts)."""
        shown = token is None or _bearer_ok(request, token)
        index = str(settings.index.qdrant_url or settings.index_dir()) if shown else None
        if service.ready:
            if not shown:
                return s.Health(status="ready", llm=service.llm)
            return s.Health(
                status="ready",
                index=index,
                articles=service.engine.store.count("article"),
                llm=service.llm,
                llm_error=service.llm_notice or service.llm_error,  # with its fix, when it has one
                llm_waiting=service.llm_waiting,
                error=service.error,
            )
        status = "failed" if service.error else "starting"
        body = s.Health(status=status, index=index, error=service.error if shown else None)
        return JSONResponse(body.model_dump(), status_code=503)

    _mount_docs(app)

    # -- questions ----------------------------------------------------------------------------------
    @app.post(
        "/api/ask",
        response_model=AnswerResult,
        responses=ERROR_RESPONSES | {502: {"model": s.ErrorResponse}},
        tags=["answers"],
    )
    def ask(req: s.AskRequest) -> Any:
        result, _ = ready().ask(req.question, answerer=req.answerer, filters=_filters(req.filters))
        return result

    @app.post(
        "/api/ask/stream",
        responses=_STREAM_RESPONSES,
        tags=["answers"],
    )
    async def ask_stream(req: s.AskRequest) -> StreamingResponse:
        svc = ready()
        filters = _filters(req.filters)
        return StreamingResponse(_sse(svc, req, filters), media_type="text/event-stream")

    @app.post(
        "/api/chat",
        response_model=s.ChatResponse,
        responses=ERROR_RESPONSES | {502: {"model": s.ErrorResponse}},
        tags=["answers"],
    )
    def chat(req: s.ChatRequest) -> Any:
        svc = ready()
        conversation_id = req.conversation_id or svc.new_conversation()
        result, _ = svc.ask(
            req.question, answerer=req.answerer, filters=_filters(req.filters), conversation_id=conversation_id
        )
        return s.ChatResponse(conversation_id=conversation_id, answer=result)

    @app.post("/api/search", response_model=SearchResult, responses=ERROR_RESPONSES, tags=["search"])
    def search(req: s.SearchRequest) -> Any:
        return ready().engine.search(req.query, top_k=req.top_k, filters=_filters(req.filters))

    @app.post("/api/cite", response_model=CiteLookup, responses=ERROR_RESPONSES, tags=["search"])
    def cite(req: s.CiteRequest) -> Any:
        return ready().engine.lookup(req.claim, top_k=req.top_k, filters=_filters(req.filters))

    @app.post(
        "/api/export",
        responses=ERROR_RESPONSES | {200: {"content": {"text/markdown": {}, "text/csv": {}}}},
        response_class=PlainTextResponse,
        tags=["answers"],
    )
    def export(req: s.ExportRequest) -> PlainTextResponse:
        """Answers with their citations as Markdown (references) or CSV (a row per citation)."""
        from rag.answer.export import export as export_answers

        text = export_answers(req.answers, req.format)
        media = "text/markdown" if req.format == "markdown" else "text/csv"
        name = "answers.md" if req.format == "markdown" else "answers.csv"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return PlainTextResponse(text, media_type=f"{media}; charset=utf-8", headers=headers)

    # -- articles -----------------------------------------------------------------------------------
    @app.get("/api/articles", response_model=s.ArticlePage, responses=ERROR_RESPONSES, tags=["articles"])
    def list_articles(
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[str | None, Query(max_length=64, description="next_offset of the previous page")] = None,
        source: Annotated[list[str] | None, Query()] = None,
    ) -> Any:
        svc = ready()
        flt = s.FiltersModel(sources=source).to_filters()
        try:
            page, next_offset = svc.engine.list_articles(filters=flt, limit=limit, offset=offset)
        except ValueError as err:
            raise ApiError(400, "invalid_offset", f"offset {offset!r} is not a page offset", "use next_offset") from err
        return {"total": svc.engine.store.count("article", flt), "articles": page, "next_offset": next_offset}

    @app.get(
        "/api/articles/{article_id:path}", response_model=s.ArticleDetail, responses=ERROR_RESPONSES, tags=["articles"]
    )
    def get_article(article_id: str) -> Any:
        article = ready().engine.get_article(article_id)
        if article is None:
            raise ApiError(404, "not_found", f"no article with id {article_id!r}", "list ids with GET /api/articles")
        return article

    @app.delete(
        "/api/articles/{article_id:path}", response_model=s.DeleteResponse, responses=ERROR_RESPONSES, tags=["articles"]
    )
    def delete_article(article_id: str) -> Any:
        removed = ready().delete_article(article_id)
        if not removed:
            raise ApiError(404, "not_found", f"no article with id {article_id!r}", "list ids with GET /api/articles")
        return {"article_id": article_id, "deleted_points": removed}

    @app.post(
        "/api/articles",
        response_model=s.JobModel,
        status_code=202,
        responses=ERROR_RESPONSES | {413: {"model": s.ErrorResponse}, 415: {"model": s.ErrorResponse}},
        tags=["articles"],
    )
    async def upload(files: Annotated[list[UploadFile], File(description="the same formats as rag ingest")]) -> Any:
        from rag.jobs import shown_name

        svc = ready()
        limit = int(settings.api.max_upload_mb * 1024 * 1024)
        if not files:
            raise ApiError(400, "no_files", "the upload holds no files", "send one or more files as 'files'")
        if len(files) > settings.api.max_files:
            raise ApiError(413, "too_many_files", f"{len(files)} files in one upload (limit {settings.api.max_files})")
        received: list[tuple[str, bytes]] = []
        for f in files:
            # The client's name is only a label: the job stores the file under rag.jobs.safe_name(name).
            name = f.filename or ""
            shown = shown_name(name)
            suffix = Path(name).suffix.lower()
            if suffix not in SUPPORTED_EXTENSIONS:
                kind = f"unsupported file type {suffix!r}" if suffix else "no file extension"
                raise ApiError(
                    415,
                    "unsupported_type",
                    f"{shown}: {kind}",
                    f"upload one of: {', '.join(SUPPORTED_EXTENSIONS)}",
                )
            data = await f.read(limit + 1)
            if len(data) > limit:
                raise ApiError(
                    413,
                    "too_large",
                    f"{shown} is larger than {settings.api.max_upload_mb:g} MB",
                    "split it, or raise RAG_API__MAX_UPLOAD_MB",
                )
            received.append((name, data))
        job = await asyncio.to_thread(svc.jobs.submit, received)
        return job.to_dict()

    @app.get("/api/jobs/{job_id}", response_model=s.JobModel, responses=ERROR_RESPONSES, tags=["articles"])
    def get_job(job_id: str) -> Any:
        job = service.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "not_found", f"no ingest job {job_id!r}")
        return job.to_dict()

    @app.delete("/api/jobs/{job_id}", response_model=s.JobModel, responses=ERROR_RESPONSES, tags=["articles"])
    def cancel_job(job_id: str) -> Any:
        """Cancels a queued job, or stops a running one after the batch it is writing (what it wrote
        stays). A finished job is returned as it is."""
        job = service.jobs.cancel(job_id)
        if job is None:
            raise ApiError(404, "not_found", f"no ingest job {job_id!r}", "list jobs with GET /api/jobs/{id}")
        return job.to_dict()

    @app.get("/api/stats", responses=ERROR_RESPONSES, tags=["service"])
    def stats() -> dict[str, Any]:
        svc = ready()
        data = svc.engine.stats()
        data["pending_jobs"] = svc.jobs.pending()
        return data

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(rest: str, request: Request) -> Any:
        """Any other /api path: the documented error shape, not the UI mount's (it serves everything else)."""
        raise ApiError(404, "not_found", f"no API route {request.method} /api/{rest}", "see /docs for the routes")

    return app


def _bearer_ok(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    given = header[7:] if header.lower().startswith("bearer ") else ""
    return hmac.compare_digest(given.encode(), token.encode())


def _filters(model: s.FiltersModel | None) -> Any:
    return model.to_filters() if model else None


async def _sse(svc: Service, req: s.AskRequest, filters: Any) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancelled = threading.Event()  # set when the client goes away: the answer stops (issue 25, item 9)

    def push(kind: str, data: Any) -> None:
        loop.call_soon_threadsafe(events.put_nowait, (kind, data))

    def work() -> None:
        try:
            result, _ = svc.ask(
                req.question,
                answerer=req.answerer,
                filters=filters,
                on_token=lambda t: push("token", {"text": t}),
                cancelled=cancelled,
            )
            push("answer", result.to_dict())
        except Cancelled:
            log.info("a stream was closed before its answer: stopped")
        except RagError as err:
            push("error", {"type": type(err).__name__, "message": err.message, "hint": err.hint})
        except Exception as err:  # the stream must end with an event, whatever happened
            log.exception("stream failed")
            push("error", {"type": "internal_error", "message": f"unexpected {type(err).__name__}"})
        push("end", None)

    threading.Thread(target=work, name="rag-ask-stream", daemon=True).start()
    try:
        while True:
            kind, data = await events.get()
            if kind == "end":
                return
            yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
    finally:  # the end, or the client closed the stream (the generator is cancelled)
        cancelled.set()


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI 5 (it renders OpenAPI 3.1, as FastAPI writes it) from the fastapi-offline package's
    static files: the docs page works offline."""
    from importlib.resources import files

    static = Path(str(files("fastapi_offline") / "static"))
    app.mount("/docs-static", StaticFiles(directory=static), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)


_DOCS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>rag-news API</title>
<link rel="stylesheet" href="/docs-static/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/docs-static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});</script></body></html>"""
