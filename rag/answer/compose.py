"""An answer as the user gets it: the answerer's claims cited, rendered and put in an
:class:`~rag.models.AnswerResult` (or the abstention, with the nearest sentences found)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rag.answer import prompts
from rag.answer.followup import Conversation, Turn
from rag.answer.values import english_value
from rag.answer.verify import DraftClaim, build_citations
from rag.models import AnswerResult, Citation, Claim


def render_claim(claim: DraftClaim, numbers: list[int], evidence: list[Any], rendered: str | None = None) -> str:
    """``rendered``: the claim's value in the question's language (rag/answer/values.py), if any."""
    marks = "".join(f"[{n}]" for n in numbers)
    if rendered:
        return f"{rendered} {marks}"
    text = claim.text.strip()
    if claim.span is None and "quote" in claim.support and text == evidence[claim.evidence].sentence.text:
        return f"«{text}» {marks}"
    return f"{text} {marks}"


def nearest(evidence: list[Any], article_text: Callable[[str], str | None], n: int = 3) -> list[Citation]:
    """The first ``n`` evidence sentences as citations that support nothing (``support`` empty),
    each checked against its article's text."""
    out: list[Citation] = []
    for ev in evidence[:n]:
        s = ev.sentence
        text = article_text(s.article_id)
        if text is None or text[s.start : s.end] != s.text:
            continue
        out.append(
            Citation(len(out) + 1, s.article_id, ev.title, ev.source, s.sentence_id, s.start, s.end, s.text,
                     ev.date, ev.url)
        )  # fmt: skip
    return out


@dataclass
class Composer:
    """What one question's answer is composed with (:meth:`rag.engine.Engine.ask`)."""

    question: str
    standalone: str
    language: str
    article_text: Callable[[str], str | None]
    conversation: Conversation | None = None
    #: an English question over the Italian archive reads its values in English ("13 billion euros")
    translate: bool = False
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)

    def finish(
        self,
        claims: list[DraftClaim],
        reason: str | None,
        evidence: list[Any],
        answerer: str,
        *,
        article_date: str | None = None,
    ) -> AnswerResult:
        """The result: each claim cited from the sentence that supports it (one that none supports
        is dropped); none left is an abstention, with ``reason`` and the nearest sentences."""
        citations, numbers = build_citations(claims, evidence, self.article_text) if claims else ([], [])
        kept = [(c, ns) for c, ns in zip(claims, numbers, strict=True) if ns]
        shown = [english_value(c.text) if c.span is not None and self.translate else None for c, _ in kept]
        text = " ".join(render_claim(c, ns, evidence, r) for (c, ns), r in zip(kept, shown, strict=True))
        abstained = not kept
        result = AnswerResult(
            question=self.question,
            answer=prompts.abstain_text(self.language) if abstained else text,
            abstained=abstained,
            language=self.language,
            citations=citations if not abstained else [],
            answerer=answerer,
            timings={**self.timings, "total_ms": round(1000 * (time.perf_counter() - self.started), 1)},
            claims=[Claim(c.text, ns, r) for (c, ns), r in zip(kept, shown, strict=True)],
            standalone_question=self.standalone if self.standalone != self.question else None,
            reason=(reason or "no cited sentence supports an answer") if abstained else None,
            nearest=nearest(evidence, self.article_text) if abstained else [],
        )
        if article_date is not None and result.claims:  # the date is the article's: say so, quote the sentence
            words = prompts.article_date_text(self.language, article_date)
            result.claims[0].rendered = words
            marks = "".join(f"[{n}]" for n in result.claims[0].citations)
            result.answer = f"{words}: «{result.claims[0].text}» {marks}"
        if self.conversation is not None:
            self.conversation.add(Turn(self.question, self.standalone, result.answer))
        return result

    def finish_dated(self, evidence: list[Any], dated: int, answerer: str) -> AnswerResult:
        """A "when" question answered by the date of the article whose sentence ``evidence[dated]``
        states the event (rag/answer/dates.py): the sentence is cited, the date said to be the article's."""
        ev = evidence[dated]
        claim = DraftClaim(ev.sentence.text, dated, None, ["quote"])
        return self.finish([claim], None, evidence, answerer, article_date=ev.date)
