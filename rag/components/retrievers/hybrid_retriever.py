"""Hybrid retrieval in Qdrant: dense + BM25 prefetches fused by weighted RRF, language-aware.

An English question gets nothing from Italian BM25 (different words, different stemmer), and
naive RRF then only adds noise; so the BM25 weight depends on whether the query is in the
corpus language (``bm25_weight``) or not (``bm25_weight_cross``).
"""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding

from rag.store.base import Filters
from rag.store.document_store import NewsDocumentStore, record_to_document

FUSIONS = ("rrf", "dense", "bm25")


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
        fusion: str = "rrf",
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        bm25_weight: float = 1.0,
        bm25_weight_cross: float = 0.0,
        corpus_language: str = "it",
        collapse_articles: bool = True,
    ) -> None:
        if kind not in ("chunk", "sentence"):
            raise ValueError(f"kind must be 'chunk' or 'sentence', got {kind!r}")
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        if top_k < 1 or candidates < 1 or rrf_k < 1:
            raise ValueError(f"top_k, candidates and rrf_k must be >= 1 (got {top_k}, {candidates}, {rrf_k})")
        if min(dense_weight, bm25_weight, bm25_weight_cross) < 0:
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

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            kind=self.kind,
            top_k=self.top_k,
            candidates=self.candidates,
            fusion=self.fusion,
            rrf_k=self.rrf_k,
            dense_weight=self.dense_weight,
            bm25_weight=self.bm25_weight,
            bm25_weight_cross=self.bm25_weight_cross,
            corpus_language=self.corpus_language,
            collapse_articles=self.collapse_articles,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QdrantHybridRetriever:
        data["init_parameters"]["document_store"] = NewsDocumentStore.from_dict(
            data["init_parameters"]["document_store"]
        )
        return default_from_dict(cls, data)

    def request(
        self,
        query_embedding: list[float] | None,
        sparse_embedding: SparseEmbedding | None,
        language: str,
        filters: Filters | None,
        top_k: int,
    ) -> dict[str, Any]:
        """The store query for one question (also used batched by the evaluation)."""
        bm25_w = self.bm25_weight if language == self.corpus_language else self.bm25_weight_cross
        fusion = self.fusion
        if fusion == "rrf" and bm25_w == 0:
            fusion = "dense"
        limit = self.candidates if self.collapse_articles else top_k
        return {
            "kind": self.kind,
            "dense": query_embedding,
            "sparse": sparse_tuple(sparse_embedding),
            "limit": max(limit, top_k),
            "candidates": self.candidates,
            "fusion": fusion,
            "rrf_k": self.rrf_k,
            "dense_weight": self.dense_weight,
            "bm25_weight": bm25_w,
            "filters": filters,
        }

    def postprocess(self, records: list[Any], top_k: int) -> list[Document]:
        docs = [record_to_document(r) for r in records]
        if self.collapse_articles:
            seen: set[str] = set()
            unique = []
            for d in docs:
                if d.meta["article_id"] not in seen:
                    seen.add(d.meta["article_id"])
                    unique.append(d)
            docs = unique
        return docs[:top_k]

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float] | None = None,
        sparse_embedding: SparseEmbedding | None = None,
        language: str = "it",
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> dict[str, list[Document]]:
        k = top_k or self.top_k
        req = self.request(query_embedding, sparse_embedding, language, filters, k)
        return {"documents": self.postprocess(self.document_store.store.search(**req), k)}
