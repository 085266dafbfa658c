"""What each report says: the value the top articles give for a question, the latest first, and
whether reports close in time disagree (issue 26).

The reader (the extractive answerer's :meth:`~rag.answer.reader_answerer.ReaderAnswerer.choose`)
answers the question once per article among the best hits, each with its own confidence; values are
compared by their numbers ("2.500", "2,500" and "2500" are one value) or, without numbers, by their
words. Then:

- reports of one value: nothing to add;
- different values, the latest of them alone within :data:`WINDOW_DAYS` of the most recent report:
  the latest answers (figures change from one report to the next; "now" means the latest);
- different values among the reports within that window: the sources differ, and the answer names
  each value with its outlet, date and citation.

Undated reports take no part: nothing tells whether they speak of the same moment (an encyclopedia's
paragraphs, say, each answering for another time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag.answer.evidence import Evidence
from rag.answer.periods import Period, QuestionTime, sentence_period
from rag.answer.verify import DraftClaim
from rag.cite.verdict import values
from rag.models import EvidenceSentence, SearchHit
from rag.text.negation import denial

#: Reports this close to the most recent one count as the same moment (the same day's news, or the
#: next day's): their values should agree. Farther apart, a figure has changed.
WINDOW_DAYS = 2
#: Articles read for their own answer, at most (those whose best sentence is close to the question).
ARTICLES = 6
#: A report counts when its sentence is about as close to the question as the best evidence: at most
#: this much below it in cosine similarity (the same question about another event is farther).
CLOSE = 0.05
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Report:
    value: str  # the reader's span, verbatim
    key: str
    evidence: Evidence
    span: tuple[int, int]  # of the value in the sentence
    period: Period | None  # when it was published: its article's date (None: undated)
    confidence: float
    #: the sentence's own time (the date it states, else the article's), for a question's period
    when: Period | None = None


_UNITS = [
    "zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci", "undici", "dodici",
    "tredici", "quattordici", "quindici", "sedici", "diciassette", "diciotto", "diciannove", "venti",
]  # fmt: skip
_UNITS_EN = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]  # fmt: skip
_TENS = {"trenta": 30, "quaranta": 40, "cinquanta": 50, "sessanta": 60, "settanta": 70, "ottanta": 80, "novanta": 90}
_TENS_EN = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORDS = {w: i for i, w in enumerate(_UNITS)} | {w: i for i, w in enumerate(_UNITS_EN)} | _TENS | _TENS_EN
_WORDS |= {"una": 1, "un": 1, "cento": 100, "mille": 1000, "hundred": 100, "thousand": 1000}
_WORDS |= {
    f"{w}mila": n * 1000 for w, n in [*zip(_UNITS[2:11], range(2, 11), strict=True), ("venti", 20), ("cento", 100)]
}
#: "una trentina" is about thirty: a value of its own, not 30.
_ABOUT = {"decina": 10, "dozzina": 12, "quindicina": 15, "ventina": 20, "trentina": 30, "quarantina": 40,
          "cinquantina": 50, "sessantina": 60, "settantina": 70, "ottantina": 80, "novantina": 90,
          "centinaio": 100, "migliaio": 1000}  # fmt: skip


def word_value(word: str) -> int | None:
    """A number said in one word ("ten", "cinque", "ventimila"), or None."""
    return _WORDS.get(word.lower())


def _word_number(text: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(text)]
    for i, w in enumerate(words):
        if w in _ABOUT and i and words[i - 1] in ("una", "un"):
            return f"~{_ABOUT[w]}"
    for w in words:
        if w in _WORDS and w not in ("una", "un", "uno", "one"):
            return str(_WORDS[w])
    return None


def value_key(text: str) -> str:
    """What two values must share to be one: their numbers (any notation: "sette" is 7), else their words."""
    numbers = [v.key for v in values(text) if v.kind in ("number", "date")]
    if not numbers and (said := _word_number(text)) is not None:
        return said
    if numbers:
        return " ".join(numbers)
    return " ".join(w.lower() for w in _WORD.findall(text))


def reports(
    answerer: Any, question: str, hits: list[SearchHit], scored: list[EvidenceSentence], terms: Any
) -> list[Report]:
    """The reader's answer in each of the first :data:`ARTICLES` articles of ``hits`` that holds one
    with enough confidence (and does not deny it)."""
    order: list[str] = []
    for h in hits:
        if h.article_id not in order:
            order.append(h.article_id)
    similarity = {s.sentence_id: s.similarity for s in scored if s.similarity is not None}
    best = max(similarity.values(), default=0.0)
    out: list[Report] = []
    for article_id in order[:ARTICLES]:
        own = [h for h in hits if h.article_id == article_id]
        found = answerer.choose(question, own, [s for s in scored if s.article_id == article_id], terms)
        if found is None:
            continue
        cand, confidence, bar = found
        if confidence < bar or cand.span is None:
            continue
        a, b = cand.span[0] - cand.start, cand.span[1] - cand.start
        text = cand.text[a:b].strip()
        a += len(cand.text[a:b]) - len(cand.text[a:b].lstrip())
        if not any(ch.isalnum() for ch in text) or denial(cand.text, a, a + len(text)):
            continue
        if similarity.get(cand.sentence_id, 0.0) < best - CLOSE:
            continue  # a sentence about something else that the reader still answers from
        hit = own[0]
        sentence = EvidenceSentence(article_id, cand.sentence_id, cand.start, cand.end, cand.text, 0.0, confidence)
        ev = Evidence(sentence, hit.title, hit.source, hit.date, hit.url)
        out.append(
            Report(text, value_key(text), ev, (a, a + len(text)), sentence_period(cand.text, hit.date), confidence)
        )
    return out


@dataclass(frozen=True)
class Decision:
    latest: Report | None = None  # answer with this one (it is the latest, and alone in its window)
    differ: tuple[Report, ...] = ()  # or name these, one per value


def decide(found: list[Report], qt: QuestionTime) -> Decision:
    if qt.period is not None:
        found = [r for r in found if r.when is None or qt.period.covers(r.when)]
    dated = [r for r in found if r.period is not None]  # an undated report cannot be placed in time
    if len({r.key for r in dated}) <= 1:
        return Decision()
    newest = max(dated, key=lambda r: r.period.end)  # type: ignore[union-attr]
    assert newest.period is not None
    recent = [r for r in dated if r.period is not None and newest.period.distance(r.period) <= WINDOW_DAYS]
    if len({r.key for r in recent}) > 1:
        return Decision(differ=_one_each(sorted(recent, key=lambda r: -r.confidence)))
    return Decision(latest=max(recent, key=lambda r: r.confidence))


def _one_each(found: list[Report]) -> tuple[Report, ...]:
    seen: dict[str, Report] = {}
    for r in found:
        seen.setdefault(r.key, r)
    return tuple(seen.values())


def claims_for(
    decision: Decision, claims: list[DraftClaim], evidence: list[Evidence]
) -> tuple[list[DraftClaim], list[Evidence]]:
    """The answer's claims and evidence after ``decision``: unchanged, the latest report's value, or one
    claim per differing value (each citing its report's sentence)."""
    chosen = [decision.latest] if decision.latest is not None else list(decision.differ)
    if not chosen:
        return claims, evidence
    if decision.latest is not None and claims and value_key(claims[0].text) == decision.latest.key:
        return claims, evidence  # the answer is the latest already
    evidence = list(evidence)
    out = []
    for r in chosen:
        ids = [ev.sentence.sentence_id for ev in evidence]
        if r.evidence.sentence.sentence_id in ids:
            i = ids.index(r.evidence.sentence.sentence_id)
        else:
            evidence.append(r.evidence)
            i = len(evidence) - 1
        out.append(DraftClaim(r.value, i, r.span, ["reader"]))
    return out, evidence


def read_first(
    settings: Any, doc_store: Any, model: str, query: str, hits: list[SearchHit], evidence: list[EvidenceSentence],
    terms: list[int],
) -> list[EvidenceSentence]:  # fmt: skip
    """Search's evidence with the sentence that holds the reader's answer first (when it finds one)."""
    from rag.answer.pipeline import make_reader_answerer, uses_reader

    if not uses_reader(settings):
        return evidence
    found = make_reader_answerer(settings, doc_store, model).choose(query, hits, evidence, terms)
    if found is None or found[1] < found[2]:
        return evidence
    c = found[0]
    first = EvidenceSentence(hits[c.hit].article_id, c.sentence_id, c.start, c.end, c.text, score=found[1])
    return [first, *[ev for ev in evidence if ev.sentence_id != c.sentence_id]]
