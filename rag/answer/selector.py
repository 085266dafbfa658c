"""Which sentence answers: the reader's best span inside every sentence of the top chunks, weighed with
search's own scores of those sentences by a small logistic model.

The reader alone picks the answer sentence of a given paragraph about four times in five; search's
sentence scores (dense + BM25, fused in Qdrant; dense cosine similarity) know other things, such as
how well a sentence matches words of the question that the reader skims over. Each candidate sentence
gets :data:`FEATURES`; the model (coefficients in the reader's manifest, fitted on held-out articles
by scripts/calibrate_reader.py) turns them into the probability that the sentence holds the answer.
The best candidate is the citation and its span the answer; below ``min_probability`` the answerer
abstains. A manifest without a selector falls back to the reader's margin alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rag.answer.reader_model import SpanGuess
from rag.answer.spans import has_answer_type
from rag.ids import sentence_id
from rag.models import EvidenceSentence, SearchHit

FEATURES = (
    "reader_margin",  # best span inside the sentence: its score minus "no answer"
    "reader_gap",  # that margin minus the best margin among all candidates (≤ 0)
    "evidence_score",  # search's fused sentence score
    "evidence_gap",
    "similarity",  # dense cosine similarity of question and sentence
    "similarity_gap",
    "hit_rank",  # 1 / (rank of its chunk + 1)
    "answer_type",  # 1 when the sentence holds the kind of value asked for ("how many": a number)
)
#: Stand-ins for a sentence the reader or search did not score.
NO_SPAN = -20.0


@dataclass(frozen=True)
class Candidate:
    """One sentence of a top chunk, as the reader and search see it (article offsets)."""

    hit: int  # index into the hits
    sentence_id: str
    start: int
    end: int
    text: str
    span: tuple[int, int] | None  # the reader's best span inside the sentence, article offsets
    features: dict[str, float]
    #: The reader's best spans inside the sentence, best first: (start, end, score), article offsets
    #: (more than one when read with ``keep`` > 1).
    spans: tuple[tuple[int, int, float], ...] = ()


@dataclass(frozen=True)
class Selector:
    """``p = sigmoid(intercept + Σ coef·feature)``; abstain below ``min_probability``."""

    coef: tuple[float, ...]
    intercept: float
    min_probability: float

    @classmethod
    def from_manifest(cls, info: dict[str, Any]) -> Selector | None:
        data = info.get("selector")
        if not data:
            return None
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"the reader's selector was fitted on features {data['features']}, not {FEATURES}")
        return cls(tuple(float(c) for c in data["coef"]), float(data["intercept"]), float(data["min_probability"]))

    def probability(self, c: Candidate) -> float:
        z = self.intercept + sum(w * c.features[f] for w, f in zip(self.coef, FEATURES, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def candidates(
    read_sentences: Callable[..., list[list[SpanGuess | None]]],
    question: str,
    hits: Sequence[SearchHit],
    scored: Sequence[EvidenceSentence],
    sentence_spans: Callable[[str], list[tuple[int, int]]],
    keep: int = 1,
) -> list[Candidate]:
    """Every sentence of the ``hits`` (their chunks), once, with its features.

    ``read_sentences``: :meth:`rag.answer.reader.Reader.read_sentences`; ``scored``: search's evidence
    sentences (scores and similarities); ``sentence_spans``: an article's sentence offsets."""
    inside: list[list[tuple[int, int, int]]] = []  # per hit: (sentence index, start, end) in the article
    for h in hits:
        spans = sentence_spans(h.article_id)
        inside.append([(i, a, b) for i, (a, b) in enumerate(spans) if h.start <= a and b <= h.end])
    passages = [h.text for h in hits]
    ranges = [[(a - h.start, b - h.start) for _, a, b in r] for h, r in zip(hits, inside, strict=True)]
    guesses = read_sentences(question, passages, ranges, keep)
    found: dict[str, tuple[int, int, int, SpanGuess | None]] = {}  # sentence id -> (hit, start, end, span)
    for rank, (h, sentences, gs) in enumerate(zip(hits, inside, guesses, strict=True)):
        for (i, a, b), g in zip(sentences, gs, strict=True):
            sid = sentence_id(h.article_id, i)
            held = found.get(sid)
            if held is None or (g is not None and (held[3] is None or g.margin > held[3].margin)):
                found[sid] = (rank, a, b, g)
    by_id = {e.sentence_id: e for e in scored}
    rows: list[tuple[str, int, int, int, SpanGuess | None, dict[str, float]]] = []
    for sid, (rank, a, b, g) in found.items():
        h, ev = hits[rank], by_id.get(sid)
        features = {
            "reader_margin": g.margin if g is not None else NO_SPAN,
            "evidence_score": ev.score if ev is not None else math.nan,
            "similarity": ev.similarity if ev is not None and ev.similarity is not None else math.nan,
            "hit_rank": 1.0 / (rank + 1),
            "answer_type": float(has_answer_type(question, h.text[a - h.start : b - h.start])),
        }
        rows.append((sid, rank, a, b, g, features))
    complete_features([f for *_, f in rows])
    out = []
    for sid, rank, a, b, g, f in rows:
        h = hits[rank]
        read = tuple((h.start + x.start, min(h.start + x.end, b), x.score) for x in ((g, *g.alternatives) if g else ()))
        span = read[0][:2] if read else None
        out.append(Candidate(rank, sid, a, b, h.text[a - h.start : b - h.start], span, f, read))
    return out


def complete_features(features: list[dict[str, float]]) -> None:
    """Fills in what depends on the whole set of candidates of a question: an unscored sentence takes
    the lowest score seen, and each gap is a score minus the question's best (in place)."""
    for name, gap in (
        ("reader_margin", "reader_gap"),
        ("evidence_score", "evidence_gap"),
        ("similarity", "similarity_gap"),
    ):
        seen = [f[name] for f in features if not math.isnan(f[name])]
        low, high = (min(seen), max(seen)) if seen else (0.0, 0.0)
        for f in features:
            if math.isnan(f[name]):
                f[name] = low
        for f in features:
            f[gap] = f[name] - high
