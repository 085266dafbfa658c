"""The sentence-transformers Haystack embedders, on the runtime chosen by ``embedding.backend``.

``torch`` is the integration's own path. The other backends (``rag.embedding.backends``) keep
everything the integration does (prefix, meta fields, batching, normalization) and swap only the
model it encodes with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from haystack import component
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
    SentenceTransformersTextEmbedder,
)
from haystack_integrations.components.embedders.sentence_transformers.embedding_backend.backend import (
    _SentenceTransformersEmbeddingBackend,
)

from rag.embedding.backends import load_encoder


def text_to_embed(doc: Any, *, prefix: str, meta_fields_to_embed: list[str], separator: str, suffix: str = "") -> str:
    """What Haystack's ``SentenceTransformersDocumentEmbedder`` encodes for ``doc``: prefix, the given
    metadata values and the content joined by ``separator``, suffix."""
    meta = [str(doc.meta[k]) for k in meta_fields_to_embed if k in doc.meta and doc.meta[k] is not None]
    return prefix + separator.join([*meta, doc.content or ""]) + suffix


class _ExportedBackend(_SentenceTransformersEmbeddingBackend):
    """The integration's embedding backend around an already loaded model."""

    def __init__(self, model: Any) -> None:  # no super().__init__: it would load the model again
        self.model = model


def _warm(self: Any, parent: Any) -> None:
    if self.embedding_backend is not None:
        return
    if self.runtime == "torch":
        parent.warm_up(self)
    else:
        self.embedding_backend = _ExportedBackend(load_encoder(self.model, self.runtime))


@component
class BackendDocumentEmbedder(SentenceTransformersDocumentEmbedder):
    """``SentenceTransformersDocumentEmbedder`` with ``runtime`` = an ``embedding.backend`` value."""

    # The parent is named, not super(): @component rebuilds the class, which breaks zero-argument super().
    def __init__(self, *, runtime: str = "torch", **kwargs: Any) -> None:
        SentenceTransformersDocumentEmbedder.__init__(self, **kwargs)
        self.runtime = runtime

    def warm_up(self) -> None:
        _warm(self, SentenceTransformersDocumentEmbedder)

    def embedding_dimension(self) -> int:
        self.warm_up()
        return int(self.embedding_backend.model.get_embedding_dimension())  # type: ignore[union-attr,arg-type]

    def to_dict(self) -> dict[str, Any]:
        data = SentenceTransformersDocumentEmbedder.to_dict(self)
        data["init_parameters"]["runtime"] = self.runtime
        return data


@component
class BackendTextEmbedder(SentenceTransformersTextEmbedder):
    """``SentenceTransformersTextEmbedder`` with ``runtime`` = an ``embedding.backend`` value.

    The query vector comes out as a float32 array, not a list: a Haystack pipeline deep-copies every
    value it hands to a component, element by element for lists (per consumer, on every query), and
    in one step for an array."""

    def __init__(self, *, runtime: str = "torch", **kwargs: Any) -> None:
        SentenceTransformersTextEmbedder.__init__(self, **kwargs)
        self.runtime = runtime

    def warm_up(self) -> None:
        _warm(self, SentenceTransformersTextEmbedder)

    @component.output_types(embedding=np.ndarray)
    def run(self, text: str) -> dict[str, np.ndarray]:
        out = SentenceTransformersTextEmbedder.run(self, text)
        return {"embedding": np.asarray(out["embedding"], dtype=np.float32)}

    def to_dict(self) -> dict[str, Any]:
        data = SentenceTransformersTextEmbedder.to_dict(self)
        data["init_parameters"]["runtime"] = self.runtime
        return data
