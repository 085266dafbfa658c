"""The article's own date as the answer to a "when" question its sentences do not date.

"Quando ha vinto lo scudetto il Napoli?" over an article dated 2023-05-04 whose sentence says only
"Il Napoli ha vinto lo scudetto": no sentence holds a date, so the reader abstains or answers with
something else. When a sentence of a dated article states the event (citation lookup's verdict on
the question's event, :mod:`rag.answer.verdict`, says *supported*), the answer is the article's date,
said to be the article's date, citing that sentence.
"""

from __future__ import annotations

import re

from rag.answer.spans import question_kind
from rag.answer.verdict import values

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
