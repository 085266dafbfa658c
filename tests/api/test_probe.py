"""The adversarial probe of issue 13, item by item, against a real service (engine, model, Qdrant Edge)
behind the real app with the UI mounted. Each test failed before its fix (noted per test)."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import start_service
from tests.conftest import SYRIA
from tests.serve import ENV, RAG, Server

pytestmark = pytest.mark.slow
EVIL = "http://evil.example"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("rag_service.json", "uploads"))
    return dst


@pytest.fixture(scope="module")
def app_client(api_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    from rag.api.app import create_app
    from ui.app import mount_ui

    svc = start_service(_copy(api_index, tmp_path_factory.mktemp("probe") / "index"))
    with TestClient(mount_ui(create_app(svc), svc)) as client:
        yield client, svc
    svc.close()


def _error(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    body: dict[str, Any] = resp.json()["error"]
    assert set(body) == {"type", "message", "hint"}
    return body


def _jsonl(*rows: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _upload(client: TestClient, name: str, data: bytes, **headers: str) -> httpx.Response:
    return client.post("/api/articles", files=[("files", (name, data))], headers=headers)


def _wait_job(client: TestClient, job_id: str) -> dict[str, Any]:
    while (job := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        time.sleep(0.2)
    return job


# -- item 5: cross-origin writes, preflights, DNS rebinding ------------------------------------------------


def test_writes_from_another_origin_are_refused(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    before = client.get("/api/articles").json()["total"]
    planted = _upload(client, "plant.txt", b"Articolo piantato da un altro sito.", origin=EVIL)
    assert "evil.example" in _error(planted, 403)["message"]  # a plain form POST from a page elsewhere
    victim = client.get("/api/articles").json()["articles"][0]["article_id"]
    gone = client.delete(f"/api/articles/{victim}", headers={"origin": "http://localhost:9999"})
    assert _error(gone, 403)["type"] == "cross_origin"
    preflight = client.options(
        f"/api/articles/{victim}",
        headers={"origin": "http://localhost:9999", "access-control-request-method": "DELETE"},
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    join = client.post("/gradio_api/queue/join", json={"fn_index": 0, "data": []}, headers={"origin": EVIL})
    assert join.status_code == 403  # the UI's own event endpoint too
    assert client.get("/api/articles").json()["total"] == before
    # the service's own page, and clients that are not browsers (no Origin), still write
    own = _upload(client, "own.txt", b"Un articolo scritto dalla pagina del servizio.", origin="http://testserver")
    assert own.status_code == 202 and _wait_job(client, own.json()["job_id"])["state"] == "done"
    assert client.get("/api/stats").status_code == 200
    reads = client.get("/api/articles", headers={"origin": EVIL})  # reads are not writes (CORS keeps them private)
    assert reads.status_code == 200 and "access-control-allow-origin" not in reads.headers


def test_other_host_names_are_refused_without_a_token(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    for host in ("evil.example", "evil.example:7860", "127.0.0.1.nip.io", "[::2]:80"):
        body = _error(client.get("/healthz", headers={"host": host}), 421)
        assert host in body["message"] and "RAG_API__ALLOWED_HOSTS" in (body["hint"] or "")
    assert _error(client.get("/", headers={"host": "evil.example"}), 421)  # the UI too
    for host in ("127.0.0.1:7860", "localhost:7860", "[::1]:7860", "testserver"):
        assert client.get("/healthz", headers={"host": host}).status_code == 200


# -- item 6: the ends of the calendar ------------------------------------------------------------------------


def test_a_far_future_or_ancient_date_is_no_error(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    wide = {"date_from": "0001-01-01", "date_to": "9999-12-31"}
    for path, body in (
        ("/api/search", {"query": "truppe in Siria"}),
        ("/api/cite", {"claim": "900 soldati in Siria"}),
        ("/api/ask", {"question": "Quante truppe in Siria?"}),
        ("/api/chat", {"question": "Quante truppe in Siria?"}),
    ):
        for filters in ({"date_to": "9999-12-31"}, wide, {"date_from": "9999-12-31"}):
            resp = client.post(path, json={**body, "filters": filters})
            assert resp.status_code == 200, (path, filters, resp.text[:300])
    bad = client.post("/api/search", json={"query": "x", "filters": {"date_to": "31/12/9999"}})
    assert "'31/12/9999'" in _error(bad, 400)["message"] and "YYYY-MM-DD" in (_error(bad, 400)["hint"] or "")


def test_the_cli_takes_a_far_future_date_without_a_traceback(api_index: Path) -> None:
    done = subprocess.run(
        [*RAG, "search", "truppe in Siria", "--index", str(api_index), "--to", "9999-12-31", "--json"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]


# -- item 7: ids with "/" and the 404 shape -------------------------------------------------------------------


def test_ids_with_slashes_can_be_read_and_deleted_and_unknown_paths_are_json(
    app_client: tuple[TestClient, Any],
) -> None:
    client, _ = app_client
    doc = {"id": "ansa/2024/03/ponte", "title": "Ponte", "text": "Il ponte di Bassano è stato riaperto ieri."}
    job = _wait_job(client, _upload(client, "feed.jsonl", _jsonl(doc)).json()["job_id"])
    assert job["report"]["articles"] == 1
    got = client.get("/api/articles/ansa/2024/03/ponte")
    assert got.status_code == 200 and got.json()["article_id"] == doc["id"]
    assert client.delete("/api/articles/ansa/2024/03/ponte").json()["deleted_points"] >= 3
    assert _error(client.get("/api/articles/ansa/2024/03/ponte"), 404)["type"] == "not_found"
    for method, path in (("GET", "/api/nope"), ("POST", "/api/nope/x"), ("DELETE", "/api/"), ("PUT", "/api/stats")):
        body = _error(client.request(method, path), 404)  # the documented shape, not Gradio's {"detail": …}
        assert body["type"] == "not_found" and "/docs" in (body["hint"] or "")


# -- item 8: upload limits enforced before the body is in -----------------------------------------------------


def test_a_declared_oversize_body_is_refused_before_it_is_read(app_client: tuple[TestClient, Any]) -> None:
    client, svc = app_client
    limit = int(svc.settings.api.max_request_mb * 1024 * 1024)
    resp = client.post(
        "/api/articles",
        content=b"x" * 10,
        headers={"content-length": str(limit + 1), "content-type": "multipart/form-data; boundary=b"},
    )
    assert "larger than" in _error(resp, 413)["message"]
    assert "larger than 1 MB" in _error(client.post("/api/search", content=b"{" * ((1 << 20) + 1)), 413)["message"]


def test_a_streamed_oversize_upload_stops_at_the_limit(seeded_index: Path, tmp_path: Path) -> None:
    """A chunked upload with no Content-Length: the 413 comes while the client is still sending, after
    about the limit (4 MB here), not after the whole body (500 MiB were offered)."""
    index = _copy(seeded_index, tmp_path / "index")
    server = Server(index, tmp_path / "serve.log", env={"RAG_API__MAX_REQUEST_MB": "4"})
    sent, reply = 0, b""
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            head = (
                "POST /api/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n\r\n"
            )
            sock.sendall(head.encode())
            part = b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            chunk = b"x" * (1 << 20)
            while sent < 500 << 20:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered
                try:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except OSError:
                    break  # it closed the connection
                sent += len(chunk)
            sock.settimeout(30)
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in reply and (data := sock.recv(65536)):
                    reply += data
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert sent < 64 << 20, f"{sent >> 20} MiB went in before the refusal"
        assert not list((index / "uploads").glob("*/big.txt"))
    finally:
        server.stop()


# -- item 9: job reports stay small, old jobs go --------------------------------------------------------------


def test_a_job_report_counts_its_skips_instead_of_listing_them_all(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    lines = b"".join(b'{"id": "x", "text": \n' for _ in range(3000)) + _jsonl({"text": "Un articolo valido."})
    job = _wait_job(client, _upload(client, "many.jsonl", lines).json()["job_id"])
    rep = job["report"]
    assert rep["skipped_total"] == 3000 and len(rep["skipped"]) == 100
    assert rep["skipped_by_kind"] == {"invalid JSON": 3000} and rep["articles"] == 1
    assert len(json.dumps(job)) < 40_000


def test_old_jobs_are_pruned(tmp_path: Path) -> None:
    from rag.jobs import JobQueue

    queue = JobQueue(tmp_path / "uploads", lambda _folder, _progress: {"articles": 0}, keep=2)
    queue.start()
    jobs = [queue.submit([(f"{i}.txt", b"testo")]) for i in range(4)]
    deadline = time.monotonic() + 30
    while queue.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    queue.stop()
    kept = {j.job_id for j in jobs if queue.get(j.job_id) is not None}
    assert kept == {jobs[2].job_id, jobs[3].job_id}
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir() if not p.name.startswith(".")) == sorted(kept)


# -- item 10: shutdown ------------------------------------------------------------------------------------------


def test_sigterm_shuts_down_cleanly_and_a_stale_announcement_counts_as_absent(
    seeded_index: Path, tmp_path: Path
) -> None:
    from rag.service import running_service, service_file
    from tests.conftest import make_settings

    index = _copy(seeded_index, tmp_path / "index")
    server = Server(index, tmp_path / "serve.log")
    settings = make_settings(index)
    assert running_service(settings) is not None
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=60) == 0  # not 143: the service closed itself
    assert not service_file(settings).exists()
    # an announcement left by a killed service: a dead pid, or a pid now used by another program
    for pid in (2**22 + 12345, os.getpid()):
        service_file(settings).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": pid}), encoding="utf-8")
        assert running_service(settings) is None
    done = subprocess.run(
        [*RAG, "ingest", str(tmp_path / "none.txt"), "--index", str(index)], capture_output=True, text=True, env=ENV
    )
    assert "rag serve" not in done.stderr  # it does not try to talk to the dead service


# -- the risks kept or decided --------------------------------------------------------------------------------


def test_wrong_tokens_are_rate_limited_and_healthz_shows_little_without_one(api_index: Path, tmp_path: Path) -> None:
    from rag.api.app import create_app
    from ui.app import mount_ui

    svc = start_service(_copy(api_index, tmp_path / "index"), api={"token": "s3cret-token", "auth_failures": 5})
    try:
        with TestClient(mount_ui(create_app(svc), svc)) as c:
            assert set(c.get("/healthz").json()) >= {"status"} and c.get("/healthz").json()["index"] is None
            full = c.get("/healthz", headers={"Authorization": "Bearer s3cret-token"}).json()
            assert full["index"] and full["articles"] >= 2
            bare = [c.get("/api/stats").status_code for _ in range(8)]  # no token at all: 401, never counted
            assert bare == [401] * 8
            codes = [c.get("/api/stats", headers={"Authorization": f"Bearer wrong{i}"}).status_code for i in range(7)]
            assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
            assert c.post("/login", data={"username": "x", "password": "wrong"}).status_code == 429
            # issue 25, item 8: the right token and the right password are never locked out
            assert c.get("/api/stats", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
            assert c.post("/login", data={"username": "x", "password": "s3cret-token"}).status_code < 400
    finally:
        svc.close()


def test_only_web_links_are_stored(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    rows = [
        {"id": "link-js", "text": "Primo articolo con un link strano.", "url": "javascript:alert(document.cookie)"},
        {"id": "link-data", "text": "Secondo articolo con un link strano.", "url": "data:text/html,<script>1</script>"},
        {"id": "link-ok", "text": "Terzo articolo con un link vero.", "url": "https://www.ansa.it/x.html"},
    ]
    _wait_job(client, _upload(client, "links.jsonl", _jsonl(*rows)).json()["job_id"])
    urls = {r["id"]: client.get(f"/api/articles/{r['id']}").json()["url"] for r in rows}
    assert urls == {"link-js": None, "link-data": None, "link-ok": "https://www.ansa.it/x.html"}


def test_a_flood_of_look_alike_articles_is_reported(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    flood = _jsonl(*({"text": f"Breve {i}: nevica a Belluno, {i} centimetri."} for i in range(60)))
    rep = _wait_job(client, _upload(client, "brevi.jsonl", flood).json()["job_id"])["report"]
    assert rep["near_duplicates"] and rep["near_duplicates"][0]["count"] == 60
    assert "nevica a Belluno" in rep["near_duplicates"][0]["example"]
    found = client.post("/api/search", json={"query": "truppe statunitensi in Siria"}).json()
    assert SYRIA in found["evidence"][0]["text"]


@pytest.mark.slow
def test_a_forwarded_for_header_is_not_believed_unless_configured(api_index: Path, tmp_path: Path) -> None:
    """Issue 25, item 8: with `X-Forwarded-For` trusted, a spoofer dodged the limit (a new address per try)
    and could lock out a victim's address. Through `rag serve` (uvicorn reads the header, not FastAPI)."""
    env = {"RAG_API_TOKEN": "s3cret-token", "RAG_API__AUTH_FAILURES": "3"}
    server = Server(_copy(api_index, tmp_path / "index"), tmp_path / "serve.log", env=env)
    try:
        codes = [
            httpx.get(
                f"{server.url}/api/stats",
                headers={"Authorization": "Bearer wrong", "X-Forwarded-For": f"10.0.0.{i}"},
                timeout=30,
            ).status_code
            for i in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]  # one client: the connection's address, whatever the header
        right = httpx.get(f"{server.url}/api/stats", headers={"Authorization": "Bearer s3cret-token"}, timeout=30)
        assert right.status_code == 200
    finally:
        server.stop()


@pytest.mark.slow
def test_sigterm_during_a_job_exits_cleanly_and_the_job_goes_on_at_the_next_start(
    seeded_index: Path, tmp_path: Path
) -> None:
    """Issue 25 (low): SIGTERM during a job exited 134 ("terminate called without an active exception"):
    the process ended with the ingest inside native code. Now the batch ends first, the job is queued
    again, and the next start finishes it: every article once."""
    index = _copy(seeded_index, tmp_path / "index")
    rows = [{"id": f"n{i}", "text": f"Notizia {i}: a Belluno sono caduti {i} centimetri di neve."} for i in range(400)]
    server = Server(index, tmp_path / "serve.log")
    try:
        sent = httpx.post(f"{server.url}/api/articles", files=[("files", ("neve.jsonl", _jsonl(*rows)))], timeout=60)
        job_id = sent.json()["job_id"]
        deadline = time.monotonic() + 120
        while httpx.get(f"{server.url}/api/jobs/{job_id}", timeout=10).json()["state"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=120) == 0, (tmp_path / "serve.log").read_text()[-2000:]
    finally:
        server.stop()
    again = Server(index, tmp_path / "serve2.log")
    try:
        deadline = time.monotonic() + 300
        while (job := httpx.get(f"{again.url}/api/jobs/{job_id}", timeout=10).json())["state"] != "done":
            assert job["state"] in ("queued", "running") and time.monotonic() < deadline, job
            time.sleep(0.3)
        assert job["resumed"] and job["runs"] == 1  # the stopped run did not count
        total = httpx.get(f"{again.url}/api/articles", timeout=10).json()["total"]
        assert total == 2 + 400
    finally:
        again.stop()
