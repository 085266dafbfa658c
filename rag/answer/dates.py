"""The article's own date as the answer to a "when" question its sentences do not date.

"Quando ha vinto lo scudetto il Napoli?" over an article dated 2023-05-04 whose sentence says only
"Il Napoli ha vinto lo scudetto": no sentence holds a date, so the reader abstains or answers with
something else. When a sentence of a dated article states the event (citation lookup's verdict on
the question's event, :mod:`rag.cite.verdict`, says *supported*), the answer is the article's date,
said to be the article's date, citing that sentence.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from rag.answer.spans import question_kind
from rag.answer.verify import DraftClaim
from rag.cite.verdict import Comparison, shipped_model, values
from rag.models import Filters


class Candidates(Protocol):
    """Citation lookup's candidates for a claim (``Engine.cite_candidates``)."""

    def __call__(self, claim: str, *, filters: Filters | None = None) -> tuple[list[Any], list[Comparison]]: ...


_WHEN = re.compile(
    r"\b(?:in\s+(?:what|which|che|quale)\s+anno|in\s+what\s+year|what\s+year|which\s+year|che\s+anno|when|quando)\b"
    r"(?:\s+(?:did|does|do|was|were|is|are|has|have|had|will))?",
    re.IGNORECASE,
)


def wants_date(question: str) -> bool:
    return question_kind(question) == "when"


def holds_date(text: str) -> bool:
    return any(v.kind == "date" for v in values(text))


def event_claim(question: str) -> str:
    """The event a "when" question asks about, as a claim: its when-words dropped."""
    return re.sub(r"\s+", " ", _WHEN.sub(" ", question)).strip(" ?¿")


def dated_evidence(question: str, claims: list[DraftClaim], evidence: list[Any], candidates: Candidates) -> int | None:
    """For a "when" question whose answer holds no date: the first of the top evidence sentences that
    holds none either, comes from a dated article, and states the question's event (citation lookup's
    verdict on it, among that article's sentences, is *supported*); None otherwise."""
    from rag.cite.lookup import judge

    if not wants_date(question) or any(holds_date(c.text) for c in claims):
        return None
    event = event_claim(question)
    for i, ev in enumerate(evidence[:3]):
        if not ev.date or holds_date(ev.sentence.text):
            continue
        docs, comparisons = candidates(event, filters=Filters(article_ids=[ev.sentence.article_id]))
        for d, j in zip(docs, judge(comparisons, shipped_model()), strict=True):
            if d.meta["sentence_id"] == ev.sentence.sentence_id and j.verdict == "supported":
                return i
    return None
