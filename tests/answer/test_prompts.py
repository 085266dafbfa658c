"""The prompt pieces the local model's prefilled reply stands on."""

from __future__ import annotations

import importlib.util
import json

import pytest

from rag.answer import prompts


def _rules(grammar: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())


@pytest.mark.llm  # loads llama.cpp's library into this process
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="the llm extra is not installed")
def test_the_rest_grammar_is_the_reply_schemas_own_after_the_prefill() -> None:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    full = _rules(json_schema_to_gbnf(json.dumps(prompts.REPLY_SCHEMA)))
    rest = _rules(prompts.REPLY_REST_GRAMMAR)
    # llama.cpp's reply grammar opens with `{` space `"answer"` space `:` space, the prefill's characters
    assert full.pop("root") == '"{" space answer-kv "," space evidence-kv "}" space'
    assert full.pop("answer-kv") == '"\\"answer\\"" space ":" space answer'
    assert prompts.REPLY_PREFILL == '{"answer":'
    assert rest.pop("root") == 'space answer "," space evidence-kv "}" space'
    assert rest == full  # every other rule the same: the same replies are allowed


def test_the_chat_template_writes_turns_then_the_begun_reply() -> None:
    text = prompts.chatml_prompt([("system", "S"), ("user", "U\nV")], '{"answer":')
    assert (
        text == '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU\nV<|im_end|>\n<|im_start|>assistant\n{"answer":'
    )
