"""Citation lookup: the sentences that state a claim, each judged, and the lookup's verdict.

The cite pipeline retrieves candidate sentences (hybrid, any language); :mod:`rag.cite.verdict`
compares each with the claim and gives calibrated probabilities. Candidates are ordered by the
probability that the sentence is where the archive states the claim (or states it otherwise), which
is also their ``score``: a number with a meaning, not a retrieval score.
"""

from __future__ import annotations

import math
from typing import Any

from haystack import Document

from rag.cite.verdict import Comparison, Judged, VerdictModel, compare, with_gaps
from rag.models import CiteHit, CiteLookup

#: Candidates judged per lookup, also when fewer are shown: the verdict needs a few to choose from.
CANDIDATES = 8


def _cosine(a: Any, b: Any) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def compare_candidates(
    claim: str,
    docs: list[Document],
    *,
    query_embedding: Any,
    vectors: dict[str, list[float]],
    terms: set[int],
    cross: bool,
    bm25_language: str = "italian",
) -> list[Comparison]:
    """Each candidate (retriever order) compared with the claim. ``vectors``: stored dense vectors by doc id."""
    out = []
    for rank, d in enumerate(docs):
        vec = vectors.get(d.id)
        cmp = compare(
            claim,
            d.content or "",
            cosine=_cosine(query_embedding, vec) if vec is not None else 0.0,
            terms=terms,
            cross=cross,
            top=rank == 0,
            bm25_language=bm25_language,
        )
        out.append(cmp)
    return with_gaps(out)


def judge(comparisons: list[Comparison], model: VerdictModel) -> list[Judged]:
    out = []
    for c in comparisons:
        p = model.probabilities(c.features)
        if c.denied is not None:  # it states the claim's value to deny it: that is a conflict, not support
            p = {**p, "supported": p["conflicts"], "conflicts": p["supported"]}
        out.append(Judged(c, p))
    return out


def build_lookup(claim: str, docs: list[Document], judged: list[Judged], top_k: int) -> CiteLookup:
    """Candidates best first by :attr:`Judged.match`; the verdict is the best one's likeliest class."""
    order = sorted(range(len(docs)), key=lambda i: -judged[i].match)[:top_k]
    hits = []
    for i in order:
        d, j = docs[i], judged[i]
        hits.append(
            CiteHit(
                article_id=d.meta["article_id"],
                sentence_id=d.meta["sentence_id"],
                start=d.meta["start"],
                end=d.meta["end"],
                quote=d.content or "",
                score=round(j.match, 4),
                title=d.meta.get("title", ""),
                source=d.meta.get("source", ""),
                date=d.meta.get("date"),
                url=d.meta.get("url"),
                verdict=j.verdict,
                conflict=list(j.comparison.conflict) if j.verdict == "conflicts" and j.comparison.conflict else None,
            )
        )
    if not order:
        return CiteLookup(claim, "not_found", 1.0, [])
    best = judged[order[0]]
    return CiteLookup(claim, best.verdict, round(best.probabilities[best.verdict], 4), hits)
