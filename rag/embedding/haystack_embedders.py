"""The project's two embedders as Haystack components, on the runtime chosen by ``embedding.backend``.

They do what Haystack's sentence-transformers embedders do (prefix and suffix, the given metadata
fields joined to the content, batching, normalization, ``Document`` copies with their embedding) on
the encoder :func:`rag.embedding.backends.load_encoder` returns: ``SentenceTransformer`` itself for
``torch``, the exported runtime otherwise. They are not built on the integration's classes because
importing those imports sentence-transformers (≈ 4 s of a cold start) even where it is not used.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from haystack import Document, component

from rag.embedding.backends import BACKENDS, load_encoder
from rag.errors import ConfigError


def text_to_embed(doc: Any, *, prefix: str, meta_fields_to_embed: list[str], separator: str, suffix: str = "") -> str:
    """What the document embedder encodes for ``doc``: prefix, the given metadata values and the
    content joined by ``separator``, suffix (as Haystack's sentence-transformers embedder does)."""
    meta = [str(doc.meta[k]) for k in meta_fields_to_embed if k in doc.meta and doc.meta[k] is not None]
    return prefix + separator.join([*meta, doc.content or ""]) + suffix


class _Embedder:
    """What both components share: checked settings, the shared encoder loaded in ``warm_up``."""

    def __init__(
        self, model: str, *, runtime: str = "torch", prefix: str = "", suffix: str = "", batch_size: int = 32,
        progress_bar: bool = False, normalize_embeddings: bool = True,
    ) -> None:  # fmt: skip
        if runtime not in BACKENDS:
            raise ConfigError(f"unknown embedding.backend {runtime!r}", hint=f"use one of: {', '.join(BACKENDS)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model
        self.runtime = runtime
        self.prefix = prefix
        self.suffix = suffix
        self.batch_size = batch_size
        self.progress_bar = progress_bar
        self.normalize_embeddings = normalize_embeddings
        self.encoder: Any = None

    def warm_up(self) -> None:
        if self.encoder is None:
            self.encoder = load_encoder(self.model, self.runtime)

    def embedding_dimension(self) -> int:
        self.warm_up()
        return int(self.encoder.get_embedding_dimension())

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        out = self.encoder.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=self.progress_bar,
            normalize_embeddings=self.normalize_embeddings,
        )
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


@component
class BackendDocumentEmbedder(_Embedder):
    """Embeds documents: ``prefix + meta values + content + suffix``, joined by ``embedding_separator``."""

    def __init__(
        self,
        model: str,
        *,
        runtime: str = "torch",
        prefix: str = "",
        suffix: str = "",
        batch_size: int = 32,
        progress_bar: bool = False,
        normalize_embeddings: bool = True,
        meta_fields_to_embed: list[str] | None = None,
        embedding_separator: str = "\n",
    ) -> None:
        _Embedder.__init__(
            self, model=model, runtime=runtime, prefix=prefix, suffix=suffix, batch_size=batch_size,
            progress_bar=progress_bar, normalize_embeddings=normalize_embeddings,
        )  # fmt: skip
        self.meta_fields_to_embed = list(meta_fields_to_embed or [])
        self.embedding_separator = embedding_separator

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        if not isinstance(documents, list) or (documents and not isinstance(documents[0], Document)):
            raise TypeError("BackendDocumentEmbedder embeds a list of Documents; a string goes to BackendTextEmbedder")
        texts = [
            text_to_embed(
                d, prefix=self.prefix, meta_fields_to_embed=self.meta_fields_to_embed,
                separator=self.embedding_separator, suffix=self.suffix,
            )
            for d in documents
        ]  # fmt: skip
        vectors = self._encode(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        return {"documents": [replace(d, embedding=v.tolist()) for d, v in zip(documents, vectors, strict=True)]}


@component
class BackendTextEmbedder(_Embedder):
    """Embeds one text (``prefix + text + suffix``).

    The vector comes out as a float32 array, not a list: a Haystack pipeline deep-copies every value it
    hands to a component, element by element for lists (per consumer, on every query), and in one step
    for an array."""

    @component.output_types(embedding=np.ndarray)
    def run(self, text: str) -> dict[str, np.ndarray]:
        if not isinstance(text, str):
            raise TypeError("BackendTextEmbedder embeds a string; embed Documents with BackendDocumentEmbedder")
        return {"embedding": self._encode([self.prefix + text + self.suffix])[0]}
