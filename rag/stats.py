"""What ``rag stats`` and ``GET /api/stats`` show about an index."""

from __future__ import annotations

from typing import Any

from rag.settings import Settings
from rag.store.base import VectorStore


def index_stats(store: VectorStore, settings: Settings) -> dict[str, Any]:
    """The index's counts and make, the reader, the LLM."""
    from rag.answer.generators import describe_local
    from rag.answer.reader import describe as reader_info

    meta = store.get_meta() or {}
    return {
        "index": str(settings.index.qdrant_url or settings.index_dir()),
        "backend": "qdrant-server" if settings.index.qdrant_url else "qdrant-edge",
        "articles": store.count("article"),
        "chunks": store.count("chunk"),
        "sentences": store.count("sentence"),
        "terms": store.count("term"),
        "sources": store.facet("source", "article") if meta else {},
        "languages": store.facet("language", "article") if meta else {},
        "built_with": meta,
        "reader": reader_info(settings),
        "llm": describe_local(settings),
    }
