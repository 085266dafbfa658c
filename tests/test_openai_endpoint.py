"""The OpenAI-compatible answerer against a real HTTP server: llama-cpp-python's own server running
the local model (no mocked client), and the error when no server answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SYRIA, make_settings

pytestmark = [pytest.mark.slow, pytest.mark.llm]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rag.llm.gguf import ensure_gguf

    gguf = ensure_gguf(make_settings().embedding.cache_dir)
    port = _free_port()
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", "--model_alias", "qwen-test"],
            stdout=fh, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"llama_cpp.server did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _engine(index: Path, **llm: object):  # type: ignore[no-untyped-def]
    from rag.engine import Engine
    from rag.settings import load_settings

    s = load_settings(llm=llm)
    s.index.path = index
    return Engine(s)


def test_openai_compatible_endpoint_answers_with_a_verified_citation(seeded_index: Path, llm_server: str) -> None:
    with _engine(seeded_index, base_url=llm_server, model="qwen-test") as engine:
        assert engine.settings.llm.base_url == llm_server
        streamed: list[str] = []
        result = engine.ask("How many US troops are in Syria?", on_token=streamed.append)  # auto -> openai
        assert result.answerer == "openai" and not result.abstained, result.reason
        assert "900" in result.answer and SYRIA in result.citations[0].quote
        c = result.citations[0]
        assert engine.article_text(c.article_id)[c.start : c.end] == c.quote
        assert "900" in "".join(streamed)


def test_an_unreachable_endpoint_is_a_clear_error(seeded_index: Path) -> None:
    from rag.errors import LLMError

    url = f"http://127.0.0.1:{_free_port()}/v1"
    with _engine(seeded_index, base_url=url, timeout_s=5) as engine:
        with pytest.raises(LLMError, match="unreachable") as info:
            engine.ask("How many US troops are in Syria?", answerer="openai")
        assert url in str(info.value) and "--answerer extractive" in str(info.value)
