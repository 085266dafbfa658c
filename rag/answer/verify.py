"""Turning a draft answer into a verified one: citations by construction, support checked.

Whatever an answerer proposes, only sentences of the evidence can be cited, each citation's quote
is cut from the stored article text at the sentence's span (``article_text[start:end] == quote``
is checked, never assumed), and a claim is kept only if a cited sentence supports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from rag.answer.evidence import Evidence
from rag.answer.support import KeyTerms, SupportChecker, quote_span, whole_at
from rag.models import Citation
from rag.text.numbers import normalize_number

#: Returns an article's stored text (or None when the article is gone).
ArticleText = Callable[[str], "str | None"]


@dataclass
class DraftClaim:
    """A claim and the evidence (0-based index) it cites; ``span``: its key span in that sentence."""

    text: str
    evidence: int
    span: tuple[int, int] | None = None
    support: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """For Haystack's pipeline snapshots."""
        return asdict(self)


_NOT_A_VALUE = re.compile(r"\d+(?:s|'s|st|nd|rd|th|°|ª|º)\b|\d+\s*[-–/]\s*\d+", re.IGNORECASE)


def question_focus(checker: SupportChecker, question: str, language: str) -> KeyTerms:
    """What the evidence must mention: the question's names and plain numbers (decades, ordinals
    and ranges, "the 1970s", "19th", "2013-14", are written differently in every language)."""
    terms = checker.key_terms(_NOT_A_VALUE.sub(" ", question), language)
    return KeyTerms(numbers=terms.numbers, names=terms.names)


def covers(checker: SupportChecker, focus: KeyTerms, ev: Evidence, language: str) -> tuple[bool, list[str]]:
    """Whether the sentence (or its article title, for names) mentions every focus term."""
    if not focus:
        return True, []
    _, missing = checker.find(focus, ev.sentence.text, language, context=ev.title)
    return not missing, missing


_MARK = re.compile(r"\[\s*\d+\s*\]")


def clean_claim(text: str) -> str:
    """A claim without citation marks of its own: only the service numbers citations."""
    return " ".join(_MARK.sub(" ", text).split())


def locate(answer: str, sentence: str) -> tuple[int, int] | None:
    """The answer's exact span in the sentence: whole words and numbers (``900`` is not in
    ``2.900``), case-insensitive (offsets stay exact when case folding changes the length, ``İ``,
    ``ß``); ``2500`` finds ``2.500``. An answer without a letter or digit is never located."""
    text = answer.strip().strip(".")
    if not any(ch.isalnum() for ch in text):  # nothing to point at: "", "«", "-"
        return None
    span = quote_span(text, sentence, ignore_case=True)
    if span is not None:
        return span
    if re.fullmatch(r"\d+(?:[.,]\d+)*", text):
        want = normalize_number(text)
        for m in re.finditer(r"\d+(?:[.,]\d+)*", sentence):
            if normalize_number(m.group()) == want and whole_at(sentence, m.start(), m.end()):
                return m.start(), m.end()
    return None


def parse_reply(text: str) -> tuple[str | None, int | None]:
    """``(answer, evidence number)`` from a model's JSON reply; ``(None, None)`` when it has none."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if not match:
        return None, None
    try:
        data = json.loads(match.group())
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    answer = data.get("answer")
    n = data.get("evidence")
    answer = answer.strip() if isinstance(answer, str) and answer.strip() else None
    if answer and answer.strip().upper() in {"NULL", "NONE", "NO_ANSWER", "N/A"}:
        answer = None
    return answer, n if isinstance(n, int) and not isinstance(n, bool) else None


def build_citations(
    claims: list[DraftClaim], evidence: list[Evidence], article_text: ArticleText
) -> tuple[list[Citation], list[list[int]]]:
    """Citations numbered in order of first use, and each claim's citation numbers.

    A claim whose sentence fails the contract check (the stored text moved under it, or its offsets
    lie outside the text) gets none; a key span that does not lie inside its sentence is not
    highlighted.
    """
    citations: list[Citation] = []
    number_of: dict[str, int] = {}
    texts: dict[str, str | None] = {}
    per_claim: list[list[int]] = []
    for claim in claims:
        if not 0 <= claim.evidence < len(evidence):
            per_claim.append([])
            continue
        ev = evidence[claim.evidence]
        s = ev.sentence
        if s.article_id not in texts:
            texts[s.article_id] = article_text(s.article_id)
        text = texts[s.article_id]
        # the bounds too: Python slices clamp them, a negative start even counts from the end
        if text is None or not 0 <= s.start < s.end <= len(text) or text[s.start : s.end] != s.text:
            per_claim.append([])
            continue
        if s.sentence_id not in number_of:
            number_of[s.sentence_id] = len(citations) + 1
            span = claim.span
            inside = span is not None and 0 <= span[0] < span[1] <= s.end - s.start
            highlight = [s.start + span[0], s.start + span[1]] if span is not None and inside else None
            citations.append(
                Citation(
                    n=number_of[s.sentence_id],
                    article_id=s.article_id,
                    title=ev.title,
                    source=ev.source,
                    sentence_id=s.sentence_id,
                    start=s.start,
                    end=s.end,
                    quote=text[s.start : s.end],
                    date=ev.date,
                    url=ev.url,
                    support=list(claim.support),
                    highlight=highlight,
                )
            )
        per_claim.append([number_of[s.sentence_id]])
    return citations, per_claim
