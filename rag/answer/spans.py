"""The key span of an extractive answer: the number, year or date a question asks for.

Only what can be found reliably is pointed out: a "how many / quanti / when / quando / what year"
question, and a number or date in the sentence that the question does not already contain. Among
several, the one closest to where the sentence mentions the question's names (preferring a
number written before the name, "900 nella vicina Siria", and one in the same clause) wins, if it
is clearly closer than the next; otherwise no span is pointed out and the sentence is the answer.
"""

from __future__ import annotations

import re

_COUNT_Q = re.compile(
    r"\b(how\s+(many|much|long|old|far|large|big|high)|what\s+(percentage|number|amount|proportion)|"
    r"quant[aeio]|quale\s+percentuale|che\s+percentuale|combien|cu[aá]nt[oa]s?|wie\s+viele?)\b",
    re.IGNORECASE,
)
_WHEN_Q = re.compile(
    r"\b(when|what\s+year|which\s+year|in\s+what\s+year|quando|in\s+che\s+anno|in\s+quale\s+anno|"
    r"che\s+anno|quand|cu[aá]ndo|wann)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.,[])\d+(?:[.,]\d+)*(?:\s?%|\s(?:per\s?cento|milioni|miliardi|mila))?(?![\w\]])")
_MONTHS = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_DATE = re.compile(
    rf"(?<![\w.,])(?:\b\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?|\b(?:{_MONTHS})\s+\d{{4}}|\b1\d{{3}}\b|\b20\d{{2}}\b)",
    re.IGNORECASE,
)


_CLAUSE_BREAK = re.compile(r"[,;:()]|\s(?:e|ed|and|mentre|while|but|ma|però|o|or)\s", re.IGNORECASE)


#: The chosen number must be this many times closer to the question's names than the next one.
RELIABLE_MARGIN = 1.5


def question_kind(question: str) -> str | None:
    """``"count"``, ``"when"`` or ``None`` (no reliable key span for this kind of question)."""
    if _WHEN_Q.search(question):
        return "when"
    if _COUNT_Q.search(question):
        return "count"
    return None


def has_answer_type(question: str, sentence: str) -> bool:
    """Whether ``sentence`` holds the kind of value the question asks for (a number for "how many",
    a date for "when"); always true for other questions."""
    kind = question_kind(question)
    if kind is None:
        return True
    asked = {m.group() for m in _NUMBER.finditer(question)}
    pattern = _DATE if kind == "when" else _NUMBER
    return any(m.group() not in asked for m in pattern.finditer(sentence))


def key_span(question: str, sentence: str, anchors: list[tuple[int, int]]) -> tuple[int, int] | None:
    """``(start, end)`` in ``sentence`` of the asked-for number/date, or ``None``.

    ``anchors``: spans in the sentence where the question's names/terms were found.
    """
    kind = question_kind(question)
    if kind is None:
        return None
    pattern = _DATE if kind == "when" else _NUMBER
    asked = {m.group() for m in _NUMBER.finditer(question)}
    candidates = [(m.start(), m.end()) for m in pattern.finditer(sentence) if m.group() not in asked]
    if not candidates:
        return None
    if not anchors:
        return candidates[0] if len(candidates) == 1 else None

    def distance(span: tuple[int, int]) -> float:
        best = float("inf")
        for a_start, a_end in anchors:
            if span[1] <= a_start:
                gap, between = a_start - span[1], sentence[span[1] : a_start]
                d = float(gap)  # written before the name ("900 nella vicina Siria"): preferred
            elif span[0] >= a_end:
                gap, between = span[0] - a_end, sentence[a_end : span[0]]
                d = 2.0 * gap
            else:
                return 0.0
            if _CLAUSE_BREAK.search(between):  # "... in Iraq e 900 ...": the next clause
                d *= 10
            best = min(best, d)
        return best

    ranked = sorted(candidates, key=distance)
    if len(ranked) > 1 and distance(ranked[1]) < RELIABLE_MARGIN * distance(ranked[0]):
        return None  # two numbers about as close to what the question names: not reliable
    return ranked[0]


_YES_NO = re.compile(
    r"^\s*(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|è|e'|sono|era|erano|c'è|ci sono|"
    r"ha|hanno|aveva|avevano|può|possono|si è|si sono)\b",
    re.IGNORECASE,
)
#: "…, Rome or Florence?": alternatives offered at the end, after a comma or colon.
_ALTERNATIVES = re.compile(r"[,:]\s*[^,:?]{1,40}?\s(?:or|o|oppure)\s[^,:?]{1,40}\?\s*$", re.IGNORECASE)
#: "più caldo tra Roma e Firenze", "hotter between Rome and Florence" (a superlative alone, "il più
#: grande operatore di …", asks for a span and is not a comparison).
_COMPARATIVE = re.compile(
    r"\b(more|less|bigger|smaller|higher|lower|hotter|colder|older|younger|better|worse|più|meno|maggiore|"
    r"minore|migliore|peggiore)\b",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\b(tra|fra|between)\s[^?]{1,40}\s(e|and|o|or)\s[^?]{1,40}\?\s*$", re.IGNORECASE)


def needs_reasoning(question: str) -> str | None:
    """``"yes/no"`` or ``"comparison"`` for questions no span of a passage answers by itself (the
    answer is derived, "Sì" or "Roma", and goes to an LLM with the reader's evidence); else ``None``."""
    if _ALTERNATIVES.search(question) or (_COMPARATIVE.search(question) and _BETWEEN.search(question)):
        return "comparison"
    if _YES_NO.search(question) and not re.search(
        r"\b(how|what|who|when|where|which|quant|chi|cosa|quando|dove|quale)", question, re.IGNORECASE
    ):
        return "yes/no"
    return None
