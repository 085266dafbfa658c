"""The support checker of an index: Snowball stems of the archive language plus the index's
query embedder for cross-lingual words and names."""

from __future__ import annotations

from typing import Any

from haystack import default_from_dict, default_to_dict

from rag.answer.support import SupportChecker
from rag.components.search.cross_lingual_bm25 import CrossLingualBm25Embedder
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


class CheckerComponent:
    """What the answer components that check support share: the index's store and query embedder
    settings, a support checker built in ``warm_up`` (never at import), and their serialisation.
    Subclasses call ``_init_checker`` from ``__init__`` and pass their own parameters to
    ``_to_dict``."""

    def _init_checker(
        self,
        document_store: NewsDocumentStore,
        model: str,
        *,
        query_prompt: str,
        corpus_language: str,
        bm25_language: str,
        min_claim_similarity: float,
        backend: str,
    ) -> None:
        self.document_store = document_store
        self.model = model
        self.query_prompt = query_prompt
        self.corpus_language = corpus_language
        self.bm25_language = bm25_language
        self.min_claim_similarity = min_claim_similarity
        self.backend = backend
        self._checker: SupportChecker | None = None

    def warm_up(self) -> None:
        if self._checker is None:
            self._checker = make_checker(
                self.document_store,
                self.model,
                query_prompt=self.query_prompt,
                corpus_language=self.corpus_language,
                bm25_language=self.bm25_language,
                min_claim_similarity=self.min_claim_similarity,
                backend=self.backend,
            )

    @property
    def checker(self) -> SupportChecker:
        self.warm_up()
        assert self._checker is not None
        return self._checker

    def _to_dict(self, **own: Any) -> dict[str, Any]:
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            model=self.model,
            query_prompt=self.query_prompt,
            corpus_language=self.corpus_language,
            bm25_language=self.bm25_language,
            min_claim_similarity=self.min_claim_similarity,
            backend=self.backend,
            **own,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        params = data["init_parameters"]
        params["document_store"] = NewsDocumentStore.from_dict(params["document_store"])
        return default_from_dict(cls, data)
