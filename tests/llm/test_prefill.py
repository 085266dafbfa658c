"""The prefilled reply of the packaged model is the chat endpoint's reply on clear cases: same template,
same greedy decoding, only the JSON opening read with the prompt instead of decoded (near-ties may
differ: BENCHMARKS.md, issue 17). Real model, real worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from haystack.dataclasses import ChatMessage

from rag.answer import prompts
from tests.conftest import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.llm]

SYRIA_IT = (
    "Gli Stati Uniti hanno circa 2.500 soldati in Iraq e 900 nella vicina Siria, dove sono impegnati "
    "nella lotta contro lo Stato islamico."
)
CASES = [
    ("Quanti soldati americani ci sono in Siria?", "it", [("Truppe", SYRIA_IT)], ("900", 1)),
    ("How many US troops are in Syria?", "en", [("Truppe", SYRIA_IT)], ("900", 1)),
    ("Who won the 2018 World Cup?", "en", [("Truppe", SYRIA_IT)], None),
    (
        "In che anno fu fondata la città?",
        "it",
        [("Storia", "La città fu fondata nel 1221 dai monaci."), ("Storia", "Oggi conta 40.000 abitanti.")],
        None,
    ),
]


@pytest.fixture(scope="module")
def local() -> Iterator[Any]:
    from rag.answer.generators import warm_messages
    from rag.llm.supervisor import make_local

    llm = make_local(make_settings(), warm_messages)
    llm.start()
    llm.ensure_ready()
    yield llm
    llm.close()


def _messages(question: str, language: str, evidence: list[tuple[str, str]], found: Any) -> list[ChatMessage]:
    user = prompts.user_prompt(question, evidence, None, language, found)
    return [ChatMessage.from_system(prompts.system_prompt()), ChatMessage.from_user(user)]


def test_the_packaged_models_template_is_the_one_prefilled() -> None:
    import llama_cpp
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from rag.llm.gguf import ensure_gguf

    model = llama_cpp.Llama(str(ensure_gguf(make_settings().embedding.cache_dir)), vocab_only=True, verbose=False)
    formatter = Jinja2ChatFormatter(
        template=model.metadata["tokenizer.chat_template"],
        eos_token=model._model.token_get_text(model.token_eos()),
        bos_token="",
    )
    turns = [("system", prompts.system_prompt()), ("user", "Evidence:\n[1] (T) x\n\nQuestion: q")]
    rendered = formatter(messages=[{"role": r, "content": c} for r, c in turns])
    assert prompts.chatml_prompt(turns) == rendered.prompt
    assert rendered.stop == [prompts.CHATML_STOP]


@pytest.mark.parametrize(("question", "language", "evidence", "found"), CASES)
def test_the_prefilled_reply_is_the_chat_reply(
    local: Any, question: str, language: str, evidence: Any, found: Any
) -> None:
    from rag.answer.generators import make_generator
    from rag.answer.prefilled_generator import PrefilledGenerator

    s = make_settings()
    s.llm.prefill = False
    chat = make_generator(s, "local", local)
    s.llm.prefill = True
    prefilled = make_generator(s, "local", local)
    assert isinstance(prefilled, PrefilledGenerator) and not isinstance(chat, PrefilledGenerator)
    messages = _messages(question, language, evidence, found)
    want = chat.run(messages=messages)["replies"][0].text
    streamed: list[str] = []
    got = prefilled.run(messages=messages, streaming_callback=lambda c: streamed.append(c.content))["replies"][0].text
    assert json.loads(got) == json.loads(want), (got, want)
    assert "".join(streamed) == got
