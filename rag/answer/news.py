"""Answers that know news is about time and sources (issue 26).

- A question that names a period is searched twice (as asked, and within the period by article
  date), and answered only from evidence whose time (rag/answer/periods.py) lies inside the period,
  or that has no time at all; when all the evidence lies outside it, the service abstains and says
  what the archive holds instead ("no report in the archive gives it for December 2021; the nearest: …").
- Every answer says as of when, and from whom: the date and outlet of the article it cites.
- The values the top evidence of different articles gives for the question are compared
  (:mod:`rag.answer.sources`): without a period, the latest answers ("as of"); reports close in
  time that differ are all shown ("Sources differ").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rag.answer import prompts
from rag.answer.evidence import Evidence
from rag.answer.periods import Period, QuestionTime, sentence_period
from rag.answer.sources import claims_for, decide, reports
from rag.models import AnswerResult, AsOf, Filters, SearchResult, SourceValue

PLACES = ("inside", "outside", "undated")
#: Evidence of the period this much less close to the question than other periods' is about something else.
CLOSE = 0.05


def within(filters: Filters | None, period: Period) -> Filters | None:
    """``filters`` narrowed to the period's article dates; None when the two do not meet."""
    start, end = period.iso()
    base = filters or Filters()
    lo = max(start, base.date_from) if base.date_from else start
    hi = min(end, base.date_to) if base.date_to else end
    if lo > hi:
        return None
    return replace(base, date_from=lo, date_to=hi)


def merge(first: SearchResult, second: SearchResult) -> SearchResult:
    """The hits and evidence of both searches, ``first``'s first, each once."""
    hits = {h.chunk_id: h for h in [*first.hits, *second.hits]}
    seen: set[str] = set()
    evidence = []
    for ev in [*first.evidence, *second.evidence]:
        if ev.sentence_id not in seen:
            seen.add(ev.sentence_id)
            evidence.append(ev)
    terms = first.terms or second.terms
    return replace(  # the first's language and notice: it is the search as asked
        first, hits=list(hits.values()), evidence=evidence, terms=terms, seconds=first.seconds + second.seconds
    )


def evidence_period(ev: Evidence) -> Period | None:
    return sentence_period(ev.sentence.text, ev.date)


def _where(period: Period, when: Period | None) -> str:
    return "undated" if when is None else ("inside" if period.covers(when) else "outside")


def focus_period(
    search: Callable[..., SearchResult], found: SearchResult, question: str, qt: QuestionTime, filters: Filters | None
) -> tuple[SearchResult, bool, QuestionTime]:
    """For a question with a period: ``found`` joined with a search within the period's article dates
    (for the question without its period's words: the dates say it), then without the dated hits and
    sentences outside the period (a sentence's time is the date it states, else its article's).
    Returns it; whether the archive lacks the period: dated reports, none of them inside it and about
    as close to the question as the best of the others (then ``found`` comes back whole, and the answer
    from it becomes the abstention that names the period and what the nearest report says; undated
    evidence alone cannot tell a period); and the question's time as it applies here: with no dated
    article among the hits (an encyclopedia, say) a period is left to the question's words, as before
    (the gate wants them mentioned)."""
    period = qt.period
    if period is None:
        return found, False, qt
    if not any(h.date for h in found.hits):  # no dated article: times cannot be told
        return found, False, QuestionTime(None, qt.latest, question)
    narrowed = within(filters, period)
    if narrowed is not None:
        found = merge(found, search(qt.rest or question, filters=narrowed))  # the question's own ranking first
    dates = {h.article_id: h.date for h in found.hits}
    where = {
        ev.sentence_id: _where(period, sentence_period(ev.text, dates.get(ev.article_id))) for ev in found.evidence
    }
    similarity = {ev.sentence_id: ev.similarity or 0.0 for ev in found.evidence}
    best = {place: max((similarity[i] for i, w in where.items() if w == place), default=-1.0) for place in PLACES}
    if best["outside"] >= 0 and best["inside"] < best["outside"] - CLOSE:  # reports of other periods only
        return found, True, qt  # (or of this period, about something else: far less close to the question)
    keep_sentences = [ev for ev in found.evidence if where[ev.sentence_id] != "outside"]
    kept_ids = {ev.sentence_id for ev in keep_sentences}
    hits = []
    for h in found.hits:
        inside = [s for s in h.sentences if s.sentence_id in kept_ids]
        if inside or _where(period, sentence_period(h.text[:0], h.date)) != "outside":
            hits.append(replace(h, sentences=inside or h.sentences))
    return replace(found, hits=hits, evidence=keep_sentences), False, qt


def as_of(result: AnswerResult, language: str) -> None:
    """Says when and by whom the cited report was published, in the answer and in ``result.as_of``."""
    if result.abstained or not result.citations or result.sources_differ:
        return
    first = result.citations[0]
    if not first.date and not first.source:
        return
    result.as_of = AsOf(first.date, first.source or None, first.n)
    when = prompts.news_text(prompts.AS_OF, language, date=first.date) if first.date else None
    said = ", ".join(x for x in (when or prompts.news_text(prompts.UNDATED, language), first.source) if x)
    result.answer = f"{result.answer} ({said})"


def missing_period(result: AnswerResult, qt: QuestionTime, language: str) -> AnswerResult:
    """``result``, answered from evidence outside the question's period, made the abstention it must
    be: no report gives it for that period; what the nearest report says is named, and cited as nearest."""
    assert qt.period is not None
    reason = prompts.news_text(prompts.NO_PERIOD, language, period=qt.period.label)
    if not result.abstained and result.citations:
        c = result.citations[0]
        when = sentence_period(c.quote, c.date)
        value = (result.claims[0].rendered or result.claims[0].text) if result.claims else c.quote
        who = f" ({c.source})" if c.source else ""
        near = prompts.news_text(
            prompts.NEAREST_PERIOD, language, when=when.label if when else "", who=who, value=value
        )
        reason = f"{reason}; {near}"
        result.nearest = [replace(c, n=1, support=[], highlight=None)]
    if result.abstained and result.reason:  # why the answer from other periods abstained, kept
        reason = f"{reason}; {result.reason}"
    result.abstained, result.citations, result.claims = True, [], []
    result.reason = reason
    result.answer = f"{prompts.abstain_text(language)} {reason[0].upper()}{reason[1:]}."
    result.as_of, result.sources_differ = None, []
    return result


def finish(
    result: AnswerResult, qt: QuestionTime, lacking: bool, differ: bool, language: str, conversation: Any = None
) -> AnswerResult:
    """The composed answer made a news answer: the abstention a missing period calls for, the values
    of sources that differ, and as of when and by whom."""
    cited = result.citations[0] if result.citations else None
    outside = (
        qt.period is not None
        and cited is not None
        and (when := sentence_period(cited.quote, cited.date)) is not None
        and not qt.period.covers(when)
    )
    if qt.period is not None and (lacking or outside):
        result = missing_period(result, qt, language)
    elif qt.period is not None and result.abstained:  # reports of the period exist; none states it
        said = prompts.news_text(prompts.NOT_FOR_PERIOD, language, period=qt.period.label)
        result.reason = f"{said}; {result.reason}" if result.reason else said
        result.answer = f"{prompts.abstain_text(language)} {said[0].upper()}{said[1:]}."
    elif differ and len(result.claims) > 1:
        by_n = {c.n: c for c in result.citations}
        shown = []
        for claim in result.claims:
            c = by_n[claim.citations[0]]
            result.sources_differ.append(SourceValue(claim.rendered or claim.text, c.n, c.source or None, c.date))
            about = ", ".join(x for x in (c.source, c.date) if x)
            shown.append(f"{claim.rendered or claim.text} [{c.n}]" + (f" ({about})" if about else ""))
        result.answer = prompts.news_text(prompts.SOURCES_DIFFER, language, values=" · ".join(shown))
    else:
        as_of(result, language)
    if conversation is not None and conversation.turns:
        conversation.turns[-1].answer = result.answer
    return result


def compare_reports(
    reader: Any, question: str, found: SearchResult, qt: QuestionTime, claims: list[Any], evidence: list[Evidence]
) -> tuple[bool, list[Any], list[Evidence]]:
    """The answer's claims and evidence once each of the top articles' own answer is known (the reader,
    when the extractive answerer has one): the latest report's value, or one claim per differing value.
    Returns whether the sources differ, and the claims and evidence to compose."""
    if not claims or not hasattr(reader, "choose") or not any(h.date for h in found.hits):
        return False, claims, evidence  # (undated reports cannot be placed in time: nothing to compare)
    decision = decide(reports(reader, question, found.hits, found.evidence, found.terms), qt)
    claims, evidence = claims_for(decision, claims, evidence)
    return bool(decision.differ), claims, evidence
