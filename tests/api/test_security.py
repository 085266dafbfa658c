"""Security: uploaded file names cannot leave the upload folder, and secrets (API token, LLM key,
Qdrant key) never appear in responses, CLI output, settings dumps, log records or exceptions.

HTML escaping of article text in the UI is covered by tests/ui/test_render.py (and the browser
test, which ingests an article holding ``<script>``)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
import traceback
import unicodedata
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from rag.jobs import JOB_FILE, MAX_NAME_BYTES, JobQueue, safe_name
from rag.loaders import SUPPORTED_EXTENSIONS
from tests.api.conftest import start_service

# -- upload names ------------------------------------------------------------------------------------

#: Names that try to leave the folder (or to be odd on some system) -> the name the job stores.
ACCEPTED = {
    "../../etc/passwd.txt": "passwd.txt",
    "..\\..\\x.txt": "x.txt",
    "/abs/path.txt": "path.txt",
    "a/../../b.txt": "b.txt",
    "a\x00b.txt": "a_b.txt",
    "n" * 300 + ".txt": "n" * (MAX_NAME_BYTES - 4) + ".txt",
    "é" * 300 + ".txt": "é" * ((MAX_NAME_BYTES - 4) // 2) + ".txt",
    "．．／．．／etc.txt": "etc.txt",  # full-width look-alikes of ../../ (NFKC folds them)
    "\u2024\u2024\u2215evil.txt": "_evil.txt",  # one-dot leaders and a division slash
    "CON.txt": "_CON.txt",  # a Windows device name
    "..txt": "upload.txt",
    ".hidden.txt": "hidden.txt",  # a hidden name would be skipped by the loaders
    "a.txt/": "a.txt",
}
#: Names the API refuses (no supported extension): a 415 whose message shows the name as sent.
REFUSED = ["", ".", "..", "/", "../../etc/passwd", "evil.txt\x00.exe", "\u202etxt.exe"]


@pytest.mark.parametrize(
    ("name", "stored"),
    [*ACCEPTED.items(), ("", "upload"), (".", "upload"), ("..", "upload")],
    ids=lambda v: ascii(v)[:32],
)
def test_safe_name_examples(name: str, stored: str) -> None:
    assert safe_name(name, set()) == stored


_PIECES = st.sampled_from(
    ["..", ".", "/", "\\", "\x00", "CON", "nul", "．", "／", "＼", "\u2024", "\u2215", "\u202e", " ", "a", "é", "ß"]
    + ["x" * 120, "é" * 90, ".txt", ".TXT", ".jsonl", ".job.json", ".pdf", "~", "\n", "%2e", "$", "*", "<s>"]
)
NAMES = st.one_of(st.text(), st.lists(_PIECES, max_size=12).map("".join))


@given(
    name=NAMES,
    taken=st.sets(st.one_of(st.text(max_size=12), NAMES.map(str.lower)), max_size=6),
    clashes=st.integers(0, 3),
)
def test_safe_name_is_one_harmless_component(name: str, taken: set[str], clashes: int) -> None:
    earlier: set[str] = set()
    taken |= {safe_name(name, earlier).lower() for _ in range(clashes)}  # the name itself, then -2, -3 taken
    before = set(taken)
    result = safe_name(name, taken)
    assert result not in ("", ".", "..") and not result.startswith(".")  # no hidden file, no parent
    for form in (result, unicodedata.normalize("NFKC", result)):
        assert "/" not in form and "\\" not in form and "\x00" not in form
    assert result.isprintable() and result == result.strip()
    assert PurePosixPath(result).name == result and len(PurePosixPath(result).parts) == 1
    assert len(result.encode()) <= MAX_NAME_BYTES
    assert result.lower() not in before and result.lower() in taken and result != JOB_FILE
    suffix = PurePosixPath(name).suffix.lower()  # what the API checks
    if suffix in SUPPORTED_EXTENSIONS:
        assert result.lower().endswith(suffix)  # the file still reaches its loader


@given(st.lists(NAMES, max_size=20))
def test_safe_names_are_unique_within_an_upload(names: list[str]) -> None:
    taken: set[str] = set()
    stored = [safe_name(n, taken) for n in names]
    assert len({s.lower() for s in stored}) == len(names)


def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


def test_job_files_land_in_the_job_folder(tmp_path: Path) -> None:
    """JobQueue.submit (the API's and the UI's way in), worker not started: the files stay to be seen."""
    uploads = tmp_path / "data" / "uploads"
    queue = JobQueue(uploads, lambda folder, progress: {})
    before = _tree(tmp_path)
    names = [*ACCEPTED, *REFUSED, "x.txt", "X.TXT"]  # the job queue itself takes any name
    job = queue.submit([(name, f"file {i}".encode()) for i, name in enumerate(names)])
    folder = uploads / job.job_id
    refused = ["upload", "upload-2", "upload-3", "upload-4", "passwd", "evil.txt_.exe", "_txt.exe"]
    assert job.files == [*ACCEPTED.values(), *refused, "x-2.txt", "X-3.TXT"]  # unique, case-insensitively
    assert _tree(tmp_path) - before == {folder.relative_to(tmp_path)} | {
        (folder / f).relative_to(tmp_path) for f in [*job.files, JOB_FILE]
    }
    for i, stored in enumerate(job.files):
        assert (folder / stored).read_bytes() == f"file {i}".encode()


# -- uploads through the API --------------------------------------------------------------------------


def _multipart(name: str, data: bytes) -> tuple[bytes, dict[str, str]]:
    """The exact bytes a hostile client sends (an HTTP client would percent-encode NUL and quotes)."""
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def _wait(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (state := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    return dict(state)


@pytest.mark.slow
def test_hostile_upload_names_stay_inside_the_job_folder(
    seeded_index: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from rag.api.app import create_app

    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    around = tmp_path_factory.getbasetemp()  # every test's folders, the seeded index among them
    before = _tree(around)
    uploads = index / "uploads"
    joined = (
        Path(os.path.normpath(uploads / "job" / n.replace("\\", "/").replace("\x00", "")))
        for n in [*ACCEPTED, *REFUSED]
    )
    # where a name would land outside the upload folder if joined to it as given (/etc/passwd.txt, ...)
    naive = {p for p in joined if p != uploads and uploads not in p.parents and p not in uploads.parents}
    assert {index / "etc" / "passwd.txt", index / "x.txt", Path("/abs/path.txt")} <= naive
    naive |= {Path("/etc/passwd.txt"), Path("/x.txt"), Path("/b.txt"), Path.cwd() / "x.txt", Path.cwd() / "b.txt"}
    existed = {p for p in naive if p.exists()}
    svc = start_service(index)
    try:
        with TestClient(create_app(svc)) as client:
            for name in REFUSED:
                body, headers = _multipart(name, b"Il testo.")
                resp = client.post("/api/articles", content=body, headers=headers)
                assert resp.status_code == 415, (name, resp.text)
                assert repr(name) in resp.json()["error"]["message"]  # the name as sent, control characters escaped
            origins = {}
            for i, (name, stored) in enumerate(ACCEPTED.items()):
                text = f"Il comune di Borgo{i} ha comprato {100 + i} panchine. Il sindaco di Borgo{i} è contento."
                body, headers = _multipart(name, text.encode())
                resp = client.post("/api/articles", content=body, headers=headers)
                assert resp.status_code == 202, (name, resp.text)
                job = resp.json()
                assert job["files"] == [stored]
                state = _wait(client, job["job_id"])
                assert state["state"] == "done", (name, state)
                assert state["report"]["articles"] == 1 and state["report"]["skipped"] == [], (name, state["report"])
                origins[f"upload {job['job_id']}/{stored}"] = f"Borgo{i} "
            listing = client.get("/api/articles", params={"limit": 500}).json()["articles"]
            recorded = {a["origin"]: a["article_id"] for a in listing if (a["origin"] or "").startswith("upload ")}
            assert set(recorded) == set(origins)  # each upload recorded by its job and stored name only
            for origin, marker in origins.items():
                assert marker in client.get(f"/api/articles/{recorded[origin]}").json()["text"]
    finally:
        svc.close()
    created = _tree(around) - before
    data = index.relative_to(around)
    outside = {p for p in created if data not in p.parents}
    assert not outside, f"created outside the index folder: {sorted(map(str, outside))}"
    hostile = {PurePosixPath(n.replace("\\", "/")).name for n in [*ACCEPTED, *REFUSED]} | set(ACCEPTED.values())
    for path in created:
        inside_uploads = (uploads.relative_to(around)) in path.parents
        if not inside_uploads:
            assert path.name not in hostile, f"an uploaded name outside the upload folder: {path}"
        else:
            assert len(path.relative_to(uploads.relative_to(around)).parts) <= 2, path  # uploads/<job>/<file>
    assert {p for p in naive if p.exists()} == existed  # nothing appeared where a name points outside


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

    from rag.errors import LLMError
    from rag.llm.generators import make_generator
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
