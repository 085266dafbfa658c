"""BM25 query vectors in the archive's language, for questions in any language.

A question in the archive's language gets its plain BM25 vector. A question in another language
shares few words with the archive (an English question gets almost nothing from Italian BM25),
so each of its content words is looked up among the archive's own words (``term`` points, each the
embedding of one word as a query) and replaced by its nearest ones: ``troops`` -> ``truppe``,
``Warsaw`` -> ``varsavia``/``warsaw``. Numbers pass through as they are. The resulting vector
(weights = similarity) is a lexical signal in the archive's language for the hybrid retrieval.
Measured on SQuAD-it DEV (English questions, BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from haystack import component
from haystack.dataclasses import SparseEmbedding

from rag.embedding.words import WordEmbedder
from rag.store.base import SearchRequest
from rag.store.document_store import NewsDocumentStore
from rag.text.bm25 import Bm25Encoder, is_stopword
from rag.text.terms import SNOWBALL, query_tokens


@component
class CrossLingualBm25Embedder:
    """Outputs the BM25 ``sparse_embedding`` of ``text`` in the archive's language."""

    def __init__(
        self,
        document_store: NewsDocumentStore,
        model: str,
        *,
        query_prompt: str = "query: ",
        corpus_language: str = "it",
        bm25_language: str = "italian",
        neighbors: int = 2,
        margin: float = 0.04,
        max_words: int = 16,
        backend: str = "torch",
    ) -> None:
        if neighbors < 1 or max_words < 1:
            raise ValueError(f"neighbors ({neighbors}) and max_words ({max_words}) must be >= 1")
        if not 0 <= margin <= 1:
            raise ValueError(f"margin must be in [0, 1], got {margin}")
        self.document_store = document_store
        self.model = model
        self.query_prompt = query_prompt
        self.corpus_language = corpus_language
        self.bm25_language = bm25_language
        self.neighbors = neighbors
        self.margin = margin
        self.max_words = max_words
        self.backend = backend
        self._encoders: dict[str, Bm25Encoder] = {}
        self.words = WordEmbedder(document_store, model, query_prompt=query_prompt, backend=backend)

    def warm_up(self) -> None:
        self.words.warm_up()
        self._corpus_bm25()

    def _bm25(self, language: str) -> Bm25Encoder:
        if language not in self._encoders:
            self._encoders[language] = Bm25Encoder(language=SNOWBALL[language])
        return self._encoders[language]

    def _corpus_bm25(self) -> Bm25Encoder:
        if "" not in self._encoders:
            self._encoders[""] = Bm25Encoder(language=self.bm25_language)
        return self._encoders[""]

    def neighbours(self, words: Sequence[str], k: int | None = None) -> list[list[tuple[str, float]]]:
        """The ``k`` nearest archive words (and their cosine similarity) of each word, best first."""
        if not words:
            return []
        limit = k or self.neighbors
        vectors = self.words.embed_texts(list(words))
        requests = [
            SearchRequest(
                kind="term",
                dense=[float(x) for x in v],
                sparse=None,
                limit=limit,
                candidates=limit,
                fusion="dense",
                rrf_k=60,
            )  # fmt: skip
            for v in vectors
        ]
        return [
            [(str(h.payload.get("term", "")), float(h.score)) for h in hits]
            for hits in self.document_store.store.search_batch(requests)
        ]

    def translate(self, text: str, language: str) -> dict[str, float]:
        """Archive words (and numbers) standing for ``text``, with their weights."""
        words, numbers = query_tokens(text)
        if language in SNOWBALL:  # drop the question's own stopwords ("what", "the", "did")
            words = [w for w in words if not is_stopword(w, SNOWBALL[language])]
        words = words[: self.max_words]
        out: dict[str, float] = dict.fromkeys(numbers, 1.0)
        for near in self.neighbours(words):
            if not near:
                continue
            best = near[0][1]
            for term, score in near:
                if score >= best - self.margin:
                    out[term] = max(out.get(term, 0.0), score)
        return out

    @component.output_types(sparse_embedding=SparseEmbedding)
    def run(self, text: str, language: str = "it") -> dict[str, SparseEmbedding]:
        bm25 = self._corpus_bm25()
        if language == self.corpus_language:
            indices, values = bm25.embed_query(text)
            return {"sparse_embedding": SparseEmbedding(indices=indices, values=values)}
        weights: dict[int, float] = {}
        for term, weight in self.translate(text, language).items():
            for index in bm25.embed_query(term)[0]:
                weights[index] = max(weights.get(index, 0.0), weight)
        return {"sparse_embedding": SparseEmbedding(indices=list(weights), values=list(weights.values()))}
