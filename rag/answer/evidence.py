"""The evidence an answer may cite: the best sentences of a search, each with its article."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rag.models import EvidenceSentence, SearchHit


@dataclass(frozen=True)
class Evidence:
    """An evidence sentence with what a citation needs from its article."""

    sentence: EvidenceSentence
    title: str
    source: str
    date: str | None
    url: str | None

    def to_dict(self) -> dict[str, Any]:
        """For Haystack's pipeline snapshots."""
        return asdict(self)

    @property
    def similarity(self) -> float:
        return self.sentence.similarity if self.sentence.similarity is not None else 0.0


def select_evidence(hits: list[SearchHit], evidence: list[EvidenceSentence], limit: int) -> list[Evidence]:
    """The ``limit`` best distinct evidence sentences (already ranked), with their articles' metadata."""
    by_article = {h.article_id: h for h in hits}
    out: list[Evidence] = []
    seen: set[str] = set()
    for ev in evidence:
        hit = by_article.get(ev.article_id)
        if hit is None or ev.sentence_id in seen:
            continue
        seen.add(ev.sentence_id)
        out.append(Evidence(ev, hit.title, hit.source, hit.date, hit.url))
        if len(out) >= limit:
            break
    return out
