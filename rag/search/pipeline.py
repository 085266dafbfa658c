"""Query pipelines: search (chunks + evidence sentences) and cite (sentences)."""

from __future__ import annotations

from haystack import Pipeline
from haystack.core.serialization import allow_deserialization_module

from rag.embedding.configured import query_embedder
from rag.search.cross_lingual_bm25 import CrossLingualBm25Embedder
from rag.search.evidence_ranker import EvidenceSentenceRanker
from rag.search.hybrid_retriever import QdrantHybridRetriever
from rag.search.language import QueryLanguageDetector
from rag.settings import Settings
from rag.store.document_store import NewsDocumentStore

# Haystack 3 deserializes only classes from modules it was told to trust (Pipeline.from_dict / loads).
allow_deserialization_module("rag")


def make_retriever(settings: Settings, store: NewsDocumentStore, kind: str = "chunk") -> QdrantHybridRetriever:
    r = settings.retrieval
    return QdrantHybridRetriever(
        store,
        kind=kind,
        top_k=r.top_k,
        candidates=r.candidates,
        fusion=r.fusion,
        rrf_k=r.rrf_k,
        dense_weight=r.dense_weight,
        bm25_weight=r.bm25_weight,
        bm25_weight_cross=r.bm25_weight_cross,
        corpus_language=r.corpus_language,
        collapse_articles=kind == "chunk",
        sentence_weight=r.sentence_weight,
    )


def make_ranker(settings: Settings, store: NewsDocumentStore) -> EvidenceSentenceRanker:
    r = settings.retrieval
    return EvidenceSentenceRanker(
        store,
        per_hit=r.evidence_per_hit,
        rrf_k=r.rrf_k,
        dense_weight=r.dense_weight,
        bm25_weight=r.sentence_bm25_weight,
        article_weight=r.evidence_article_weight,
        bm25_weight_cross=r.bm25_weight_cross,
        corpus_language=r.corpus_language,
    )


def bm25_query_embedder(settings: Settings, store: NewsDocumentStore, model: str) -> CrossLingualBm25Embedder:
    r = settings.retrieval
    return CrossLingualBm25Embedder(
        store,
        model,
        query_prompt=settings.embedding.query_prompt,
        corpus_language=r.corpus_language,
        bm25_language=r.bm25_language,
        neighbors=r.term_neighbors,
        margin=r.term_margin,
        backend=settings.embedding.backend,
    )


def _front(p: Pipeline, settings: Settings, store: NewsDocumentStore, model: str, consumers: list[str]) -> None:
    p.add_component("language", QueryLanguageDetector(default=settings.retrieval.corpus_language))
    p.add_component("dense", query_embedder(settings, model))
    p.add_component("bm25", bm25_query_embedder(settings, store, model))
    p.connect("language.language", "bm25.language")
    for name in consumers:
        p.connect("language.language", f"{name}.language")
        p.connect("dense.embedding", f"{name}.query_embedding")
        p.connect("bm25.sparse_embedding", f"{name}.sparse_embedding")


def build_search_pipeline(settings: Settings, store: NewsDocumentStore, model: str) -> Pipeline:
    p = Pipeline()
    p.add_component("retriever", make_retriever(settings, store, "chunk"))
    p.add_component("evidence", make_ranker(settings, store))
    _front(p, settings, store, model, ["retriever", "evidence"])
    p.connect("retriever.documents", "evidence.documents")
    return p


def build_cite_pipeline(settings: Settings, store: NewsDocumentStore, model: str) -> Pipeline:
    p = Pipeline()
    p.add_component("retriever", make_retriever(settings, store, "sentence"))
    _front(p, settings, store, model, ["retriever"])
    return p


def query_inputs(text: str) -> dict[str, dict[str, str]]:
    return {"language": {"text": text}, "dense": {"text": text}, "bm25": {"text": text}}
