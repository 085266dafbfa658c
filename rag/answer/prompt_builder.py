"""Chat messages for an LLM answerer: the system prompt and the numbered evidence as data."""

from __future__ import annotations

from typing import Any

from haystack import component
from haystack.dataclasses import ChatMessage

from rag.answer import prompts
from rag.answer.evidence import Evidence
from rag.answer.verify import DraftClaim


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
        self,
        question: str,
        language: str,
        evidence: list[Evidence],
        history: list[tuple[str, str]] | None = None,
        reader_claims: list[DraftClaim] | None = None,
    ) -> dict[str, Any]:
        """``reader_claims``: the reader's answer, shown as a hint (the model phrases it in the question's
        language; the verifier still reads what it says)."""
        shown = evidence[: self.max_evidence]
        pairs = [(ev.title, ev.sentence.text) for ev in shown]
        found = None
        if reader_claims and 0 <= reader_claims[0].evidence < len(shown):
            found = (reader_claims[0].text, reader_claims[0].evidence + 1)
        return {
            "messages": [
                ChatMessage.from_system(prompts.system_prompt()),
                ChatMessage.from_user(prompts.user_prompt(question, pairs, history, language, found)),
            ],
            "evidence": shown,
        }
