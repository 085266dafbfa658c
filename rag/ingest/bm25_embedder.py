"""BM25 sparse vectors (Italian Snowball stemming + stopwords) computed client-side.

The vectors hold term frequencies shaped by BM25; Qdrant applies IDF (sparse vector modifier)
at query time, so the same vectors work on Qdrant Edge and on a Qdrant server.
"""

from __future__ import annotations

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from rag.text.bm25 import Bm25Encoder


class _Bm25:
    """What both embedders share: the Snowball language, checked, and its encoder made in ``warm_up``."""

    def __init__(self, language: str = "italian") -> None:
        if not language:
            raise ValueError("language must be a Snowball language name such as 'italian'")
        self.language = language
        self._encoder: Bm25Encoder | None = None

    def warm_up(self) -> None:
        if self._encoder is None:
            self._encoder = Bm25Encoder(language=self.language)


@component
class Bm25DocumentEmbedder(_Bm25):
    """Adds a BM25 ``sparse_embedding`` to each document."""

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        self.warm_up()
        assert self._encoder is not None
        vectors = self._encoder.embed_documents([d.content or "" for d in documents])
        out = []
        for doc, (indices, values) in zip(documents, vectors, strict=True):
            sparse = SparseEmbedding(indices=indices, values=values) if indices else None
            out.append(
                Document(
                    id=doc.id, content=doc.content, meta=doc.meta, embedding=doc.embedding, sparse_embedding=sparse
                )
            )
        return {"documents": out}


@component
class Bm25TextEmbedder(_Bm25):
    """BM25 sparse query vector (empty when no term survives stemming/stopwords)."""

    @component.output_types(sparse_embedding=SparseEmbedding)
    def run(self, text: str) -> dict[str, SparseEmbedding]:
        self.warm_up()
        assert self._encoder is not None
        indices, values = self._encoder.embed_query(text)
        return {"sparse_embedding": SparseEmbedding(indices=indices, values=values)}
