"""A Haystack DocumentStore over the project's Qdrant layer (Edge on disk, or a Qdrant server).

Documents carry ``meta["kind"]`` ("article", "chunk", "sentence" or "term": one archive word). Point ids derive from the
article id, its content hash, the kind and the position, so writing the same content twice
adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from haystack import Document, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.types import DuplicatePolicy

from rag.ids import point_id
from rag.models import Filters
from rag.settings import Settings
from rag.store.base import PointData, ScoredRecord, VectorStore

KINDS = ("article", "chunk", "sentence", "term")


def record_to_document(rec: ScoredRecord) -> Document:
    payload = dict(rec.payload)
    content = payload.pop("text", None)
    return Document(id=payload.get("doc_id", rec.point_id), content=content, meta=payload, score=rec.score)


def filters_from_haystack(filters: dict[str, Any] | None) -> tuple[str | None, Filters | None]:
    """Translate the subset of Haystack filter syntax this store supports."""
    if not filters:
        return None, None
    conditions = filters["conditions"] if filters.get("operator") == "AND" and "conditions" in filters else [filters]
    kind: str | None = None
    out = Filters()
    for cond in conditions:
        field, op, value = cond.get("field", ""), cond.get("operator"), cond.get("value")
        name = field.removeprefix("meta.")
        if name == "kind" and op == "==":
            kind = value
        elif name in ("article_id", "source", "language") and op in ("==", "in"):
            values = list(value or []) if op == "in" else [value]
            target = {"article_id": "article_ids", "source": "sources", "language": "languages"}[name]
            setattr(out, target, values)
        elif name == "date" and op in (">=", "<="):
            if op == ">=":
                out.date_from = value
            else:
                out.date_to = value
        else:
            raise ValueError(
                f"unsupported filter {cond!r}: use kind/article_id/source/language (==, in) or date (>=, <=)"
            )
    return kind, out


class NewsDocumentStore:
    """Haystack ``DocumentStore`` protocol over a :class:`VectorStore`."""

    def __init__(self, store: VectorStore, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings

    # -- Haystack protocol -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, settings=self.settings.model_dump(mode="json") if self.settings else None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewsDocumentStore:
        from rag.store.factory import open_store

        settings = Settings(**data["init_parameters"]["settings"])
        params = {"store": open_store(settings), "settings": settings}
        return default_from_dict(cls, {"type": data["type"], "init_parameters": params})

    def count_documents(self) -> int:
        return sum(self.store.count(kind) for kind in KINDS)

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        kind, flt = filters_from_haystack(filters)
        docs: list[Document] = []
        for k in [kind] if kind else list(KINDS):
            offset: str | None = None
            while True:
                page, offset = self.store.scroll(k, flt, limit=256, offset=offset)
                docs.extend(record_to_document(r) for r in page)
                if offset is None:
                    break
        return docs

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Upsert; ids are content-derived so OVERWRITE/SKIP/NONE all leave one copy per content."""
        points = [document_to_point(d) for d in documents]
        self.store.upsert(points)
        return len(points)

    def delete_documents(self, document_ids: list[str]) -> None:
        raise NotImplementedError("delete whole articles with delete_article(article_id)")

    # -- project helpers -----------------------------------------------------------------------
    def delete_article(self, article_id: str, version: str | None = None, keep: bool = False) -> int:
        return self.store.delete_article(article_id, version, keep)

    def get(self, doc_ids: Sequence[str]) -> list[Document]:
        return [record_to_document(r) for r in self.store.retrieve([point_id(i) for i in doc_ids])]


def document_to_point(doc: Document) -> PointData:
    kind = doc.meta.get("kind")
    if kind not in KINDS:
        raise ValueError(f"document {doc.id!r} has meta.kind={kind!r}; expected one of {KINDS}")
    payload = {**doc.meta, "doc_id": doc.id, "text": doc.content or ""}
    sparse: tuple[list[int], list[float]] | None = None
    if isinstance(doc.sparse_embedding, SparseEmbedding):
        sparse = (list(doc.sparse_embedding.indices), list(doc.sparse_embedding.values))
    return PointData(point_id=point_id(doc.id), payload=payload, dense=doc.embedding, sparse=sparse)
