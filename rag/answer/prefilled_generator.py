"""The local LLM's reply through llama.cpp's completion endpoint, its JSON opening already written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from haystack import component
from haystack.dataclasses import ChatMessage, StreamingChunk
from haystack.utils import Secret

from rag.answer import prompts


@component
class PrefilledGenerator:
    """Same messages in, same replies out as the chat generator, but the prompt is the packaged
    model's own chat template ending in an assistant turn that already holds ``{"answer":``, and a
    grammar holds the rest of the reply to the reply schema. The three tokens of that opening are read
    with the prompt (in one batch) instead of being decoded one at a time (≈ 90 ms each on 2 cores),
    so the answer's first token streams that much sooner. Decoding is the same greedy decoding as the
    chat endpoint's; three tokens read in one batch are not bit-identical to three decoded one by one,
    so a near-tie can go the other way (1 of 16 DEV answers differed: BENCHMARKS.md, issue 17)."""

    def __init__(
        self,
        api_base_url: str,
        api_key: Secret,
        *,
        max_tokens: int = 96,
        timeout: float = 60.0,
        model: str = "local",
    ) -> None:
        if not api_base_url.startswith(("http://", "https://")):
            raise ValueError(f"api_base_url must be an http(s) URL, got {api_base_url!r}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        self.api_base_url = api_base_url.rstrip("/")
        self.api_key = api_key
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.model = model

    def body(self, messages: list[ChatMessage], stream: bool) -> dict[str, Any]:
        """The completion request for ``messages`` (OpenAI-compatible, llama.cpp's ``grammar`` added)."""
        turns = [(m.role.value, m.text or "") for m in messages]
        return {
            "model": self.model,
            "prompt": prompts.chatml_prompt(turns, prompts.REPLY_PREFILL),
            "max_tokens": self.max_tokens,
            "temperature": 0.0,
            "repeat_penalty": 1.0,  # as the chat generator: copying the evidence's words is wanted
            "grammar": prompts.REPLY_REST_GRAMMAR,
            "stop": [prompts.CHATML_STOP],
            "stream": stream,
        }

    @component.output_types(replies=list[ChatMessage])
    def run(
        self, messages: list[ChatMessage], streaming_callback: Callable[[StreamingChunk], None] | None = None
    ) -> dict[str, list[ChatMessage]]:
        headers = {"Authorization": f"Bearer {self.api_key.resolve_value()}"}
        url = f"{self.api_base_url}/completions"
        with httpx.Client(timeout=self.timeout, headers=headers) as client:
            if streaming_callback is None:
                resp = client.post(url, json=self.body(messages, stream=False))
                resp.raise_for_status()
                text = str(resp.json()["choices"][0]["text"])
            else:
                streaming_callback(StreamingChunk(content=prompts.REPLY_PREFILL))
                pieces = []
                with client.stream("POST", url, json=self.body(messages, stream=True)) as resp:
                    resp.raise_for_status()
                    for piece in _sse_texts(resp.iter_lines()):
                        pieces.append(piece)
                        streaming_callback(StreamingChunk(content=piece))
                text = "".join(pieces)
        return {"replies": [ChatMessage.from_assistant(prompts.REPLY_PREFILL + text)]}


def _sse_texts(lines: Iterator[str]) -> Iterator[str]:
    """The text pieces of an OpenAI-compatible completion stream (server-sent events)."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        choices = json.loads(data).get("choices") or []
        if choices and choices[0].get("text"):
            yield str(choices[0]["text"])
