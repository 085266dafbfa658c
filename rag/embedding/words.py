"""Short texts and single words embedded as queries: what the cross-lingual BM25 query and the support
checks compare words with. Words of the archive's vocabulary are read from the index (their ``term``
points), others run through the model once and are cached."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from haystack import Document, default_from_dict, default_to_dict

from rag.embedding.haystack_embedders import BackendDocumentEmbedder
from rag.ids import point_id, term_doc_id
from rag.store.document_store import NewsDocumentStore

#: Word/phrase embeddings kept (support checks look the same words up again and again).
CACHE_SIZE = 20_000


class WordEmbedder:
    def __init__(
        self, document_store: NewsDocumentStore, model: str, *, query_prompt: str = "query: ", backend: str = "torch"
    ) -> None:
        self.document_store = document_store
        self.model = model
        self.query_prompt = query_prompt
        self.backend = backend
        self._cache: dict[str, np.ndarray] = {}
        self._embedder = BackendDocumentEmbedder(
            runtime=backend,
            model=model,
            prefix=query_prompt,
            batch_size=32,
            progress_bar=False,
            normalize_embeddings=True,
        )

    def warm_up(self) -> None:
        self._embedder.warm_up()

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of short texts embedded as queries (rows in order), cached per text."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            self.warm_up()
            for doc in self._embedder.run([Document(content=t) for t in todo])["documents"]:
                self._cache[doc.content or ""] = np.asarray(doc.embedding, dtype=np.float32)
            while len(self._cache) > CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def word_vectors(self, words: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings of lowercase words: stored in the index's vocabulary (no model run) when there,
        embedded otherwise."""
        wanted = list(dict.fromkeys(words))
        ids = {point_id(term_doc_id(w)): w for w in wanted}
        stored = self.document_store.store.dense_vectors(list(ids))
        out = {ids[i]: np.asarray(v, dtype=np.float32) for i, v in stored.items()}
        missing = [w for w in wanted if w not in out]
        if missing:
            out.update(zip(missing, self.embed_texts(missing), strict=True))
        return out

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self, document_store=self.document_store, model=self.model, query_prompt=self.query_prompt,
            backend=self.backend,
        )  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WordEmbedder:
        return default_from_dict(cls, data)
