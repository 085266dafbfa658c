"""Writes embedded chunks and sentences, then the article records that mark them complete.

Terms (the cross-lingual vocabulary) are shared by all articles and written with them.

Order matters for crash safety: an article record is written only after all its chunks and
sentences, so an article whose record exists is complete; a crash before that leaves an
article that the next ingest sees as new and writes again (same ids, so nothing doubles).
A changed article (same id, new content) is swapped under the store's write lock (searches hold the
read lock, so none sees both versions or neither): its new version is written first, then the old
one deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from haystack import Document, component

from rag.store.document_store import NewsDocumentStore


@component
class IndexWriter:
    def __init__(self, document_store: NewsDocumentStore, batch_size: int = 256) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.document_store = document_store
        self.batch_size = batch_size

    def _write(self, documents: Iterable[Document]) -> None:
        batch: list[Document] = []
        for doc in documents:
            batch.append(doc)
            if len(batch) >= self.batch_size:
                self.document_store.write_documents(batch)
                batch = []
        if batch:
            self.document_store.write_documents(batch)

    @component.output_types(points_written=int, articles_written=int)
    def run(
        self,
        documents: list[Document],
        articles: list[Document],
        replaced: list[str] | None = None,
        terms: list[Document] | None = None,
    ) -> dict[str, int]:
        store = self.document_store.store
        swapped = set(replaced or [])
        for i in range(0, len(terms or []), self.batch_size):
            self.document_store.write_documents((terms or [])[i : i + self.batch_size])
        self._write(d for d in documents if d.meta.get("article_id") not in swapped)
        for record in articles:
            article_id = record.meta["article_id"]
            if article_id not in swapped:
                continue
            # The new version (its own point ids) goes in, then the old one out, as one step for
            # searches: they never see both versions, or neither. A crash in between leaves both,
            # and Engine.recover keeps the complete one.
            with store.rw.writing():
                self._write(d for d in documents if d.meta.get("article_id") == article_id)
                self._write([record])
                self.document_store.delete_article(article_id, record.meta["content_hash"], keep=True)
        self._write(a for a in articles if a.meta.get("article_id") not in swapped)
        self.document_store.store.flush()
        return {"points_written": len(documents), "articles_written": len(articles)}
