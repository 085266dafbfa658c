"""Citation lookup's verdict: does the archive state the claim, state it otherwise, or not at all?

Each candidate sentence the lookup retrieved is compared with the claim (:func:`compare`):

- how close they are in meaning (the encoder's cosine, any language);
- how many of the claim's words the sentence holds, through search's own BM25 query terms in the
  archive's language (an English claim's "troops" is found as "truppe");
- the claim's *values* (numbers, dates, names) the sentence holds or lacks, and whether a missing one
  faces a value of the same kind in the sentence: "250 votes" against "211 voti" is a conflict, and
  the pair is named.

A small multinomial logistic model (:class:`VerdictModel`, coefficients in
``rag/cite/weights/verdict.json``, fitted on claims made from DEV articles by
scripts/fit_verdict.py) turns those into calibrated probabilities of *supported* (this sentence
states it), *conflicts* (it states the same thing with another value) and *not found*. The lookup's
verdict is the best sentence's most likely class, with its probability. A sentence that names the
claim's value only to deny it ("Non è vero che … 99 milioni", :mod:`rag.text.negation`), or states
one the claim denies, has its *supported* and *conflicts* probabilities swapped.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.models import Verdict
from rag.text.bm25 import stems
from rag.text.negation import denial
from rag.text.numbers import normalize_number

VERDICTS: tuple[Verdict, ...] = ("supported", "conflicts", "not_found")
FEATURES = (
    "cosine",  # the encoder's cosine between claim and sentence
    "cover",  # share of the claim's BM25 terms the sentence holds
    "cover_rest",  # the same, leaving out the terms of the claim's numbers, dates and names
    "cover_sentence",  # share of the sentence's words that are claim terms
    "cosine_gap",  # cosine minus the best candidate's (≤ 0)
    "cover_gap",  # cover minus the best candidate's (≤ 0)
    "found",  # the claim's numbers and dates the sentence holds (capped at 3)
    "missing",  # the claim's numbers and dates it lacks (capped at 3)
    "conflict",  # 1 when a missing number or date faces another one in the sentence
    "names_found",  # the same for names (capitalised words)
    "names_missing",
    "name_conflict",
    "cross_names_missing",  # names_missing for a claim in another language ("Stati Uniti" is "US")
    "no_values",  # 1 when the claim holds no number, date or name
    "cross",  # 1 when the claim is not in the archive's language
    "top",  # 1 for the retriever's first candidate
)
WEIGHTS = Path(__file__).resolve().parent / "weights" / "verdict.json"

_WORD = re.compile(r"\w+", re.UNICODE)
_MONTHS_EN = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_MONTHS_IT = [
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
    "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
]  # fmt: skip
_MONTH = {m: i + 1 for i, m in enumerate(_MONTHS_EN)} | {m: i + 1 for i, m in enumerate(_MONTHS_IT)}
_MONTHS = "|".join(_MONTH)
_DATE = re.compile(
    rf"(?<![\w.,])(?:(\d{{1,2}})\s+({_MONTHS})(?:\s+(\d{{4}}))?|({_MONTHS})\s+(\d{{1,2}}),?\s+(\d{{4}})"
    rf"|({_MONTHS})\s+(\d{{4}})|\b(1\d{{3}}|20\d{{2}})\b)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
#: A name: capitalised words, possibly joined by a particle ("Banca d'Italia", "Città del Vaticano").
_NAME = re.compile(
    r"(?<![\w'])[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+(?:(?:di|de|del|della|dei|degli|da|van|von|of|the|la)\s+)?"
    r"[A-ZÀ-ÖØ-Þ][\w'’.-]*)*",
)
#: Capitalised words that open sentences without naming anything.
_NOT_NAMES = frozenset([
    "il", "lo", "la", "i", "gli", "le", "un", "una", "uno", "l", "in", "nel", "nella", "per", "con", "da",
    "di", "del", "della", "secondo", "dopo", "ma", "e", "the", "a", "an", "on", "at", "for", "with", "by",
    "of", "after", "but", "and", "this", "that", "these", "those", "it", "he", "she", "they", "we", "our",
    "their", "his", "her", "its",
])  # fmt: skip


@dataclass(frozen=True)
class Value:
    """A number, date or name of a text: ``key`` compares across languages and notations."""

    text: str
    kind: str  # "number" | "date" | "name"
    key: str
    start: int
    end: int


def _number_key(text: str) -> str:
    """2.500 / 2,500 -> 2500; 3,5 / 3.5 / 3.50 -> 3.5: support's normalisation, then one numeric form."""
    norm = normalize_number(text.replace(" ", ""))
    try:
        value = float(norm)
    except ValueError:
        return norm
    return str(int(value)) if value.is_integer() else f"{value:g}"


def values(text: str) -> list[Value]:
    """The dates, numbers (outside dates) and names of ``text``, in order."""
    out: list[Value] = []
    taken: list[tuple[int, int]] = []
    for m in _DATE.finditer(text):
        g = m.groups()
        if g[0]:
            key = f"{g[2] or ''}-{_MONTH[g[1].lower()]:02d}-{int(g[0]):02d}"
        elif g[3]:
            key = f"{g[5]}-{_MONTH[g[3].lower()]:02d}-{int(g[4]):02d}"
        elif g[6]:
            key = f"{g[7]}-{_MONTH[g[6].lower()]:02d}"
        else:
            key = g[8]
        out.append(Value(m.group(), "date", key, m.start(), m.end()))
        taken.append(m.span())
    for m in _NUMBER.finditer(text):
        if not any(a <= m.start() < b for a, b in taken):
            out.append(Value(m.group(), "number", _number_key(m.group()), m.start(), m.end()))
    for m in _NAME.finditer(text):
        name = m.group().rstrip(".'’-")
        words = name.split()
        if words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
            if not words or not words[0][:1].isupper():
                continue
            name = " ".join(words)
        if _MONTH.get(name.lower()) or name.lower() in _NOT_NAMES:
            continue
        start = text.find(name, m.start())
        out.append(Value(name, "name", name.lower(), start, start + len(name)))
    return sorted(out, key=lambda v: v.start)


def _holds(value: Value, others: list[Value], text_words: set[str]) -> bool:
    if value.kind == "name":  # every word of the name in the text: "Motta" in "Thiago Motta"
        return all(w in text_words for w in _WORD.findall(value.key))
    if value.kind == "date" and len(value.key) == 4:  # a year inside a full date counts
        return any(o.key == value.key or o.key.startswith(value.key + "-") for o in others)
    return any(o.key == value.key for o in others)


def _context(text: str, v: Value, width: int = 4) -> set[str]:
    before = _WORD.findall(text[: v.start].lower())[-width:]
    after = _WORD.findall(text[v.end :].lower())[:width]
    return set(before + after)


@dataclass(frozen=True)
class Comparison:
    features: dict[str, float]
    #: (the claim's value, the sentence's of the same kind, best aligned first) when one is missing
    conflict: tuple[str, ...] | None
    #: the cue by which the sentence denies a value the claim states, or the claim one the sentence states
    denied: str | None = None


def compare(
    claim: str,
    sentence: str,
    *,
    cosine: float,
    terms: set[int],
    cross: bool,
    top: bool,
    bm25_language: str = "italian",
) -> Comparison:
    """:data:`FEATURES` of one candidate sentence for ``claim``. ``terms``: the claim's BM25 query
    terms in the archive's language."""
    words = [w.lower() for w in _WORD.findall(sentence)]
    held: set[int] = set()  # the sentence's BM25 terms
    claim_words = 0
    for w in words:
        s = stems(w, bm25_language) if not w.isdigit() else frozenset()
        held |= s
        claim_words += bool(s & terms)
    cv = values(claim)
    sv = values(sentence)
    word_set = set(words)
    found = [v for v in cv if _holds(v, sv, word_set)]
    missing = [v for v in cv if v not in found]
    claim_lower = set(_WORD.findall(claim.lower()))
    conflicts: dict[bool, tuple[str, ...]] = {}  # is a name -> the pair
    for v in missing:
        rivals = [
            s
            for s in sv
            if (s.kind == v.kind or {s.kind, v.kind} == {"number", "date"} and len(v.key) == len(s.key) == 4)
            and not _holds(s, cv, claim_lower)
        ]
        if rivals and (v.kind == "name") not in conflicts:
            ctx = _context(claim, v)
            ranked = sorted(rivals, key=lambda s: (-len(ctx & _context(sentence, s)), abs(s.start - v.start)))
            conflicts[v.kind == "name"] = (v.text, *dict.fromkeys(r.text for r in ranked))
    names_missing = sum(v.kind == "name" for v in missing)
    value_terms: set[int] = set()
    for v in cv:
        for w in _WORD.findall(v.text.lower()):
            value_terms |= stems(w, bm25_language)
    rest = terms - value_terms
    feats = {
        "cosine": float(cosine),
        "cover": len(terms & held) / len(terms) if terms else 0.0,
        "cover_rest": len(rest & held) / len(rest) if rest else 0.0,
        "cover_sentence": claim_words / len(words) if words else 0.0,
        "cosine_gap": 0.0,  # set by with_gaps() over all candidates
        "cover_gap": 0.0,
        "found": float(min(sum(v.kind != "name" for v in found), 3)),
        "missing": float(min(sum(v.kind != "name" for v in missing), 3)),
        "conflict": float(False in conflicts),
        "names_found": float(min(sum(v.kind == "name" for v in found), 3)),
        "names_missing": float(min(names_missing, 3)),
        "name_conflict": float(True in conflicts),
        "cross_names_missing": float(min(names_missing, 3)) if cross else 0.0,
        "no_values": float(not cv),
        "cross": float(cross),
        "top": float(top),
    }
    conflict = conflicts.get(False) or conflicts.get(True)
    denied = _denied(claim, sentence, found, sv)
    if denied is not None and conflict is None:
        conflict = denied
    return Comparison(feats, conflict, denied[1] if denied else None)


def _denied(claim: str, sentence: str, found: list[Value], sv: list[Value]) -> tuple[str, str] | None:
    """(the value, the cue) when a number or date both hold is denied by one and stated by the other."""
    for v in found:
        if v.kind == "name":
            continue
        for s in sv:
            if s.key == v.key or (v.kind == "date" and len(v.key) == 4 and s.key.startswith(v.key + "-")):
                in_sentence, in_claim = denial(sentence, s.start, s.end), denial(claim, v.start, v.end)
                if bool(in_sentence) != bool(in_claim):
                    return v.text, str(in_sentence or in_claim)
                break
    return None


def with_gaps(comparisons: list[Comparison]) -> list[Comparison]:
    """Sets each candidate's ``cosine_gap`` and ``cover_gap`` against the best of the candidates."""
    if comparisons:
        best_cos = max(c.features["cosine"] for c in comparisons)
        best_cover = max(c.features["cover"] for c in comparisons)
        for c in comparisons:
            c.features["cosine_gap"] = c.features["cosine"] - best_cos
            c.features["cover_gap"] = c.features["cover"] - best_cover
    return comparisons


@dataclass(frozen=True)
class VerdictModel:
    """Multinomial logistic regression over :data:`FEATURES` (standardised): class probabilities."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]  # one row per class of VERDICTS
    intercept: tuple[float, ...]
    info: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VerdictModel:
        if list(data["features"]) != list(FEATURES) or list(data["classes"]) != list(VERDICTS):
            raise ValueError(
                f"the verdict model was fitted on features {data['features']} and classes {data['classes']}, "
                f"not {FEATURES} and {VERDICTS}: refit it with scripts/fit_verdict.py"
            )
        return cls(
            tuple(map(float, data["mean"])),
            tuple(map(float, data["scale"])),
            tuple(tuple(map(float, row)) for row in data["coef"]),
            tuple(map(float, data["intercept"])),
            {k: v for k, v in data.items() if k not in {"mean", "scale", "coef", "intercept"}},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.info,
            "features": list(FEATURES),
            "classes": list(VERDICTS),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": [list(r) for r in self.coef],
            "intercept": list(self.intercept),
        }

    def probabilities(self, features: dict[str, float]) -> dict[str, float]:
        x = [(features[n] - m) / s for n, m, s in zip(FEATURES, self.mean, self.scale, strict=True)]
        z = [
            b + sum(w * xi for w, xi in zip(row, x, strict=True))
            for row, b in zip(self.coef, self.intercept, strict=True)
        ]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {c: v / total for c, v in zip(VERDICTS, e, strict=True)}


@lru_cache(maxsize=1)
def shipped_model() -> VerdictModel:
    """The model shipped with the package (fitted by scripts/fit_verdict.py)."""
    if not WEIGHTS.exists():
        raise FileNotFoundError(f"{WEIGHTS} is missing: the package is incomplete (run scripts/fit_verdict.py)")
    return VerdictModel.from_dict(json.loads(WEIGHTS.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Judged:
    """One candidate's comparison and class probabilities."""

    comparison: Comparison
    probabilities: dict[str, float]

    @property
    def match(self) -> float:
        """Probability that this sentence is where the archive states the claim (or contradicts it)."""
        return 1.0 - self.probabilities["not_found"]

    @property
    def verdict(self) -> Verdict:
        p = self.probabilities
        return max(VERDICTS, key=lambda c: p[c])
