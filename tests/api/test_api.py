"""The REST API on a real service: schemas, errors (each a JSON body naming the problem), uploads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import start_service
from tests.conftest import SYRIA

pytestmark = pytest.mark.slow


def _error(resp, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["message"] and body["type"]
    return body


def test_health_docs_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ready" and health["articles"] == 2
    assert health["llm"] == "not used"  # this service answers extractively
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]  # the result dataclasses of rag/models.py, documented
    assert schemas["CiteLookup"]["properties"]["verdict"]["enum"] == ["supported", "conflicts", "not_found"]
    assert "terms" not in schemas.get("SearchResult-Output", schemas["SearchResult"])["properties"]
    assert {"/api/ask", "/api/ask/stream", "/api/search", "/api/cite", "/api/chat", "/api/articles"} <= set(
        spec["paths"]
    )
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-static/swagger-ui-bundle.js" in docs.text  # served locally
    assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200


def test_ask_search_cite_share_the_cli_schemas(client: TestClient) -> None:
    answer = client.post("/api/ask", json={"question": "Quante truppe statunitensi ci sono in Siria?"}).json()
    # the reader's span ("2.500" with the shipped reader: tests/answer/test_reader.py), cited in the Syria sentence
    c = answer["citations"][0]
    assert answer["answer"] == f"{c['quote'][c['highlight'][0] - c['start'] : c['highlight'][1] - c['start']]} [1]"
    assert SYRIA in c["quote"]
    assert {"question", "answer", "abstained", "language", "citations", "answerer", "timings"} <= set(answer)
    found = client.post("/api/search", json={"query": "how many US troops are in Syria?", "top_k": 2}).json()
    assert SYRIA in found["hits"][0]["sentences"][0]["text"] and "terms" not in found
    cited = client.post("/api/cite", json={"claim": "the US has 900 troops in Syria"}).json()
    assert SYRIA in cited["citations"][0]["quote"]
    assert cited["verdict"] == "supported" and cited["conflict"] is None
    false = client.post("/api/cite", json={"claim": "Gli Stati Uniti hanno 300 truppe nella vicina Siria"}).json()
    assert false["verdict"] == "conflicts" and false["conflict"][0] == "300", false
    assert SYRIA in false["citations"][0]["quote"]
    filtered = client.post("/api/search", json={"query": "Siria", "filters": {"sources": ["nowhere"]}})
    assert filtered.status_code == 400 and "'nowhere'" in filtered.json()["error"]["message"]  # said, not empty


def test_export_gives_markdown_and_csv_of_answers(client: TestClient) -> None:
    answer = client.post("/api/ask", json={"question": "How many US troops are in Syria?"}).json()
    md = client.post("/api/export", json={"answers": [answer]})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("## How many US troops are in Syria?") and SYRIA in md.text
    table = client.post("/api/export", json={"answers": [answer], "format": "csv"})
    assert (
        table.headers["content-type"].startswith("text/csv") and "answers.csv" in table.headers["content-disposition"]
    )
    assert table.text.splitlines()[0].startswith("question,answer") and len(table.text.splitlines()) == 2
    assert "format" in _error(client.post("/api/export", json={"answers": [answer], "format": "pdf"}), 400)["message"]


def test_stream_sends_tokens_then_the_verified_answer(client: TestClient) -> None:
    with client.stream("POST", "/api/ask/stream", json={"question": "How many US troops are in Afghanistan?"}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [block for block in r.read().decode().split("\n\n") if block.strip()]
    kinds = [e.split("\n")[0].removeprefix("event: ") for e in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) <= {"token"}
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert final["abstained"] and final["citations"] == []


def test_chat_follow_up_keeps_the_conversation(client: TestClient) -> None:
    first = client.post("/api/chat", json={"question": "How many US troops are in Syria?"}).json()
    conv = first["conversation_id"]
    follow = client.post("/api/chat", json={"question": "and in Iraq?", "conversation_id": conv}).json()
    assert follow["conversation_id"] == conv and "2,500" in follow["answer"]["answer"]  # read in English
    # issue 26: searched as "How many US troops are in Iraq?", whose best sentence says "circa 2.500"
    assert follow["answer"]["standalone_question"] == "How many US troops are in Iraq?"
    assert "2.500" in follow["answer"]["claims"][0]["text"] and follow["answer"]["claims"][0]["citations"] == [1]
    alone = client.post("/api/chat", json={"question": "and in Iraq?"}).json()  # a new conversation
    assert alone["conversation_id"] != conv and alone["answer"]["standalone_question"] is None


def test_errors_are_json_and_name_the_problem(client: TestClient) -> None:
    assert "empty" in _error(client.post("/api/ask", json={"question": "   "}), 400)["message"]
    assert "question" in _error(client.post("/api/ask", json={}), 400)["message"]
    bad = client.post("/api/search", content=b"{not json", headers={"content-type": "application/json"})
    assert "JSON" in _error(bad, 400)["message"]
    assert "nope" in _error(client.get("/api/articles/nope"), 404)["message"]
    assert "nope" in _error(client.delete("/api/articles/nope"), 404)["message"]
    assert _error(client.get("/api/jobs/nope"), 404)
    assert "offset" in _error(client.get("/api/articles", params={"offset": "not-a-page"}), 400)["message"]
    swapped = {"query": "x", "filters": {"date_from": "2024-02-01", "date_to": "2024-01-01"}}
    assert "date_from" in _error(client.post("/api/search", json=swapped), 400)["message"]
    unsupported = client.post("/api/articles", files=[("files", ("notes.exe", b"MZ..."))])
    assert "notes.exe" in _error(unsupported, 415)["message"]
    openai = client.post("/api/ask", json={"question": "Quante truppe?", "answerer": "openai"})
    assert "RAG_LLM_BASE_URL" in (_error(openai, 400)["hint"] or "")


def test_upload_then_ask_cite_and_delete(client: TestClient) -> None:
    text = "Il nuovo ponte sul fiume Adige a Verona è lungo 412 metri. È stato inaugurato dal sindaco."
    job = client.post("/api/articles", files=[("files", ("../../etc/ponte.txt", text.encode()))])
    assert job.status_code == 202, job.text
    job_id = job.json()["job_id"]
    assert job.json()["files"] == ["ponte.txt"]  # the name cannot leave the upload folder
    deadline = time.monotonic() + 60
    while (state := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert state["state"] == "done" and state["report"]["articles"] == 1
    answer = client.post("/api/ask", json={"question": "Quanto è lungo il ponte sull'Adige a Verona?"}).json()
    assert not answer["abstained"], answer["reason"]
    cited = answer["citations"][0]
    article = client.get(f"/api/articles/{cited['article_id']}").json()
    assert article["text"][cited["start"] : cited["end"]] == cited["quote"]
    assert any(s["start"] == cited["start"] for s in article["sentences"])
    listing = client.get("/api/articles").json()
    assert listing["total"] == 3 and cited["article_id"] in {a["article_id"] for a in listing["articles"]}
    assert client.delete(f"/api/articles/{cited['article_id']}").json()["deleted_points"] >= 3
    assert client.get(f"/api/articles/{cited['article_id']}").status_code == 404
    gone = client.post("/api/ask", json={"question": "Quanto è lungo il ponte sull'Adige a Verona?"}).json()
    assert gone["abstained"] or all(c["article_id"] != cited["article_id"] for c in gone["citations"])


def test_oversize_upload_and_llm_endpoint_down(tmp_path: Path, seeded_index: Path) -> None:
    import shutil

    from rag.api.app import create_app

    index = tmp_path / "index"
    # from the session's seeded index, never from api_index: the module's live service may be
    # optimizing that one (files appear and vanish mid-copy)
    shutil.copytree(seeded_index, index, ignore=shutil.ignore_patterns("rag_service.json", "uploads"))
    svc = start_service(index, api={"max_upload_mb": 0.001}, llm={"base_url": "http://127.0.0.1:9/v1", "timeout_s": 3})
    try:
        with TestClient(create_app(svc)) as c:
            big = c.post("/api/articles", files=[("files", ("big.txt", b"x" * 5000))])
            assert "big.txt" in _error(big, 413)["message"]
            down = c.post("/api/ask", json={"question": "Quante truppe ci sono in Siria?", "answerer": "openai"})
            assert "unreachable" in _error(down, 502)["message"]
    finally:
        svc.close()


def test_token_is_required_when_set(tmp_path: Path, seeded_index: Path) -> None:
    import shutil

    from rag.api.app import create_app

    index = tmp_path / "index"
    # from the session's seeded index, never from api_index: the module's live service may be
    # optimizing that one (files appear and vanish mid-copy)
    shutil.copytree(seeded_index, index, ignore=shutil.ignore_patterns("rag_service.json", "uploads"))
    svc = start_service(index, api={"token": "s3cret-token"})
    try:
        with TestClient(create_app(svc)) as c:
            assert _error(c.get("/api/stats"), 401)
            assert _error(c.get("/api/stats", headers={"Authorization": "Bearer wrong"}), 401)
            ok = c.get("/api/stats", headers={"Authorization": "Bearer s3cret-token"})
            assert ok.status_code == 200 and "s3cret-token" not in ok.text
            assert c.get("/healthz").status_code == 200  # health stays open for load balancers
    finally:
        svc.close()


def test_serve_refuses_a_public_address_without_a_token(api_index: Path) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    res = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--index", str(api_index)])
    assert res.exit_code == 2 and "RAG_API_TOKEN" in res.stderr


def test_token_also_guards_the_ui(tmp_path: Path, seeded_index: Path) -> None:
    import shutil

    from rag.api.app import create_app
    from ui.app import mount_ui

    index = tmp_path / "index"
    # from the session's seeded index, never from api_index: the module's live service may be
    # optimizing that one (files appear and vanish mid-copy)
    shutil.copytree(seeded_index, index, ignore=shutil.ignore_patterns("rag_service.json", "uploads"))
    svc = start_service(index, api={"token": "s3cret-token"})
    try:
        with TestClient(mount_ui(create_app(svc), svc)) as c:
            assert c.get("/config").status_code == 401  # the page's data needs a login
            assert c.post("/login", data={"username": "x", "password": "wrong"}).status_code == 400
            assert c.post("/login", data={"username": "x", "password": "s3cret-token"}).status_code == 200
            assert c.get("/config").status_code == 200
    finally:
        svc.close()
