"""Routes articles by what the index already holds: new, unchanged (skip) or changed (replace)."""

from __future__ import annotations

from typing import Any

from haystack import component

from rag.ids import content_hash, point_id
from rag.models import Article, Filters, Skipped
from rag.store.document_store import NewsDocumentStore


@component
class NewArticleRouter:
    """``new`` articles need indexing; ``unchanged`` ones are already there with the same content;
    ``replaced`` lists ids whose stored version differs and must be deleted before writing."""

    def __init__(self, document_store: NewsDocumentStore) -> None:
        self.document_store = document_store

    @component.output_types(new=list[Article], unchanged=list[Article], replaced=list[str], superseded=list[Skipped])
    def run(self, articles: list[Article]) -> dict[str, Any]:
        store = self.document_store.store
        # Duplicates inside one batch count as unchanged after their first occurrence; two different
        # versions of one article id in a batch: the later one is indexed, the earlier reported.
        batch: dict[str, Article] = {}
        latest: dict[str, str] = {}
        unchanged: list[Article] = []
        superseded: list[Skipped] = []
        for a in articles:
            key = f"{a.article_id}@{content_hash(a)}"
            if key in batch:
                unchanged.append(a)
                continue
            earlier = latest.get(a.article_id)
            if earlier is not None:
                old = batch.pop(earlier)
                what = "the same text with other metadata" if old.text == a.text else "other content"
                superseded.append(
                    Skipped(
                        old.origin,
                        f"article id {a.article_id!r} comes again in this batch ({a.origin}, {what}); "
                        "only that later one is indexed",
                    )
                )
            batch[key] = a
            latest[a.article_id] = key
        present = {r.point_id for r in store.retrieve([point_id(k) for k in batch])}
        new: list[Article] = []
        replaced: list[str] = []
        for key, article in batch.items():
            if point_id(key) in present:
                unchanged.append(article)
                continue
            new.append(article)
            if store.count("article", Filters(article_ids=[article.article_id])) or store.count(
                "chunk", Filters(article_ids=[article.article_id])
            ):
                replaced.append(article.article_id)
        return {"new": new, "unchanged": unchanged, "replaced": replaced, "superseded": superseded}
