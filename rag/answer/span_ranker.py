"""Which span of the chosen sentence answers: the reader's best few spans inside it, re-weighed with
where the question's own words sit in the sentence.

The reader scores spans from the encoder's view of question and passage. It can skim over which
clause the question is about: in "hanno 2.500 truppe dispiegate in Iraq e 900 nella vicina Siria",
"troops" sits by 2.500 and "Syria" by 900. Classic reading-comprehension features see that
directly: how close a span is to the question's words, whether they share its clause, whether the
span merely repeats the question, whether it holds the kind of value asked for. Each of the reader's
top spans in the sentence gets :data:`FEATURES`; a small logistic model (coefficients in the reader's
manifest, fitted on held-out articles by scripts/fit_span_ranker.py) scores them and the best one is
the answer. The sentence, and so the citation, never changes; only the span inside it.

Question words are matched in the sentence through search's own BM25 query terms in the archive's
language: an Italian question's stems, or the archive words an English question was translated to
("troops" -> "truppe", "Syria" -> "siria").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from rag.answer.spans import _DATE, _NUMBER, question_kind
from rag.text.bm25 import stems

FEATURES = (
    "gap",  # the span's reader score minus the sentence's best (≤ 0)
    "is_best",  # 1 for the reader's own best span
    "words",  # log(1 + words in the span)
    "near",  # 1 / (1 + words between the span and the nearest question word)
    "window",  # share of the question words found in the sentence that lie within 5 words of the span
    "clause",  # share of them in the span's own clause
    "repeats",  # share of the span's words that are question words
    "type_ok",  # 1 when the question asks for a number/date and the span holds one
    "type_missing",  # 1 when it asks for one and the span holds none
)
#: How many of the reader's spans inside the sentence are re-weighed.
TOP = 8
_WORD = re.compile(r"\w+", re.UNICODE)
_CLAUSE_BREAK = re.compile(r"[,;:()]|\s(?:e|ed|and|mentre|while|but|ma|però|o|or)\s", re.IGNORECASE)
WINDOW = 5


def span_features(
    question: str,
    sentence: str,
    spans: list[tuple[int, int, float]],
    terms: set[int],
    bm25_language: str = "italian",
) -> list[dict[str, float]]:
    """:data:`FEATURES` of each span ``(start, end, reader score)`` (offsets into ``sentence``).

    ``terms``: the question's BM25 terms in the archive's language (search's query vector: its own
    stems, or for a question in another language the archive words it was translated to), so a
    sentence word is a question word when one of its stems is among them; numbers match as written."""
    numbers = {m.group() for m in _WORD.finditer(question) if m.group().isdigit()}
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(sentence)]
    hits: dict[object, list[int]] = {}  # question term -> positions (word index) in the sentence
    for i, (_, _, w) in enumerate(words):
        keys: set[object] = set(stems(w, bm25_language) & terms) if not w.isdigit() else set()
        if w in numbers:
            keys.add(w)
        for k in keys:
            hits.setdefault(k, []).append(i)
    matched = {i for ps in hits.values() for i in ps}
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(sentence)]
    kind = question_kind(question)
    pattern = _DATE if kind == "when" else _NUMBER
    best = max((s for _, _, s in spans), default=0.0)
    out = []
    for a, b, score in spans:
        inside = [i for i, (ws, we, _) in enumerate(words) if ws < b and we > a]
        lo, hi = (inside[0], inside[-1]) if inside else (0, -1)
        outside = {k: [lo - p if p < lo else p - hi for p in ps if p < lo or p > hi] for k, ps in hits.items()}
        dists = [d for ds in outside.values() for d in ds]
        found = [k for k, ds in outside.items() if ds]
        clause_of = sum(x < a for x in breaks)
        clause = sum(
            any(sum(x < words[p][0] for x in breaks) == clause_of for p in hits[k] if p < lo or p > hi) for k in found
        )
        typed = bool(pattern.search(sentence[a:b])) if kind else False
        out.append(
            {
                "gap": score - best,
                "is_best": float(score == best),
                "words": math.log1p(len(inside)),
                "near": 1.0 / (1.0 + min(dists)) if dists else 0.0,
                "window": sum(min(outside[k]) <= WINDOW for k in found) / len(found) if found else 0.0,
                "clause": clause / len(found) if found else 0.0,
                "repeats": sum(i in matched for i in inside) / len(inside) if inside else 0.0,
                "type_ok": float(kind is not None and typed),
                "type_missing": float(kind is not None and not typed),
            }
        )
    return out


@dataclass(frozen=True)
class SpanRanker:
    """``sigmoid(intercept + Σ coef·feature)`` over the reader's top spans of a sentence."""

    coef: tuple[float, ...]
    intercept: float

    @classmethod
    def from_manifest(cls, info: dict[str, Any]) -> SpanRanker | None:
        data = info.get("span_ranker")
        if not data:
            return None
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"the reader's span ranker was fitted on features {data['features']}, not {FEATURES}")
        return cls(tuple(float(c) for c in data["coef"]), float(data["intercept"]))

    def score(self, f: dict[str, float]) -> float:
        return self.intercept + sum(w * f[n] for w, n in zip(self.coef, FEATURES, strict=True))

    def pick(
        self,
        question: str,
        sentence: str,
        spans: list[tuple[int, int, float]],
        terms: set[int],
        bm25_language: str = "italian",
    ) -> int:
        """The index of the best of ``spans`` (``(start, end, reader score)`` in ``sentence``)."""
        scores = [self.score(f) for f in span_features(question, sentence, spans, terms, bm25_language)]
        return max(range(len(spans)), key=scores.__getitem__)
