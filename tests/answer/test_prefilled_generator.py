"""The prefilled generator's plumbing against a fake completion server: the request it sends, the
reply it assembles (streamed or not), and errors that reach the supervisor unchanged."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from haystack.dataclasses import ChatMessage, StreamingChunk
from haystack.utils import Secret

from rag.answer import prompts
from rag.answer.prefilled_generator import PrefilledGenerator
from rag.llm.stream import AnswerStream

REST = ' "900", "evidence": 1}'  # what the model writes after the prefilled opening


class _Fake:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.status = 200


@pytest.fixture()
def fake() -> Iterator[tuple[_Fake, str]]:
    state = _Fake()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append((dict(self.headers), body))
            if state.status != 200:
                self.send_response(state.status)
                self.end_headers()
                return
            self.send_response(200)
            if body["stream"]:
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in (' "', "90", "0", '", "evidence', '": 1}'):
                    self.wfile.write(f"data: {json.dumps({'choices': [{'text': piece}]})}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
            else:
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"choices": [{"text": REST}]}).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


MESSAGES = [ChatMessage.from_system("SYS"), ChatMessage.from_user("Evidence:\n[1] x\n\nQuestion: q")]


def test_the_request_is_the_chat_template_with_the_reply_begun(fake: tuple[_Fake, str]) -> None:
    state, url = fake
    out = PrefilledGenerator(url, Secret.from_token("k3y"), max_tokens=40).run(MESSAGES)
    assert out["replies"][0].text == prompts.REPLY_PREFILL + REST
    assert json.loads(out["replies"][0].text or "") == {"answer": "900", "evidence": 1}
    headers, body = state.requests[0]
    assert headers["Authorization"] == "Bearer k3y"
    assert body["prompt"] == (
        "<|im_start|>system\nSYS<|im_end|>\n<|im_start|>user\nEvidence:\n[1] x\n\nQuestion: q<|im_end|>\n"
        '<|im_start|>assistant\n{"answer":'
    )
    assert body["grammar"] == prompts.REPLY_REST_GRAMMAR and body["stop"] == ["<|im_end|>"]
    assert body["temperature"] == 0.0 and body["max_tokens"] == 40 and body["stream"] is False


def test_a_streamed_reply_reaches_the_answer_stream_from_its_first_piece(fake: tuple[_Fake, str]) -> None:
    _, url = fake
    chunks: list[StreamingChunk] = []
    text: list[str] = []
    stream = AnswerStream(text.append)

    def callback(chunk: StreamingChunk) -> None:
        chunks.append(chunk)
        stream.feed(chunk.content)

    out = PrefilledGenerator(url, Secret.from_token("k")).run(MESSAGES, streaming_callback=callback)
    assert chunks[0].content == prompts.REPLY_PREFILL  # the opening, so the stream finds the answer's start
    assert "".join(text) == "900"
    assert json.loads(out["replies"][0].text or "") == {"answer": "900", "evidence": 1}


@pytest.mark.parametrize("streamed", [False, True])
def test_a_server_error_is_raised_for_the_supervisor_to_diagnose(fake: tuple[_Fake, str], streamed: bool) -> None:
    state, url = fake
    state.status = 500
    callback = (lambda _c: None) if streamed else None
    with pytest.raises(httpx.HTTPStatusError):
        PrefilledGenerator(url, Secret.from_token("k")).run(MESSAGES, streaming_callback=callback)


def test_a_dead_server_is_a_connection_error() -> None:
    with pytest.raises(httpx.ConnectError):
        PrefilledGenerator("http://127.0.0.1:9/v1", Secret.from_token("k"), timeout=2).run(MESSAGES)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"api_base_url": "localhost:8080"}, "http(s) URL"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], says: str) -> None:
    args: dict[str, Any] = {"api_base_url": "http://127.0.0.1:1/v1", "api_key": Secret.from_token("k"), **kwargs}
    with pytest.raises(ValueError, match=re.escape(says)):
        PrefilledGenerator(**args)


def test_only_the_packaged_model_is_prefilled(tmp_path: Any) -> None:
    from rag.answer.generators import make_generator
    from rag.settings import load_settings

    class Local:
        api_key, base_url = "k", "http://127.0.0.1:1/v1"

    s = load_settings()
    assert isinstance(make_generator(s, "local", Local()), PrefilledGenerator)  # type: ignore[arg-type]
    s.llm.prefill = False
    assert not isinstance(make_generator(s, "local", Local()), PrefilledGenerator)  # type: ignore[arg-type]
    s.llm.prefill = True
    s.llm.gguf_path = tmp_path / "other.gguf"  # its chat template is not known: the chat endpoint
    assert not isinstance(make_generator(s, "local", Local()), PrefilledGenerator)  # type: ignore[arg-type]
