"""Lets through only evidence an answer may stand on; otherwise says why the service abstains.

Two gates, before any answerer runs (so an LLM is not even asked when nothing can support it):

1. Relevance: the best question-sentence cosine must reach a threshold, one for questions in the
   archive's language and one for other languages (calibrated on SQuAD-it DEV, BENCHMARKS.md).
2. Focus: every name and number of the question must be mentioned by some evidence sentence (or
   its article's title), across languages ("Afghanistan" is not "Iraq"; "US" is "Stati Uniti").
   Sentences mentioning more of them come first; sentences mentioning none are dropped.
"""

from __future__ import annotations

from typing import Any

from haystack import component

from rag.answer.checker import IndexChecker
from rag.answer.evidence import Evidence
from rag.answer.verify import covers, question_focus


@component
class EvidenceGate:
    def __init__(
        self,
        support: IndexChecker,
        *,
        corpus_language: str = "it",
        min_similarity: float = 0.84,
        min_similarity_cross: float = 0.795,
    ) -> None:
        """``support``: the engine's support checker (rag/answer/checker.py), shared with the answerers."""
        for name, value in (("min_similarity", min_similarity), ("min_similarity_cross", min_similarity_cross)):
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        self.support = support
        self.corpus_language = corpus_language
        self.min_similarity = min_similarity
        self.min_similarity_cross = min_similarity_cross

    def warm_up(self) -> None:
        self.support.warm_up()

    @component.output_types(evidence=list[Evidence], reason=str, figures=dict[str, float])
    def run(self, focus_question: str, language: str, evidence: list[Evidence]) -> dict[str, Any]:
        """``evidence`` (only when some passes both gates) or ``reason`` (why not, in words; the figures
        behind it, if any, in ``figures``)."""
        if not evidence:
            return {"reason": "nothing in the archive matches the question"}
        bar = self.min_similarity if language == self.corpus_language else self.min_similarity_cross
        best = max(ev.similarity for ev in evidence)
        if best < bar:
            why = "weak evidence: no passage in the archive is close enough to the question"
            return {"reason": why, "figures": {"best_similarity": round(best, 4), "needed": bar}}
        focus = question_focus(self.support.checker, focus_question, language)
        terms = [*focus.numbers, *focus.names]
        found: list[set[str]] = []
        for ev in evidence:
            _, miss = covers(self.support.checker, focus, ev, language)
            found.append(set(terms) - set(miss))
        union = set().union(*found)
        if union != set(terms):
            named = [t for t in terms if t not in union]
            return {"reason": f"the evidence does not mention {', '.join(named)}"}
        # the sentences mentioning most of what the question names come first (stable: rank breaks ties)
        order = sorted(range(len(evidence)), key=lambda i: -len(found[i]))
        kept = [evidence[i] for i in order if found[i] or not terms]
        return {"evidence": kept}
