"""Pick the index backend from the settings."""

from __future__ import annotations

from rag.settings import Settings
from rag.store.base import VectorStore


def open_store(settings: Settings) -> VectorStore:
    """Qdrant Edge in ``settings.index_dir()``, unless ``index.qdrant_url`` is set.

    With a URL: the collection ``settings.collection_name()`` on that server; the special URL
    ``":memory:"`` gives an in-process collection (tests, throw-away runs).
    """
    url = settings.index.qdrant_url
    if url:
        from rag.store.client import ClientStore

        return ClientStore(url, settings.collection_name(), settings.index)
    from rag.store.edge import EdgeStore

    return EdgeStore(settings.index_dir())
