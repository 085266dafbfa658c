"""Hybrid retrieval in Qdrant, language-aware, at two granularities.

1. Chunks: dense + BM25 prefetches fused in Qdrant (DBSF by default, or weighted RRF). An
   English question gets nothing from Italian BM25 (other words, other stemmer) and naive RRF
   then only adds noise, so the BM25 weight depends on whether the query is in the corpus
   language (``bm25_weight``) or not (``bm25_weight_cross``; 0 drops the BM25 prefetch).
2. Sentences: a dense query over sentence vectors; a question usually matches one sentence
   better than any window. With ``sentence_weight > 0`` each article's score is its min-max
   normalised best chunk score plus ``sentence_weight`` times its normalised best sentence score
   (measured on SQuAD-it DEV: see BENCHMARKS.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from rag.models import Filters
from rag.store.base import FUSIONS, SearchRequest
from rag.store.document_store import NewsDocumentStore, record_to_document

#: A dense query vector: the pipeline's query embedder gives an array (cheap for Haystack to copy
#: between components), callers outside a pipeline may pass a plain list.
QueryVector = np.ndarray | list[float]


def sparse_tuple(sparse: SparseEmbedding | None) -> tuple[list[int], list[float]] | None:
    if sparse is None or not sparse.indices:
        return None
    return list(sparse.indices), list(sparse.values)


@component
class QdrantHybridRetriever:
    """Retrieves ``kind`` points (chunks or sentences), optionally one best chunk per article."""

    def __init__(
        self,
        document_store: NewsDocumentStore,
        *,
        kind: str = "chunk",
        top_k: int = 5,
        candidates: int = 50,
        fusion: str = "dbsf",
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        bm25_weight: float = 1.0,
        bm25_weight_cross: float = 0.0,
        corpus_language: str = "it",
        collapse_articles: bool = True,
        sentence_weight: float = 0.0,
    ) -> None:
        if kind not in ("chunk", "sentence"):
            raise ValueError(f"kind must be 'chunk' or 'sentence', got {kind!r}")
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        if top_k < 1 or candidates < 1 or rrf_k < 1:
            raise ValueError(f"top_k, candidates and rrf_k must be >= 1 (got {top_k}, {candidates}, {rrf_k})")
        if min(dense_weight, bm25_weight, bm25_weight_cross, sentence_weight) < 0:
            raise ValueError("weights must be >= 0")
        self.document_store = document_store
        self.kind = kind
        self.top_k = top_k
        self.candidates = candidates
        self.fusion = fusion
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.bm25_weight_cross = bm25_weight_cross
        self.corpus_language = corpus_language
        self.collapse_articles = collapse_articles
        self.sentence_weight = sentence_weight if kind == "chunk" and collapse_articles else 0.0

    def request(
        self,
        query_embedding: QueryVector | None,
        sparse_embedding: SparseEmbedding | None,
        language: str,
        filters: Filters | None,
        top_k: int,
    ) -> SearchRequest:
        """The store query for one question (also used batched by the evaluation)."""
        bm25_w = self.bm25_weight if language == self.corpus_language else self.bm25_weight_cross
        fusion = self.fusion
        if fusion in ("rrf", "dbsf") and bm25_w == 0:
            fusion = "dense"
        limit = self.candidates if self.collapse_articles else top_k
        return SearchRequest(
            kind=self.kind,
            dense=query_embedding,
            sparse=sparse_tuple(sparse_embedding),
            limit=max(limit, top_k),
            candidates=self.candidates,
            fusion=fusion,
            rrf_k=self.rrf_k,
            dense_weight=self.dense_weight,
            bm25_weight=bm25_w,
            filters=filters,
        )

    def sentence_request(self, query_embedding: QueryVector | None, filters: Filters | None) -> SearchRequest | None:
        if self.sentence_weight <= 0 or query_embedding is None or len(query_embedding) == 0:
            return None
        return SearchRequest(
            kind="sentence",
            dense=query_embedding,
            sparse=None,
            limit=self.candidates,
            candidates=self.candidates,
            fusion="dense",
            rrf_k=self.rrf_k,
            filters=filters,
        )

    def postprocess(self, records: list[Any], top_k: int, sentence_records: list[Any] | None = None) -> list[Document]:
        docs = [record_to_document(r) for r in records]
        if not self.collapse_articles:
            return docs[:top_k]
        best: dict[str, Document] = {}
        for d in docs:
            best.setdefault(d.meta["article_id"], d)
        if not sentence_records:
            return list(best.values())[:top_k]
        scores = _minmax_by_article([(d.meta["article_id"], float(d.score or 0.0)) for d in docs])
        sent = _minmax_by_article([(r.payload["article_id"], float(r.score)) for r in sentence_records])
        for article_id, value in sent.items():
            scores[article_id] = scores.get(article_id, 0.0) + self.sentence_weight * value
        ranked = sorted(scores, key=lambda a: -scores[a])[:top_k]
        missing = [a for a in ranked if a not in best]
        if missing:  # found through a sentence only: take that article's best chunk
            best_sentence: dict[str, str] = {}
            for r in sentence_records:
                best_sentence.setdefault(r.payload["article_id"], r.payload["sentence_id"])
            for rec in self.document_store.store.scroll("chunk", Filters(article_ids=missing), limit=1000)[0]:
                doc = record_to_document(rec)
                if best_sentence.get(doc.meta["article_id"]) in doc.meta.get("sentence_ids", []):
                    best.setdefault(doc.meta["article_id"], doc)
        out = []
        for article_id in ranked:
            if article_id in best:
                doc = best[article_id]
                out.append(Document(id=doc.id, content=doc.content, meta=doc.meta, score=scores[article_id]))
        return out

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: QueryVector | None = None,
        sparse_embedding: SparseEmbedding | None = None,
        language: str = "it",
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> dict[str, list[Document]]:
        k = top_k or self.top_k
        store = self.document_store.store
        records = store.search(self.request(query_embedding, sparse_embedding, language, filters, k))
        sreq = self.sentence_request(query_embedding, filters)
        sentence_records = store.search(sreq) if sreq else None
        return {"documents": self.postprocess(records, k, sentence_records)}


def _minmax_by_article(ranked: list[tuple[str, float]]) -> dict[str, float]:
    """Best score per article, scaled to [0, 1] over the ranked list (top = 1, last = 0)."""
    if not ranked:
        return {}
    top, bottom = ranked[0][1], ranked[-1][1]
    span = top - bottom
    out: dict[str, float] = {}
    for article_id, score in ranked:
        if article_id not in out:
            out[article_id] = (score - bottom) / span if span > 0 else 1.0
    return out
