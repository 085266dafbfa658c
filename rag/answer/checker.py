"""The support checker of an index: Snowball stems of the archive language plus the index's
query embedder for cross-lingual words and names."""

from __future__ import annotations

from rag.answer.support import SupportChecker
from rag.components.embedders.cross_lingual_bm25 import CrossLingualBm25Embedder
from rag.store.document_store import NewsDocumentStore


def make_checker(
    store: NewsDocumentStore,
    model: str,
    *,
    query_prompt: str,
    corpus_language: str,
    bm25_language: str,
    min_claim_similarity: float,
    backend: str = "torch",
) -> SupportChecker:
    words = CrossLingualBm25Embedder(
        store,
        model,
        query_prompt=query_prompt,
        corpus_language=corpus_language,
        bm25_language=bm25_language,
        backend=backend,
    )
    words.warm_up()
    return SupportChecker(
        corpus_bm25_language=bm25_language,
        embed=words.embed_texts,
        word_vectors=words.word_vectors,
        min_similarity=min_claim_similarity,
    )
