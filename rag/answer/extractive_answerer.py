"""The extractive answerer: no LLM; the answer is the best evidence sentence (evidence that passed
the gate mentions what the question names), with the asked-for number or date pointed out when it
can be found reliably."""

from __future__ import annotations

from typing import Any

from haystack import component

from rag.answer.checker import IndexChecker
from rag.answer.evidence import Evidence
from rag.answer.spans import has_answer_type, key_span
from rag.answer.verify import DraftClaim, question_focus


@component
class ExtractiveAnswerer:
    """Outputs at most ``max_claims`` claims, each a sentence (or its key span) citing itself."""

    def __init__(self, support: IndexChecker, *, max_claims: int = 1) -> None:
        """``support``: the engine's support checker (rag/answer/checker.py), shared with the gate."""
        if max_claims < 1:
            raise ValueError(f"max_claims must be >= 1, got {max_claims}")
        self.support = support
        self.max_claims = max_claims

    def warm_up(self) -> None:
        self.support.warm_up()

    @component.output_types(claims=list[DraftClaim])
    def run(self, question: str, focus_question: str, language: str, evidence: list[Evidence]) -> dict[str, Any]:
        """``question``: what is searched (a resolved follow-up); ``focus_question``: what the user
        typed last, whose names locate the key span."""
        checker = self.support.checker
        focus = question_focus(checker, focus_question, language)
        claims: list[DraftClaim] = []
        # A "how many"/"when" question is answered by a sentence holding a number/date, if any does.
        typed = [i for i, ev in enumerate(evidence) if has_answer_type(question, ev.sentence.text)]
        order = typed + [i for i in range(len(evidence)) if i not in typed]
        for i in order[: self.max_claims]:
            ev = evidence[i]
            text = ev.sentence.text
            span = key_span(question, text, checker.anchor_spans(focus, text, language))
            claims.append(DraftClaim(text[span[0] : span[1]] if span else text, i, span, ["quote"]))
        return {"claims": claims}
