"""Chat messages for an LLM answerer: the system prompt and the numbered evidence as data."""

from __future__ import annotations

from typing import Any

from haystack import component, default_from_dict, default_to_dict
from haystack.dataclasses import ChatMessage

from rag.answer import prompts
from rag.answer.evidence import Evidence


@component
class AnswerPromptBuilder:
    """Shows the model the first ``max_evidence`` sentences (prompt size is what the time to the
    first token on a CPU depends on); outputs them too, numbered as in the prompt."""

    def __init__(self, max_evidence: int = 3) -> None:
        if max_evidence < 1:
            raise ValueError(f"max_evidence must be >= 1, got {max_evidence}")
        self.max_evidence = max_evidence

    @component.output_types(messages=list[ChatMessage], evidence=list[Evidence])
    def run(
        self, question: str, language: str, evidence: list[Evidence], history: list[tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        shown = evidence[: self.max_evidence]
        pairs = [(ev.title, ev.sentence.text) for ev in shown]
        return {
            "messages": [
                ChatMessage.from_system(prompts.system_prompt()),
                ChatMessage.from_user(prompts.user_prompt(question, pairs, history, language)),
            ],
            "evidence": shown,
        }

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, max_evidence=self.max_evidence)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnswerPromptBuilder:
        return default_from_dict(cls, data)
