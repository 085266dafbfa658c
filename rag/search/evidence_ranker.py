"""Evidence: the best sentences inside the retrieved chunks, scored against the question in Qdrant.

A sentence's evidence score is its own fused score (dense + BM25 by DBSF in Qdrant, dense only
for queries in another language than the archive) plus ``article_weight`` times the score of
the hit it belongs to: a sentence in a strongly matching article is more likely the answer
(measured on SQuAD-it DEV, see BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from rag.models import EvidenceSentence, Filters, SearchHit
from rag.search.hybrid_retriever import QueryVector, sparse_tuple
from rag.store.base import SearchRequest
from rag.store.document_store import NewsDocumentStore


@component
class EvidenceSentenceRanker:
    """Turns ranked chunks into :class:`SearchHit` objects carrying their best sentences."""

    def __init__(
        self,
        document_store: NewsDocumentStore,
        *,
        per_hit: int = 3,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        bm25_weight: float = 1.0,
        bm25_weight_cross: float = 0.0,
        corpus_language: str = "it",
        article_weight: float = 0.0,
    ) -> None:
        if per_hit < 1:
            raise ValueError(f"per_hit must be >= 1, got {per_hit}")
        if article_weight < 0:
            raise ValueError(f"article_weight must be >= 0, got {article_weight}")
        self.article_weight = article_weight
        self.document_store = document_store
        self.per_hit = per_hit
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.bm25_weight_cross = bm25_weight_cross
        self.corpus_language = corpus_language

    def request(
        self,
        chunks: list[Document],
        query_embedding: QueryVector | None,
        sparse_embedding: SparseEmbedding | None,
        language: str,
    ) -> SearchRequest:
        bm25_w = self.bm25_weight if language == self.corpus_language else self.bm25_weight_cross
        article_ids = sorted({c.meta["article_id"] for c in chunks})
        n_sent = sum(len(c.meta.get("sentence_ids", [])) for c in chunks)
        return SearchRequest(
            kind="sentence",
            dense=query_embedding,
            sparse=sparse_tuple(sparse_embedding),
            limit=max(4 * n_sent, 50),
            candidates=max(4 * n_sent, 50),
            fusion="dbsf" if bm25_w > 0 else "dense",
            rrf_k=self.rrf_k,
            dense_weight=self.dense_weight,
            bm25_weight=bm25_w,
            filters=Filters(article_ids=article_ids),
        )

    def similarity_request(self, request: SearchRequest) -> SearchRequest | None:
        """The same sentences ranked by dense similarity alone (a calibrated relevance signal)."""
        if request.dense is None or len(request.dense) == 0:
            return None
        return replace(request, sparse=None, fusion="dense")

    def assemble(
        self, chunks: list[Document], records: list[Any], similarities: dict[str, float] | None = None
    ) -> tuple[list[SearchHit], list[EvidenceSentence]]:
        owner: dict[str, int] = {}
        for rank, chunk in enumerate(chunks):
            for sid in chunk.meta.get("sentence_ids", []):
                owner.setdefault(sid, rank)
        hits = [
            SearchHit(
                article_id=c.meta["article_id"],
                chunk_id=c.meta["chunk_id"],
                score=float(c.score or 0.0),
                title=c.meta.get("title", ""),
                source=c.meta.get("source", ""),
                date=c.meta.get("date"),
                url=c.meta.get("url"),
                start=c.meta["start"],
                end=c.meta["end"],
                text=c.content or "",
            )
            for c in chunks
        ]
        evidence: list[EvidenceSentence] = []
        for rec in records:
            p = rec.payload
            owner_rank = owner.get(p.get("sentence_id", ""))
            if owner_rank is None:
                continue
            ev = EvidenceSentence(
                article_id=p["article_id"],
                sentence_id=p["sentence_id"],
                start=p["start"],
                end=p["end"],
                text=p.get("text", ""),
                score=float(rec.score) + self.article_weight * hits[owner_rank].score,
                similarity=(similarities or {}).get(p["sentence_id"]),
            )
            evidence.append(ev)
        evidence.sort(key=lambda e: -e.score)
        for ev in evidence:
            hit = hits[owner[ev.sentence_id]]
            if len(hit.sentences) < self.per_hit:
                hit.sentences.append(ev)
        return hits, evidence

    @component.output_types(hits=list[SearchHit], evidence=list[EvidenceSentence])
    def run(
        self,
        documents: list[Document],
        query_embedding: QueryVector | None = None,
        sparse_embedding: SparseEmbedding | None = None,
        language: str = "it",
    ) -> dict[str, Any]:
        if not documents:
            return {"hits": [], "evidence": []}
        req = self.request(documents, query_embedding, sparse_embedding, language)
        sim_req = self.similarity_request(req)
        results = self.document_store.store.search_batch([req, sim_req] if sim_req else [req])
        sims = {r.payload["sentence_id"]: float(r.score) for r in results[1]} if sim_req else None
        hits, evidence = self.assemble(documents, results[0], sims)
        return {"hits": hits, "evidence": evidence}
