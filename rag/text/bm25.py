"""BM25 sparse vectors computed client-side, the same for both index backends.

``qdrant_edge.Bm25`` tokenizes, drops stopwords and stems (Snowball) for the configured language,
then hashes each term to a ``u32`` index. Documents get BM25 term-frequency weights (``k``, ``b``,
``avg_len``); queries get weight 1.0 per unique term. The IDF part is applied by Qdrant at query
time (the ``bm25`` sparse vector has the IDF modifier), over every point that has a ``bm25`` vector.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from qdrant_edge import Bm25, Bm25Config

from rag.errors import ConfigError

#: A sparse vector as plain lists: (indices, values).
SparseTuple = tuple[list[int], list[float]]


class Bm25Encoder:
    """Italian BM25 by default; ``language`` takes a Snowball/stopword language name or ISO code."""

    def __init__(
        self,
        language: str = "italian",
        *,
        k: float | None = None,
        b: float | None = None,
        avg_len: float | None = None,
    ) -> None:
        self.language = language.strip().lower()
        try:
            self._config = Bm25Config(k=k, b=b, avg_len=avg_len, language=self.language)
            self._model = Bm25(self._config)
        except ValueError as err:
            raise ConfigError(
                f"BM25 cannot be built for language {language!r}: {err}",
                hint='use a Snowball language name such as "italian" or "english"',
            ) from err

    def embed_documents(self, texts: Iterable[str]) -> list[SparseTuple]:
        out: list[SparseTuple] = []
        for text in texts:
            vec = self._model.embed_document(text)
            out.append((list(vec.indices), list(vec.values)))
        return out

    def embed_query(self, text: str) -> SparseTuple:
        """May be empty (``([], [])``) when the query holds only stopwords."""
        vec = self._model.embed_query(text)
        return list(vec.indices), list(vec.values)


@lru_cache(maxsize=16)
def encoder(language: str) -> Bm25Encoder:
    """One query encoder per Snowball language, shared by everything that looks words up."""
    return Bm25Encoder(language=language)


@lru_cache(maxsize=65536)
def stems(word: str, language: str) -> frozenset[int]:
    """The BM25 term indices of ``word`` in ``language`` (its Snowball stem; empty for a stopword)."""
    return frozenset(encoder(language).embed_query(word)[0])


def is_stopword(word: str, language: str) -> bool:
    """Whether ``word`` leaves no BM25 term in ``language`` (a Snowball language name)."""
    return not stems(word, language)
