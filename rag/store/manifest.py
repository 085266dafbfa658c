"""An index's identity: the manifest it keeps (schema, model and its checksum, the settings that
shaped its vectors) and the checks made when it is opened."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rag import __version__
from rag.embedding.identity import model_checksum
from rag.errors import IndexStoreError
from rag.settings import SCHEMA_VERSION, Settings

#: Settings that shape stored vectors: an index remembers them and re-applies them when opened.
SHAPING = (
    "embedding.model",
    "embedding.backend",
    "embedding.passage_prompt",
    "embedding.query_prompt",
    "embedding.meta_fields_to_embed",
    "embedding.sentence_vectors",
    "chunking.sentences",
    "chunking.overlap",
    "chunking.max_chars",
    "retrieval.bm25_language",
)


def _get(settings: Settings, dotted: str) -> Any:
    section, name = dotted.split(".")
    return getattr(getattr(settings, section), name)


def _same(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def new_manifest(settings: Settings, dim: int, model: str) -> dict[str, Any]:
    """What a new index records about itself."""
    return {
        "schema": SCHEMA_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "rag_version": __version__,
        "dim": dim,
        "model_path": model,
        "model_sha256": model_checksum(model),
        "settings": {dotted: _get(settings, dotted) for dotted in SHAPING},
    }


def check_schema(meta: dict[str, Any] | None, settings: Settings) -> None:
    if meta and meta.get("schema") != SCHEMA_VERSION:
        raise IndexStoreError(
            f"index {settings.index_dir()} has schema {meta.get('schema')}, this version uses {SCHEMA_VERSION}",
            hint=f"rebuild it from its stored articles: rag reindex --index {settings.index_dir()}",
        )


def check_model(meta: dict[str, Any] | None, settings: Settings, path: str) -> None:
    """Refuses a model whose weights differ from those the index was built with."""
    built = (meta or {}).get("model_sha256")
    have = model_checksum(path)
    if built and have and built != have:
        raise IndexStoreError(
            f"the index {settings.index_dir()} was built with other weights of "
            f"{settings.embedding.model} (checksum {built[:12]}…, here {have[:12]}…): "
            "its vectors would not match new ones",
            hint=f"rebuild it from its stored articles: rag reindex --index {settings.index_dir()}",
        )


def adopt_index_settings(settings: Settings, meta: dict[str, Any] | None, where: str = "the index") -> Settings:
    """An existing index decides how queries are embedded: take its shaping settings.

    A shaping setting given explicitly (an RAG_* variable, an option) that differs from the index's
    is refused: the index's vectors were made another way, and mixing them is never done. An index
    whose manifest names no ``embedding.backend`` (built before backends were recorded) is refused:
    ``rag reindex`` rebuilds it from its stored articles."""
    if not meta or "settings" not in meta:
        return settings
    stored = dict(meta["settings"])
    if "embedding.backend" not in stored:
        raise IndexStoreError(
            f"{where} was built before the embedding backend was recorded in an index",
            hint=f"rebuild it from its stored articles: rag reindex --index {settings.index_dir()}",
        )
    stored.setdefault("embedding.sentence_vectors", "separate")  # indexes from before the setting
    data = settings.model_dump()
    clashes = []
    for dotted in SHAPING:
        section, name = dotted.split(".")
        if dotted not in stored:
            continue
        mine = data[section][name]
        if name in getattr(settings, section).model_fields_set and _same(mine) != _same(stored[dotted]):
            clashes.append(f"{dotted} is {mine!r} here but {stored[dotted]!r} in the index")
        data[section][name] = stored[dotted]
    if clashes:
        raise IndexStoreError(
            f"{where} was built with other settings: " + "; ".join(clashes),
            hint="rebuild it from its stored articles with these settings: rag reindex --index "
            f"{settings.index_dir()} (or unset the setting to use the index as it is)",
        )
    return Settings(**data)


def check_counts(store: Any, where: str) -> None:
    """Refuses an index that holds fewer articles than its manifest counts, or whose articles have lost
    their chunks or sentences (segment files lost, emptied or damaged; a swap cut short before swaps
    were journaled), instead of opening it as if it held nothing to find. The manifest's count goes up
    after a batch is written and down before a delete, so a crash leaves it low, never high."""
    if not store.exists():
        return
    articles = store.count("article")
    counted = (store.get_meta() or {}).get("articles")
    if isinstance(counted, int) and articles < counted:
        raise IndexStoreError(
            f"{where} is damaged: it holds {articles} articles where its manifest counts {counted} "
            "(segment files lost, emptied or corrupted?)",
            hint=f"restore it from a backup, or rebuild what is left: rag reindex --index {where}",
        )
    if not articles:
        return
    chunks, sentences = store.count("chunk"), store.count("sentence")
    if not chunks or not sentences:
        raise IndexStoreError(
            f"{where} is damaged: it holds {articles} articles but {chunks} chunks and {sentences} sentences",
            hint=f"rebuild it from its stored articles: rag reindex --index {where} (or restore a backup)",
        )
