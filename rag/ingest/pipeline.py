"""The indexing pipeline: new articles -> sentences + chunks -> dense + BM25 vectors -> Qdrant,
plus the embeddings of archive words not seen before (the cross-lingual term vocabulary)."""

from __future__ import annotations

from haystack import Pipeline
from haystack.components.joiners import DocumentJoiner
from haystack.core.serialization import allow_deserialization_module

from rag.embedding.configured import passage_embedder
from rag.ingest.bm25_embedder import Bm25DocumentEmbedder
from rag.ingest.late_chunk_embedder import LateChunkEmbedder
from rag.ingest.router import NewArticleRouter
from rag.ingest.splitter import ArticleSplitter
from rag.ingest.vocabulary import TermVocabulary
from rag.ingest.writer import IndexWriter
from rag.settings import Settings
from rag.store.document_store import NewsDocumentStore

# Haystack 3 deserializes only classes from modules it was told to trust (Pipeline.from_dict / loads).
allow_deserialization_module("rag")


def late_chunk_embedder(settings: Settings, model: str) -> LateChunkEmbedder:
    emb = settings.embedding
    return LateChunkEmbedder(
        model,
        runtime=emb.backend,
        prefix=emb.passage_prompt,
        meta_fields_to_embed=list(emb.meta_fields_to_embed),
        batch_size=emb.batch_size,
    )


def build_indexing_pipeline(settings: Settings, store: NewsDocumentStore, model: str) -> Pipeline:
    ch = settings.chunking
    p = Pipeline()
    p.add_component("router", NewArticleRouter(store))
    p.add_component("splitter", ArticleSplitter(ch.sentences, ch.overlap, ch.max_chars))
    late = settings.embedding.sentence_vectors == "late"
    if late:
        p.add_component("dense", late_chunk_embedder(settings, model))
    else:
        p.add_component("joiner", DocumentJoiner(join_mode="concatenate", sort_by_score=False))
        p.add_component("dense", passage_embedder(settings, model))
    p.add_component("bm25", Bm25DocumentEmbedder(language=settings.retrieval.bm25_language))
    p.add_component("terms", TermVocabulary(store, language=settings.retrieval.bm25_language))
    p.add_component("term_dense", passage_embedder(settings, model, query=True))
    p.add_component("writer", IndexWriter(store))
    p.connect("router.new", "splitter.articles")
    p.connect("router.replaced", "writer.replaced")
    if late:  # one encoder pass per chunk: sentence vectors pooled from its token states
        p.connect("splitter.chunks", "dense.chunks")
        p.connect("splitter.sentences", "dense.sentences")
    else:
        p.connect("splitter.chunks", "joiner.documents")
        p.connect("splitter.sentences", "joiner.documents")
        p.connect("joiner.documents", "dense.documents")
    p.connect("dense.documents", "bm25.documents")
    p.connect("bm25.documents", "writer.documents")
    p.connect("splitter.articles", "writer.articles")
    p.connect("splitter.chunks", "terms.documents")
    p.connect("terms.terms", "term_dense.documents")
    p.connect("term_dense.documents", "writer.terms")
    return p
