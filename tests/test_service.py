"""The service's start: ready for search and extractive answers before the local LLM has loaded."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SYRIA

pytestmark = [pytest.mark.slow, pytest.mark.llm]


def _wait(cond: Any, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_ready_before_the_local_llm_and_a_local_question_waits_for_it(seeded_index: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from rag.api.app import create_app
    from rag.service import Service
    from rag.settings import load_settings

    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    settings = load_settings(answer={"answerer": "local"})  # type: ignore[arg-type]
    settings.index.path = index
    service = Service(settings)
    # Hold the LLM's load (the real one runs right after) so the window between the two is observable.
    release = threading.Event()
    build = service.engine.answer_pipeline

    def held(kind: str) -> Any:
        if kind == "local":
            release.wait(120)
        return build(kind)

    service.engine.answer_pipeline = held  # type: ignore[method-assign]
    try:
        service.start("http://testserver")
        _wait(lambda: service.ready or service.error, "ready", timeout=90)
        assert service.error is None and service.llm == "loading"
        with TestClient(create_app(service)) as client:
            health = client.get("/healthz")
            assert health.status_code == 200 and health.json()["llm"] == "loading"
            found = client.post("/api/search", json={"query": "truppe statunitensi in Siria"}).json()
            assert SYRIA in found["evidence"][0]["text"]  # searching does not wait for the LLM
            answers: list[Any] = []
            asking = threading.Thread(
                target=lambda: answers.append(
                    client.post("/api/ask", json={"question": "How many US troops are in Syria?"}).json()
                )
            )
            asking.start()
            time.sleep(1.0)
            assert not answers  # waits for the model instead of failing
            release.set()
            asking.join(180)
            assert answers and answers[0]["answerer"] == "local" and "900" in answers[0]["answer"]
            assert client.get("/healthz").json()["llm"] == "ready"
    finally:
        release.set()
        service.close()
