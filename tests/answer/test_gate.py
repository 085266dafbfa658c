"""The evidence gate with an injected support checker: fast, no model, no index."""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.answer.evidence import Evidence
from rag.answer.gate import EvidenceGate
from rag.answer.support import SupportChecker
from rag.models import EvidenceSentence
from tests.fakes import fake_vector


class _Support:
    """Stands in for rag.answer.checker.IndexChecker: a SupportChecker on the fake word vectors."""

    def __init__(self) -> None:
        self.checker = SupportChecker(
            embed=lambda texts: np.stack([fake_vector(t) for t in texts]),
            word_vectors=lambda words: {w: fake_vector(w) for w in words},
        )

    def warm_up(self) -> None:
        pass


def _ev(text: str, similarity: float, i: int = 0) -> Evidence:
    s = EvidenceSentence("a1", f"a1#s{i}", 0, len(text), text, score=1.0, similarity=similarity)
    return Evidence(s, "Titolo", "ANSA", None, None)


def _gate(**kw: Any) -> EvidenceGate:
    return EvidenceGate(_Support(), min_similarity=0.8, min_similarity_cross=0.7, **kw)  # type: ignore[arg-type]


def test_weak_evidence_is_refused_with_the_bar_of_the_question_language() -> None:
    weak = [_ev("Gli Stati Uniti hanno 900 truppe in Siria.", 0.75)]
    said = _gate().run("Quante truppe in Siria?", "it", weak)
    assert said["reason"].startswith("weak evidence: no passage") and "<" not in said["reason"]  # words, not code
    assert said["figures"]["best_similarity"] < said["figures"]["needed"]  # the figures, kept for the JSON
    assert "evidence" in _gate().run("How many troops in Syria?", "en", weak)  # the cross-lingual bar is lower
    assert _gate().run("x", "it", [])["reason"] == "nothing in the archive matches the question"


def test_a_number_or_name_of_the_question_must_be_mentioned() -> None:
    evidence = [_ev("Gli Stati Uniti hanno 900 truppe in Siria.", 0.9)]
    missing = _gate().run("Quante truppe ci sono in Afghanistan?", "it", evidence)
    assert missing == {"reason": "the evidence does not mention Afghanistan"}
    assert _gate().run("Ci sono 900 truppe in Siria?", "it", evidence) == {"evidence": evidence}


def test_sentences_naming_more_of_the_question_come_first() -> None:
    plain = _ev("Il Pentagono non commenta.", 0.9, 0)
    named = _ev("A Baghdad ci sono 2.500 truppe.", 0.85, 1)
    assert _gate().run("Quante truppe a Baghdad?", "it", [plain, named])["evidence"] == [named]
