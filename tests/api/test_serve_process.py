"""`rag serve` as a real process: `rag ingest` hands its files over, and a kill -9 in the middle of
an upload loses nothing and duplicates nothing."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve import ENV, RAG, Server

pytestmark = pytest.mark.slow


@pytest.fixture()
def served_index(seeded_index: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    yield index, tmp_path / "serve.log"


def _articles(n: int) -> str:
    lines = []
    for i in range(n):
        text = (
            f"Il consiglio comunale di Borgo{i} ha approvato {100 + i} nuove misure per il traffico. "
            f"Il sindaco di Borgo{i} ha detto che i lavori partiranno a marzo. "
            f"Le opposizioni di Borgo{i} hanno votato contro."
        )
        lines.append(json.dumps({"id": f"borgo-{i}", "title": f"Borgo{i}", "text": text, "source": "test"}))
    return "\n".join(lines) + "\n"


def test_rag_ingest_hands_its_files_to_the_running_service(served_index: tuple[Path, Path], tmp_path: Path) -> None:
    index, log = served_index
    src = tmp_path / "in"
    src.mkdir()
    (src / "feed.jsonl").write_text(_articles(3) + '{"id": "bad"\n', encoding="utf-8")
    server = Server(index, log)
    try:
        done = subprocess.run(
            [*RAG, "ingest", str(src), "--index", str(index), "--json"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "rag serve" in done.stderr
        report = json.loads(done.stdout)
        assert report["articles"] == 3 and report["via"] == server.url
        assert any(s["origin"].endswith("feed.jsonl:4") and "JSON" in s["reason"] for s in report["skipped"])
        assert httpx.get(f"{server.url}/api/articles").json()["total"] == 5
        # Queries keep answering.
        found = httpx.post(f"{server.url}/api/search", json={"query": "Borgo1 misure"}, timeout=30).json()
        assert found["hits"][0]["article_id"] == "borgo-1"
    finally:
        server.stop()


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RAG, *args], capture_output=True, text=True, env=ENV, timeout=300, input=stdin)


def test_every_query_command_is_handed_to_the_running_service(served_index: tuple[Path, Path], tmp_path: Path) -> None:
    """ask, ask --file, search, cite and stats answer through the service instead of failing on
    the locked index, with the same output as when they open it themselves."""
    index, log = served_index
    server = Server(index, log)
    try:
        ask = _cli("ask", "How many US troops are in Syria?", "--index", str(index), "--json")
        assert ask.returncode == 0, ask.stderr
        assert server.url in ask.stderr and "already open" not in ask.stderr
        answer = json.loads(ask.stdout)
        assert not answer["abstained"] and "Siria" in answer["citations"][0]["quote"]
        text = _cli("ask", "How many US troops are in Syria?", "--index", str(index))
        assert text.returncode == 0 and "[1]" in text.stdout and "chars" in text.stdout
        found = _cli("search", "truppe in Siria", "--index", str(index), "--json")
        assert found.returncode == 0 and json.loads(found.stdout)["hits"], found.stderr
        cited = _cli("cite", "900 soldati in Siria", "--index", str(index), "--json")
        assert cited.returncode == 0 and "900" in json.loads(cited.stdout)["citations"][0]["quote"]
        assert json.loads(cited.stdout)["verdict"] in {"supported", "conflicts", "not_found"}
        stats = _cli("stats", "--index", str(index), "--json")
        assert stats.returncode == 0 and json.loads(stats.stdout)["articles"] == 2
        batch = _cli("ask", "--file", "-", "--index", str(index), "--json", stdin="How many US troops are in Syria?\n")
        assert batch.returncode == 0 and len(batch.stdout.splitlines()) == 1, batch.stderr
    finally:
        server.stop()


def test_kill_9_during_an_upload_then_restart_completes_it_exactly_once(served_index: tuple[Path, Path]) -> None:
    from rag.engine import Engine
    from rag.settings import load_settings

    index, log = served_index
    n = 240
    server = Server(index, log)
    try:
        job = httpx.post(
            f"{server.url}/api/articles", files=[("files", ("borghi.jsonl", _articles(n).encode()))], timeout=60
        ).json()
        deadline = time.monotonic() + 300
        while httpx.get(f"{server.url}/api/jobs/{job['job_id']}").json()["done"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        server.stop(signal.SIGKILL)  # mid-job: some batches written, the rest not

    settings = load_settings()
    settings.index.path = index
    with Engine(settings) as engine:  # the index opens; half-written articles were removed
        ids = [a["article_id"] for a in _all_articles(engine)]
        assert len(ids) == len(set(ids)) and 2 < len(ids) < n + 2, len(ids)
        for a in _all_articles(engine):  # each present article is whole
            from rag.models import Filters

            assert engine.store.count("chunk", Filters(article_ids=[a["article_id"]])) == a["n_chunks"]
            assert engine.store.count("sentence", Filters(article_ids=[a["article_id"]])) == a["n_sentences"]

    server = Server(index, log)  # the unfinished job resumes by itself
    try:
        deadline = time.monotonic() + 600
        while (state := httpx.get(f"{server.url}/api/jobs/{job['job_id']}").json())["state"] != "done":
            assert state["state"] != "failed", state
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert state["resumed"] is True
        stats = httpx.get(f"{server.url}/api/stats").json()
        assert stats["articles"] == n + 2
        page = httpx.get(f"{server.url}/api/articles", params={"limit": 500}).json()
        ids = [a["article_id"] for a in page["articles"]]
        assert len(ids) == len(set(ids)) == n + 2
        assert stats["chunks"] == sum(a["n_chunks"] for a in page["articles"])
        assert stats["sentences"] == sum(a["n_sentences"] for a in page["articles"])
    finally:
        server.stop()


def _all_articles(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    out, offset = [], None
    while True:
        page, offset = engine.list_articles(limit=200, offset=offset)
        out.extend(page)
        if offset is None:
            return out
