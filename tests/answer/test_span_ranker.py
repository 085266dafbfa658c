"""The span ranker without a model: the reader's top spans of a sentence are distinct and best first,
the features see where the question's terms sit, and the shipped coefficients pick among spans."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answer import reader
from rag.answer.reader_model import spans_in, top_spans
from rag.answer.span_ranker import FEATURES, SpanRanker, span_features
from rag.text.bm25 import stems as _stems

SENTENCE = "Gli Stati Uniti hanno 2.500 truppe dispiegate in Iraq e 900 nella vicina Siria, da anni."


def _terms(*words: str) -> set[int]:
    """Search's query terms for these archive words (their Italian BM25 stems)."""
    return {i for w in words for i in _stems(w, "italian")}


def _span(text: str) -> tuple[int, int]:
    a = SENTENCE.index(text)
    return a, a + len(text)


def test_top_spans_are_distinct_best_first_and_inside_the_range() -> None:
    offsets = [None, (0, 4), (5, 7), (8, 10), (11, 17), (18, 25)]
    start = np.array([9.0, 1, 4, 3, 0, 0])
    end = np.array([9.0, 0, 2, 5, 1, 0])
    found = top_spans(start, end, offsets, keep=4)
    assert [(g.start, g.end) for g in found][:2] == [(5, 10), (8, 10)]  # 4+5, then 3+5
    assert len({(g.start, g.end) for g in found}) == len(found) == 4
    assert all(a.score >= b.score for a, b in zip(found, found[1:], strict=False))
    assert all(g.null == 18.0 for g in found)
    (only,) = spans_in(start, end, offsets, [(0, 10)], keep=3)
    assert only is not None and (only.start, only.end) == (5, 10)
    assert all(0 <= g.start < g.end <= 10 for g in only.alternatives) and len(only.alternatives) == 2


def test_features_see_which_clause_holds_the_question_terms() -> None:
    spans = [(*_span("2.500"), 7.5), (*_span("900"), 5.9)]
    first, second = span_features("How many US troops are in Syria?", SENTENCE, spans, _terms("siria"))
    assert set(first) == set(FEATURES)
    assert first["gap"] == 0.0 and first["is_best"] == 1.0 and second["gap"] == pytest.approx(-1.6)
    assert second["near"] > first["near"] and second["clause"] == 1.0 and first["clause"] == 0.0
    assert first["type_ok"] == second["type_ok"] == 1.0  # a number, for "how many"
    none = span_features("How many US troops are in Syria?", SENTENCE, spans, set())
    assert all(f["near"] == f["clause"] == f["window"] == 0.0 for f in none)


def test_a_span_that_repeats_the_question_is_marked() -> None:
    spans = [(*_span("Siria"), 1.0), (*_span("900"), 1.0)]
    named, number = span_features("Quanti soldati in Siria?", SENTENCE, spans, _terms("siria"))
    assert named["repeats"] == 1.0 and number["repeats"] == 0.0
    assert named["type_missing"] == 1.0 and number["type_ok"] == 1.0


def test_the_ranker_follows_its_coefficients() -> None:
    spans = [(*_span("2.500"), 7.5), (*_span("900"), 5.9)]
    near_only = SpanRanker(tuple(float(f == "clause") for f in FEATURES), 0.0)
    reader_only = SpanRanker(tuple(float(f == "gap") for f in FEATURES), 0.0)
    question, terms = "How many US troops are in Syria?", _terms("siria")
    assert near_only.pick(question, SENTENCE, spans, terms) == 1
    assert reader_only.pick(question, SENTENCE, spans, terms) == 0


def test_the_shipped_manifest_ranker_matches_the_features() -> None:
    info = reader.manifest()
    ranker = SpanRanker.from_manifest(info)
    assert ranker is not None and len(ranker.coef) == len(FEATURES)
    assert info["span_ranker"]["cross_fitted"]["questions"] > 0
    with pytest.raises(ValueError, match="fitted on features"):
        SpanRanker.from_manifest({"span_ranker": {"features": ["gap"], "coef": [1.0], "intercept": 0.0}})
    assert SpanRanker.from_manifest({}) is None
