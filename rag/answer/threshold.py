"""Yes/no questions that compare a figure with a threshold: "Did the flood kill more than ten people?",
"L'inflazione era sopra il 5% nel gennaio 2024?", "Il costo è rimasto sotto i 60 milioni?".

The question without its threshold is looked up (citation lookup, as for any claim); among the best
sentences, the latest report that states a figure of the threshold's kind (a percentage for a
percentage; millions and thousands scaled) answers: "Yes: 61,3 milioni di euro [1]" or "No: 7 [1]",
the figure cited. A sentence of another period than the question's is not used. When no sentence
states such a figure the usual path answers (or abstains). Every answerer takes this route: the
comparison is arithmetic on a cited figure, which no answerer needs to guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rag.answer import prompts
from rag.answer.evidence import Evidence
from rag.answer.periods import QuestionTime, sentence_period
from rag.answer.sources import word_value
from rag.answer.verify import DraftClaim
from rag.answer.yes_no import ASKING, MIN_PROBABILITY, as_claim
from rag.cite.verdict import _number_key, values
from rag.models import AnswerResult, CiteLookup, EvidenceSentence

_MORE = (
    r"more than|over|above|exceed(?:ed|s)?|greater than|higher than|at least|"
    r"più di|oltre|sopra|superato|superare|superava|supera|almeno|maggiore di|più alt[oa] di"
)
_LESS = r"less than|fewer than|under|below|lower than|meno di|sotto|inferiore a|al di sotto di|più bass[oa] di"
_NUM = r"\d+(?:[.,]\d+)*|[a-zà-ú]+"
_PCT = r"%|\s*per\s*cento|\s*percent|\s*per cent"
_SCALE = r"milion[ei]|millions?|miliard[oi]|billions?|mila|thousand"
_SCALES = {"milion": 1e6, "million": 1e6, "miliard": 1e9, "billion": 1e9, "mila": 1e3, "thousand": 1e3}
#: The comparison and its threshold: "more than ten", "sopra il 5%", "sotto i 60 milioni".
_THRESHOLD = re.compile(
    rf"\b(?P<cmp>{_MORE}|{_LESS})\s+(?:(?:il|i|lo|la|gli|le|the|l')\s*)?(?P<num>{_NUM})(?P<pct>{_PCT})?"
    rf"(?:\s+(?P<scale>{_SCALE}))?",
    re.IGNORECASE,
)
#: A figure in a sentence, with what says its kind.
_FIGURE = re.compile(rf"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)*)(?P<pct>{_PCT})?(?:\s+(?P<scale>{_SCALE}))?", re.IGNORECASE)
#: Sentences of the lookup weighed: the first few (the latest of them that states a figure answers).
CANDIDATES = 3


@dataclass(frozen=True)
class Threshold:
    more: bool  # "more than" (True) or "less than" (False)
    value: float
    percent: bool
    span: tuple[int, int]  # where the comparison is in the question
    inclusive: bool = False  # "at least"

    def holds(self, value: float) -> bool:
        if self.inclusive and value == self.value:
            return True
        return value > self.value if self.more else value < self.value


def _scale(word: str | None) -> float:
    if not word:
        return 1.0
    return next((f for stem, f in _SCALES.items() if word.lower().startswith(stem)), 1.0)


def _number(text: str) -> float | None:
    if text[:1].isdigit():
        try:
            return float(_number_key(text))
        except ValueError:
            return None
    said = word_value(text)
    return float(said) if said is not None else None


def parse(question: str) -> Threshold | None:
    """The threshold of a question that compares a figure with one and asks no interrogative word
    ("how many more than …?" wants a figure), or None. A year is no threshold ("after 2020")."""
    if ASKING.search(question):
        return None
    for m in _THRESHOLD.finditer(question):
        number = _number(m.group("num"))
        if number is None or (re.fullmatch(r"1[89]\d\d|20\d\d", m.group("num")) and not m.group("pct")):
            continue
        cmp = m.group("cmp").lower()
        more = re.fullmatch(_MORE, cmp, re.IGNORECASE) is not None
        value = number * _scale(m.group("scale"))
        return Threshold(more, value, bool(m.group("pct")), m.span(), cmp in ("at least", "almeno"))
    return None


def figure(sentence: str, threshold: Threshold) -> tuple[str, float, tuple[int, int]] | None:
    """The first figure of ``sentence`` of the threshold's kind (a percentage or not; no dates): its
    text, value and span."""
    dates = [(v.start, v.end) for v in values(sentence) if v.kind == "date"]
    for m in _FIGURE.finditer(sentence):
        if any(a <= m.start() < b for a, b in dates) or bool(m.group("pct")) != threshold.percent:
            continue
        number = _number(m.group("num"))
        if number is not None:
            text = m.group().strip()
            return text, number * _scale(m.group("scale")), (m.start(), m.start() + len(text))
    return None


def answer(
    question: str,
    qt: QuestionTime,
    lookup: Callable[[str], CiteLookup],
    finish: Callable[..., AnswerResult],
    language: str,
) -> AnswerResult | None:
    """ "Yes/No: <figure> [1]" composed by ``finish`` (the engine's Composer.finish), or None when the
    question sets no threshold or no close sentence states a figure of its kind."""
    threshold = parse(question)
    if threshold is None:
        return None
    a, b = threshold.span
    found = lookup(as_claim(" ".join(f"{question[:a]} {question[b:]}".split())))
    if not found.citations or found.citations[0].score < MIN_PROBABILITY:
        return None  # the lookup did not find the claim
    stated = []
    for hit in found.citations[:CANDIDATES]:
        when = sentence_period(hit.quote, hit.date)
        if qt.period and when and not qt.period.covers(when):
            continue
        if (said := figure(hit.quote, threshold)) is not None:
            stated.append((hit, said))
    if not stated:
        return None
    hit, (text, value, span) = max(stated, key=lambda s: s[0].date or "")  # the latest report
    sentence = EvidenceSentence(hit.article_id, hit.sentence_id, hit.start, hit.end, hit.quote, hit.score)
    evidence: list[Any] = [Evidence(sentence, hit.title, hit.source, hit.date, hit.url)]
    yes = threshold.holds(value)
    result = finish([DraftClaim(text, 0, span, ["threshold"])], None, evidence, "extractive")
    if result.abstained or not result.claims:
        return None
    marks = "".join(f"[{n}]" for n in result.claims[0].citations)
    word = prompts.news_text(prompts.YES if yes else prompts.NO_FIGURE, language)
    result.claims[0].rendered = f"{word}: {text}"
    result.answer = f"{result.claims[0].rendered} {marks}"
    return result
