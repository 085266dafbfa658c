"""Ingest: files or articles into the index, batch by batch, with a journal that makes a crash
mid-batch recoverable (each article ends complete or absent)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rag.article_locks import ArticleLocks
from rag.ids import content_hash, point_id
from rag.loaders import iter_inputs
from rag.loaders.floods import FloodCounter
from rag.models import Article, IngestReport, Skipped
from rag.store.base import VectorStore

Progress = Callable[[int, IngestReport], None]


@dataclass
class IngestTarget:
    """What an ingest writes through (the engine hands over its own; ingest never sees the engine)."""

    store: VectorStore
    #: The indexing pipeline, built on first use (it loads the models).
    indexing: Callable[[], Any]
    #: Held per article while it is written, so no delete of it runs meanwhile.
    locks: ArticleLocks
    #: Creates the collection and its manifest on the first ingest.
    prepare: Callable[[], None]
    max_file_mb: float
    #: Articles an interrupted ingest left unfinished (:func:`recover`); updated in place as they are
    #: written again.
    recovered: list[str] = field(default_factory=list)


def _origin_file(origin: str) -> str:
    """``path`` or ``path:line`` (JSONL) -> ``path``."""
    return re.sub(r":\d+$", "", origin)


def ingest_paths(
    target: IngestTarget,
    paths: Sequence[Path],
    *,
    batch_size: int = 64,
    on_progress: Progress | None = None,
    origin_base: Path | None = None,
    origin_label: str = "",
    optimize: bool = True,
) -> IngestReport:
    """See :meth:`rag.engine.Engine.ingest`."""
    base = str(origin_base) + os.sep if origin_base is not None else None
    report = IngestReport()
    started = time.perf_counter()
    target.prepare()
    files: set[str] = set()
    floods = FloodCounter()
    batch: list[Article] = []
    for item in iter_inputs(paths, max_file_mb=target.max_file_mb):
        if base and item.origin.startswith(base):
            origin = origin_label + item.origin[len(base) :]
            item = Skipped(origin, item.reason) if isinstance(item, Skipped) else replace(item, origin=origin)
        files.add(_origin_file(item.origin))
        if isinstance(item, Skipped):
            report.skipped.append(item)
            continue
        if item.decoded_as and not any(d["origin"] == item.origin for d in report.decoded):
            report.decoded.append({"origin": item.origin, "encoding": item.decoded_as})
        floods.observe(item)
        batch.append(item)
        if len(batch) >= batch_size:
            ingest_batch(target, batch, report, on_progress)
            batch = []
    if batch:
        ingest_batch(target, batch, report, on_progress)
    if optimize and (report.articles or report.replaced):
        target.store.optimize()  # builds HNSW; after replacements also makes BM25 statistics exact again
    report.files = len(files)
    report.near_duplicates = floods.groups()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def ingest_articles(target: IngestTarget, articles: Iterable[Article]) -> IngestReport:
    report = IngestReport()
    started = time.perf_counter()
    target.prepare()
    ingest_batch(target, list(articles), report, None)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def ingest_batch(
    target: IngestTarget, batch: list[Article], report: IngestReport, on_progress: Progress | None
) -> None:
    with target.locks.holding(a.article_id for a in batch):  # no delete of these meanwhile
        journal(target.store, [[a.article_id, content_hash(a)] for a in batch])
        run = {"router": {"articles": batch}}
        out = target.indexing().run(run, include_outputs_from={"router", "splitter"})
        journal(target.store, [])
    routed, split = out["router"], out["splitter"]
    report.articles += len(routed["new"])
    if target.recovered:  # articles an interrupted ingest left unfinished, written again now: once
        resumed = {a.article_id for a in routed["new"]} & set(target.recovered)
        report.resumed.extend(a for a in target.recovered if a in resumed)
        target.recovered[:] = [a for a in target.recovered if a not in resumed]
    report.unchanged += len(routed["unchanged"])
    report.replaced += len(routed["replaced"])
    report.skipped.extend(routed["superseded"])
    report.sentences += len(split["sentences"])
    report.chunks += len(split["chunks"])
    if on_progress:
        on_progress(len(batch), report)


# -- crash safety ---------------------------------------------------------------------------------
def journal(store: VectorStore, pending: list[list[str]]) -> None:
    """Records (in the index manifest) the [article id, content hash] pairs a batch is writing;
    cleared when it is done, with the articles the index now holds (``articles``: an index found
    holding fewer is damaged, :func:`rag.store.manifest.check_counts`)."""
    meta = store.get_meta() or {}
    if not pending and not meta.get("pending"):
        return
    counted = {} if pending else {"articles": store.count("article")}
    store.set_meta({**meta, "pending": pending, **counted})


def recover(store: VectorStore) -> list[str]:
    """After a crash mid-batch, each article of the batch ends as one complete version: a version
    whose record (written last) exists is kept and any other version of that article removed; an
    incomplete version is removed (an older complete one, if any, stays). Returns the ids of the
    articles left unfinished (the next ingest writes them again)."""
    meta = store.get_meta() or {}
    pending = list(meta.get("pending") or [])
    cleaned = []
    for article_id, version in pending:
        if store.retrieve([point_id(f"{article_id}@{version}")]):
            store.delete_article(article_id, version, keep=True)  # an old version left by a swap
        else:
            store.delete_article(article_id, version)  # whatever of it was written
            cleaned.append(article_id)
    if pending:
        store.set_meta({**meta, "pending": []})
        store.flush()
    return cleaned
