"""Backup and rebuild: export every stored article to JSON Lines, rebuild an index from its own
stored articles (``rag reindex``) without the original files.

An index stores each article's exact text and metadata in its article record, so both work from
the index alone. The export is the JSONL format ``rag ingest`` reads (one article per line, with
its id), so export -> ingest gives back the same articles, ids and spans.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rag.errors import IndexStoreError, RagError
from rag.files import atomic_file
from rag.models import Article
from rag.settings import Settings
from rag.store.base import VectorStore

#: The fields an export line carries (``rag.loaders.jsonl`` reads exactly these back).
FIELDS = ("id", "title", "date", "source", "url", "language", "text")


def stored_articles(store: VectorStore, page: int = 256, unreadable: list[str] | None = None) -> Iterator[Article]:
    """Every article the index holds, from its records, in point order. With ``unreadable`` given, a
    page that cannot be read (a damaged payload file) is read again one record at a time, and the ids of
    the records that still cannot be are added to it: what can be read is not lost with them."""
    offset: str | None = None
    while True:
        try:
            records, following = store.scroll("article", None, limit=page, offset=offset)
        except Exception:  # the stores raise their engines' own errors
            if unreadable is None:
                raise
            ids, following = store.scroll("article", None, limit=page, offset=offset, payload=False)
            records = []
            for point in ids:
                try:
                    records += store.retrieve([point.point_id])
                except Exception:
                    unreadable.append(point.point_id)
        offset = following
        for r in records:
            p = r.payload
            yield Article(
                article_id=str(p["article_id"]),
                text=str(p.get("text", "")),
                title=str(p.get("title") or ""),
                date=p.get("date"),
                source=str(p.get("source") or ""),
                url=p.get("url"),
                language=str(p.get("language") or "it"),
                origin=str(p.get("origin") or ""),
            )
        if offset is None:
            return


def export_line(article: Article) -> str:
    record = {
        "id": article.article_id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "url": article.url,
        "language": article.language,
        "text": article.text,
    }
    return json.dumps(record, ensure_ascii=False)


def export_jsonl(
    store: VectorStore,
    target: Path,
    on_progress: Callable[[int], None] | None = None,
    unreadable: list[str] | None = None,
) -> int:
    """Writes every article to ``target`` (via a temporary file and a rename: never a half file).
    Returns the number of articles. ``unreadable``: collects the ids of records a damaged index could not
    give back (the others are exported); without it, such damage is an error."""
    target = Path(target)
    if target.is_dir():
        raise RagError(f"{target} is a folder", hint="give a file name, e.g. backup.jsonl")
    if not target.parent.is_dir():
        raise RagError(f"the folder {target.parent} does not exist", hint="create it first or pick another path")
    n = 0
    with atomic_file(target) as fh:  # the old file stays until the new one is complete
        for article in stored_articles(store, unreadable=unreadable):
            fh.write(export_line(article) + "\n")
            n += 1
            if on_progress and n % 256 == 0:
                on_progress(n)
    if on_progress:
        on_progress(n)
    return n


@dataclass
class ReindexReport:
    source: str
    target: str
    articles: int
    chunks: int
    sentences: int
    seconds: float
    replaced_in_place: bool
    #: upload jobs not yet ingested, carried over to the rebuilt index (they run when it is next served)
    jobs_carried: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reindex(
    source: Path,
    settings: Settings,
    target: Path | None = None,
    *,
    batch: int = 64,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReindexReport:
    """Rebuilds the index at ``source`` with ``settings`` from its stored articles, into ``target``
    (default: ``source`` itself, built beside it; the folders are swapped only once the new index is
    complete, and the old one is removed after)."""
    from rag.engine import Engine
    from rag.store.edge import EdgeStore

    started = time.perf_counter()
    if settings.index.qdrant_url:
        raise IndexStoreError(
            "rag reindex rebuilds an embedded index folder; this one is on a Qdrant server",
            hint="export it (rag export FILE.jsonl), then ingest the file with the new settings",
        )
    source = Path(source)
    if not (source / "edge_config.json").exists():
        raise IndexStoreError(f"no index at {source}", hint="pass the folder of an existing index: --index PATH")
    dest = Path(target) if target is not None else source
    in_place = dest.resolve() == source.resolve()
    build = dest.with_name(dest.name + ".reindex") if in_place else dest
    if build.exists() and in_place:
        shutil.rmtree(build)  # left by an interrupted reindex: the old index was never touched
    elif build.exists() and any(build.iterdir()):
        raise IndexStoreError(
            f"{build} already exists", hint="pass --to with a new folder, or delete that folder first"
        )
    new_settings = settings.model_copy(deep=True)
    new_settings.index.path = build
    with EdgeStore(source) as old:
        total = old.count("article")
        done = 0
        chunks = sentences = 0
        with Engine(new_settings) as engine:
            pending: list[Article] = []
            for article in stored_articles(old):
                pending.append(article)
                if len(pending) >= batch:
                    report = engine.ingest_articles(pending)
                    chunks, sentences, done = chunks + report.chunks, sentences + report.sentences, done + len(pending)
                    pending = []
                    if on_progress:
                        on_progress(done, total)
            if pending:
                report = engine.ingest_articles(pending)
                chunks, sentences, done = chunks + report.chunks, sentences + report.sentences, done + len(pending)
            engine.store.optimize()
            built = engine.store.count("article")
        if on_progress:
            on_progress(done, total)
    if built != total:
        raise IndexStoreError(
            f"the rebuilt index holds {built} articles, the old one {total}; the old index is left as it was",
            hint=f"inspect {build}, then delete it and run rag reindex again",
        )
    carried = _carry_uploads(source, build, move=in_place)
    if in_place:
        retired = source.with_name(source.name + f".old-{int(time.time())}")
        os.replace(source, retired)
        os.replace(build, source)
        shutil.rmtree(retired, ignore_errors=True)
    return ReindexReport(
        source=str(source),
        target=str(dest),
        articles=built,
        chunks=chunks,
        sentences=sentences,
        seconds=round(time.perf_counter() - started, 2),
        replaced_in_place=in_place,
        jobs_carried=carried,
    )


def _carry_uploads(source: Path, build: Path, *, move: bool) -> int:
    """The upload jobs of ``source`` (``uploads/``: accepted with 202, maybe not yet ingested) go with the
    rebuilt index, so that none is lost; returns how many have not finished."""
    from rag.jobs import JOB_FILE

    uploads = source / "uploads"
    if not uploads.is_dir():
        return 0
    pending = 0
    for record in uploads.glob(f"*/{JOB_FILE}"):
        try:
            pending += json.loads(record.read_text(encoding="utf-8")).get("state") in ("queued", "running")
        except (OSError, ValueError):
            pending += 1  # unreadable: the job queue decides at the next start
    if move:
        os.replace(uploads, build / "uploads")
    else:
        shutil.copytree(uploads, build / "uploads", dirs_exist_ok=True)
    return pending
