"""Security: secrets (API token, LLM key, Qdrant key) never appear in responses, CLI output, settings dumps,
log records or exceptions, while still reaching the servers that need them."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import start_service

# -- secrets --------------------------------------------------------------------------------------------

TOKEN = "tok-" + uuid.uuid4().hex
LLM_KEY = "sk-" + uuid.uuid4().hex
QDRANT_KEY = "qk-" + uuid.uuid4().hex
SECRETS = {"RAG_API_TOKEN": TOKEN, "RAG_LLM__API_KEY": LLM_KEY, "RAG_QDRANT_API_KEY": QDRANT_KEY}


def _leaks(text: str) -> list[str]:
    """Each secret, or any 12 characters of its random part, found in ``text``."""
    found = []
    for secret in SECRETS.values():
        core = secret.split("-", 1)[1]
        if secret in text or any(core[i : i + 12] in text for i in range(len(core) - 11)):
            found.append(secret)
    return found


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture()
def secret_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The secrets in the environment; the OpenAI-compatible endpoint is a closed local port."""
    for var, value in SECRETS.items():
        monkeypatch.setenv(var, value)
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    monkeypatch.setenv("RAG_LLM__BASE_URL", url)
    monkeypatch.setenv("RAG_LLM__TIMEOUT_S", "3")
    yield url


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        parts = []
        for r in self.records:
            try:
                parts.append(f"{r.name}: {r.getMessage()}")
            except Exception:  # a record whose arguments do not fit its format: keep both
                parts.append(f"{r.name}: {r.msg!r} {r.args!r}")
            if r.exc_info and r.exc_info[1] is not None:
                parts.append("".join(traceback.format_exception(r.exc_info[1])))
            parts.extend(x for x in (r.exc_text, r.stack_info) if x)
        return "\n".join(parts)


@contextmanager
def _every_log_at_debug() -> Iterator[_Records]:
    """Every logger (root, uvicorn, httpx, haystack, openai, qdrant, rag, ...) at DEBUG into one handler."""
    import haystack  # noqa: F401  (their loggers exist before the levels are set)
    import openai  # noqa: F401
    import qdrant_client  # noqa: F401
    import uvicorn  # noqa: F401

    import rag.api.app  # noqa: F401
    import rag.service  # noqa: F401

    handler = _Records()
    root = logging.getLogger()
    loggers = [root, *(lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    attached = [root, *(lg for lg in loggers if not lg.propagate)]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    for lg in attached:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in attached:
            lg.removeHandler(handler)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


def _exception_text(err: BaseException | None) -> str:
    return "" if err is None else "".join(traceback.format_exception(err)) + repr(err)


@contextmanager
def _json_endpoint(status: int, reply: Callable[[BaseHTTPRequestHandler], dict[str, Any]]) -> Iterator[str]:
    """A local HTTP server answering every GET/POST with ``status`` and ``reply(request)`` as JSON."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = json.dumps(reply(self)).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_settings_never_show_secrets(secret_env: str) -> None:
    from rag.settings import load_settings

    s = load_settings()
    values = [
        getattr(v, "get_secret_value", lambda v=v: v)() for v in (s.api.token, s.llm.api_key, s.index.qdrant_api_key)
    ]
    assert values == [TOKEN, LLM_KEY, QDRANT_KEY]  # the secrets are really set ...
    shown = [repr(s), str(s), s.model_dump_json(), json.dumps(s.model_dump(mode="json")), repr(s.model_dump())]
    shown += [repr(s.index), str(s.index), s.index.model_dump_json(), repr(s.llm), repr(s.api)]
    assert not _leaks("\n".join(shown))  # ... and never shown


def test_qdrant_key_still_reaches_the_server(secret_env: str) -> None:
    """The key is a SecretStr now: the client must still send it (header ``api-key``), and no log shows it."""
    from rag.settings import load_settings
    from rag.store.client import ClientStore

    seen: list[str | None] = []

    def exists(request: BaseHTTPRequestHandler) -> dict[str, Any]:  # GET /collections/<name>/exists
        seen.append(request.headers.get("api-key"))
        return {"result": {"exists": False}, "status": "ok", "time": 0.0}

    with _json_endpoint(200, exists) as url:
        settings = load_settings(index={"qdrant_url": url})
        with _every_log_at_debug() as logs, warnings.catch_warnings(record=True):  # "api key on http"
            store = ClientStore(str(settings.index.qdrant_url), "news", settings.index)
            assert not store.exists()
            store.close()
    assert seen == [QDRANT_KEY]
    assert logs.records and not _leaks(logs.text())


@pytest.mark.slow
def test_secrets_never_leak_from_the_service_cli_or_logs(
    secret_env: str, seeded_index: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from rag.api.app import create_app
    from rag.cli import app as cli

    index, cli_index = tmp_path / "index", tmp_path / "cli-index"
    shutil.copytree(seeded_index, index)
    shutil.copytree(seeded_index, cli_index)
    question = "Quante truppe americane ci sono in Siria?"
    seen: dict[str, str] = {}  # everything a client, a user or a log reader gets to see
    with _every_log_at_debug() as logs:
        svc = start_service(index)
        assert svc.engine.settings.llm.api_key.get_secret_value() == LLM_KEY  # type: ignore[union-attr]
        port = _closed_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="debug", log_config=None)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not server.started:
                assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
                time.sleep(0.05)
            auth = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                responses = [
                    (http.get("/healthz"), 200),
                    (http.get("/api/stats", headers=auth), 200),
                    (http.get("/api/stats", headers={"Authorization": "Bearer wrong-" + TOKEN[::-1]}), 401),
                    (http.get("/api/stats"), 401),
                    (http.post("/api/ask", json={"question": question, "answerer": "openai"}, headers=auth), 502),
                    (http.post("/api/chat", json={"question": question, "answerer": "openai"}, headers=auth), 502),
                    (
                        http.post("/api/ask/stream", json={"question": question, "answerer": "openai"}, headers=auth),
                        200,
                    ),
                    (http.post("/api/search", json={"query": question}, headers=auth), 200),
                    (http.get("/openapi.json"), 200),
                ]
                for i, (resp, status) in enumerate(responses):
                    assert resp.status_code == status, (resp.request.url, resp.text)
                    seen[f"#{i} {resp.request.method} {resp.request.url.path} {status}"] = f"{resp.headers} {resp.text}"
                assert "unreachable" in responses[4][0].json()["error"]["message"]  # the key was in play
                assert "event: error" in responses[6][0].text
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            svc.close()

        runner = CliRunner()
        closed_qdrant = {"RAG_QDRANT_URL": f"http://127.0.0.1:{_closed_port()}"}
        runs = [
            (["stats", "--json", "--index", str(cli_index)], None, 0),
            (["ask", question, "--answerer", "openai", "--index", str(cli_index)], None, 2),
            (["ask", question, "--answerer", "openai", "--json", "--index", str(cli_index)], None, 2),
            (["stats", "--json"], closed_qdrant, 2),  # the Qdrant key in play: the server is down
            (["ask", question, "--answerer", "extractive"], closed_qdrant, 2),
        ]
        errors = []
        for args, env, code in runs:
            res = runner.invoke(cli, args, env=env)
            assert res.exit_code == code, (args, res.output, res.stderr, _exception_text(res.exception))
            seen[f"rag {' '.join(args[:2])} {env or ''}"] = f"{res.stdout}\n{res.stderr}"
            errors.append(res.stderr)
            if not isinstance(res.exception, SystemExit):
                seen[f"rag {' '.join(args[:2])} {env or ''} exception"] = _exception_text(res.exception)
        assert "unreachable" in errors[1] and "Qdrant" in errors[3]  # the key and the Qdrant key were in play

        from rag.engine import Engine
        from rag.errors import RagError
        from rag.settings import load_settings

        settings = load_settings()
        settings.index.path = cli_index
        with Engine(settings) as engine:
            seen["search pipeline dumps"] = engine.search_pipeline.dumps()  # the store serializes its settings
            with pytest.raises(RagError) as failed:
                engine.ask(question, answerer="openai")
            seen["Engine.ask openai error"] = _exception_text(failed.value)

    captured = capfd.readouterr()
    seen["stdout"], seen["stderr"] = captured.out, captured.err
    assert logs.records, "no log record captured"
    names = {r.name.split(".")[0] for r in logs.records}
    assert {"uvicorn", "httpx", "haystack", "openai"} <= names, names  # the loggers really were at DEBUG
    seen["log records"] = logs.text()
    assert [where for where, text in seen.items() if _leaks(text)] == []


def test_an_endpoint_that_quotes_the_key_back_does_not_leak_it(
    secret_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from haystack.dataclasses import ChatMessage

    from rag.answer.generators import make_generator
    from rag.errors import LLMError
    from rag.settings import load_settings

    def rejecting(request: BaseHTTPRequestHandler) -> dict[str, Any]:  # as some servers answer a bad key
        key = (request.headers.get("authorization") or "")[len("Bearer ") :]
        return {"error": {"message": f"Incorrect API key provided: {key}", "type": "auth"}}

    with _json_endpoint(401, rejecting) as url:
        monkeypatch.setenv("RAG_LLM__BASE_URL", f"{url}/v1")
        settings = load_settings()
        with pytest.raises(Exception) as raised:  # the engine's path: the generator fails, from_backend explains
            make_generator(settings, "openai").run([ChatMessage.from_user("Quante truppe?")])
        err = LLMError.from_backend("openai", settings.llm.base_url, raised.value)
    assert "401" in str(err)
    assert not _leaks(str(err))
