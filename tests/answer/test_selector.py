"""The sentence selector's plumbing without a model: every sentence of the shown chunks becomes one
candidate (overlapping chunks give it once), spans stay inside their sentence, features are filled in
for what search did not score, and the shipped coefficients turn features into a probability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rag.answer.reader_model import SpanGuess, spans_in
from rag.answer.selector import FEATURES, NO_SPAN, Selector, candidates
from rag.models import EvidenceSentence, SearchHit

TEXT = "Roma ha 39 gradi. Firenze ne ha 40. Milano 35. Bologna 30."
SPANS = [(0, 17), (18, 35), (36, 46), (47, 58)]


def _hit(chunk: int, start: int, end: int) -> SearchHit:
    return SearchHit("a", f"a#c{chunk}", 1.0, "T", "S", None, None, start=start, end=end, text=TEXT[start:end])


def _reader(
    question: str, passages: list[str], ranges: list[list[tuple[int, int]]], keep: int = 1
) -> list[list[SpanGuess | None]]:
    """A fake reader: the first number of each sentence, margin = that number (none for "Milano")."""
    out = []
    for text, rs in zip(passages, ranges, strict=True):
        row: list[SpanGuess | None] = []
        for a, b in rs:
            digits = [i for i in range(a, b) if text[i].isdigit()]
            if not digits or "Milano" in text[a:b]:
                row.append(None)
                continue
            row.append(SpanGuess(digits[0], digits[0] + 2, float(text[digits[0] : digits[0] + 2]), 0.0))
        out.append(row)
    return out


def test_every_sentence_once_with_its_span_inside_it() -> None:
    hits = [_hit(0, 0, 46), _hit(1, 18, 58)]  # overlapping chunks: sentences 1 and 2 are in both
    scored = [EvidenceSentence("a", "a#s1", 18, 35, TEXT[18:35], 2.0, 0.9)]
    cands = candidates(_reader, "Quanti gradi?", hits, scored, lambda _aid: SPANS)
    assert [c.sentence_id for c in cands] == ["a#s0", "a#s1", "a#s2", "a#s3"]
    for c in cands:
        assert TEXT[c.start : c.end] == c.text and set(c.features) == set(FEATURES)
        if c.span is not None:
            assert c.start <= c.span[0] < c.span[1] <= c.end
    by_id = {c.sentence_id: c for c in cands}
    assert TEXT[slice(*by_id["a#s1"].span)] == "40" and by_id["a#s1"].features["reader_gap"] == 0.0
    assert by_id["a#s2"].span is None and by_id["a#s2"].features["reader_margin"] == NO_SPAN
    assert by_id["a#s0"].features["evidence_score"] == 2.0  # unscored: the lowest score seen
    assert by_id["a#s3"].features["hit_rank"] == 0.5 and by_id["a#s0"].features["hit_rank"] == 1.0


def test_spans_in_never_cross_a_sentence_end() -> None:
    offsets = [None, (0, 4), (5, 7), (8, 10), (11, 17), (18, 25), (26, 28), (29, 31), (32, 35)]
    start = np.array([0.0, 0, 0, 5, 0, 0, 0, 4, 0])
    end = np.array([0.0, 0, 0, 0, 0, 0, 0, 0, 6])  # the best span overall would run 8 -> 35
    inside = spans_in(start, end, offsets, [(0, 17), (18, 35)])
    assert inside[0] is not None and inside[1] is not None
    assert inside[0].end <= 17 and inside[1].start >= 18


def test_the_shipped_coefficients_give_a_probability() -> None:
    info = {"selector": {"features": list(FEATURES), "coef": [1.0] + [0.0] * (len(FEATURES) - 1), "intercept": -2.0,
                         "min_probability": 0.5}}  # fmt: skip
    sel = Selector.from_manifest(info)
    assert sel is not None and sel.min_probability == 0.5
    cands = candidates(_reader, "q", [_hit(0, 0, 58)], [], lambda _aid: SPANS)
    p = {c.sentence_id: sel.probability(c) for c in cands}
    assert p["a#s1"] == pytest.approx(1 / (1 + math.exp(-(40 - 2))))
    assert Selector.from_manifest({}) is None
    with pytest.raises(ValueError, match="features"):
        Selector.from_manifest({"selector": {**info["selector"], "features": ["other"]}})
