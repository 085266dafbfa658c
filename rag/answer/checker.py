"""The support checker of an index, one per engine, shared by the answer components that check
support (the evidence gate, the extractive answerer, the LLM answer verifier): Snowball stems of the
archive's language plus the index's word embeddings for cross-lingual words and names."""

from __future__ import annotations

from typing import Any

from haystack import default_from_dict, default_to_dict

from rag.answer.support import SupportChecker
from rag.embedding.words import WordEmbedder
from rag.store.document_store import NewsDocumentStore


class IndexChecker:
    """Builds its :class:`SupportChecker` on first use (never at import or construction), so a
    pipeline can be built, serialised and rebuilt without loading a model."""

    def __init__(
        self,
        document_store: NewsDocumentStore,
        model: str,
        *,
        query_prompt: str = "query: ",
        bm25_language: str = "italian",
        min_claim_similarity: float = 0.85,
        backend: str = "torch",
    ) -> None:
        if not 0 <= min_claim_similarity <= 1:
            raise ValueError(f"min_claim_similarity must be in [0, 1], got {min_claim_similarity}")
        self.document_store = document_store
        self.model = model
        self.query_prompt = query_prompt
        self.bm25_language = bm25_language
        self.min_claim_similarity = min_claim_similarity
        self.backend = backend
        self._checker: SupportChecker | None = None

    def warm_up(self) -> None:
        if self._checker is None:
            words = WordEmbedder(self.document_store, self.model, query_prompt=self.query_prompt, backend=self.backend)
            words.warm_up()
            self._checker = SupportChecker(
                corpus_bm25_language=self.bm25_language,
                embed=words.embed_texts,
                word_vectors=words.word_vectors,
                min_similarity=self.min_claim_similarity,
            )

    @property
    def checker(self) -> SupportChecker:
        self.warm_up()
        assert self._checker is not None
        return self._checker

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self, document_store=self.document_store, model=self.model, query_prompt=self.query_prompt,
            bm25_language=self.bm25_language, min_claim_similarity=self.min_claim_similarity, backend=self.backend,
        )  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexChecker:
        return default_from_dict(cls, data)


def index_checker(settings: Any, store: NewsDocumentStore, model: str) -> IndexChecker:
    """The engine's checker, from its settings."""
    return IndexChecker(
        store,
        model,
        query_prompt=settings.embedding.query_prompt,
        bm25_language=settings.retrieval.bm25_language,
        min_claim_similarity=settings.answer.min_claim_similarity,
        backend=settings.embedding.backend,
    )
