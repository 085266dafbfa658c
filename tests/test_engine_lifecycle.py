"""What goes in stays in, exactly once: atomic replacement, crash recovery, resumable ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rag.ids import content_hash
from rag.models import Article
from tests.conftest import ROOT, make_settings

#: Plumbing (what is stored, swapped, recovered): the fake encoder, except where a child process ingests.
pytestmark = pytest.mark.usefixtures("fake_model")

ALFA = Article(
    "x1",
    "Versione alfa: il ponte di Messina apre a marzo. La versione alfa cita il sindaco. Alfa costa tre milioni.",
    title="Ponte",
)
BETA = Article(
    "x1",
    "Versione beta: il ponte di Messina apre a maggio. La versione beta cita il prefetto. Beta costa quattro milioni. "
    "Una frase in più nella beta.",
    title="Ponte",
)
OTHER = Article("y1", "Il porto di Genova ha un nuovo terminal per le navi da crociera.", title="Porto")


def _versions(engine: Any, article_id: str) -> set[str]:
    """The content versions of an article a search can see right now (under the search's lock)."""
    from rag.models import Filters

    seen: set[str] = set()
    with engine.store.rw.reading():
        for kind in ("article", "chunk", "sentence"):
            page, _ = engine.store.scroll(kind, Filters(article_ids=[article_id]), limit=1000)
            seen |= {str(r.payload.get("content_hash")) for r in page}
    return seen


def test_a_changed_article_is_swapped_atomically_while_searches_run(tmp_path: Path) -> None:
    from rag.engine import Engine
    from rag.models import Filters

    with Engine(make_settings(tmp_path / "idx")) as engine:
        engine.ingest_articles([ALFA, OTHER])
        done = threading.Event()
        seen: list[set[str]] = []
        mixed: list[str] = []

        def reader() -> None:
            while not done.is_set():
                try:
                    seen.append(_versions(engine, "x1"))
                    found = engine.search("il ponte di Messina", filters=Filters(article_ids=["x1"]))
                except Exception as err:  # noqa: BLE001 - a failing search is a finding too
                    mixed.append(f"search failed: {err!r}")
                    continue
                texts = [h.text for h in found.hits] + [e.text for e in found.evidence]
                marks = {m for t in texts for m in ("alfa", "beta") if m in t.lower()}
                if len(marks) != 1:
                    mixed.append(f"search saw {marks or 'nothing'}: {texts}")

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            for article in [BETA, ALFA] * 4:
                report = engine.ingest_articles([article])
                assert report.replaced == 1
        finally:
            done.set()
            thread.join(60)
        bad = [v for v in seen if len(v) != 1]
        assert not bad, f"{len(bad)} of {len(seen)} reads saw both versions or neither: {bad[:3]}"
        assert not mixed, mixed[:3]
        assert len(seen) >= 8, f"the reader ran {len(seen)} times only; the test proves nothing"
        assert engine.article_text("x1") == ALFA.text
        assert engine.store.count("article") == 2  # x1 once, y1 untouched


def _crash_at(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Make the index writer stop at ``where`` as a killed process would (the journal stays pending)."""
    from rag.ingest import writer as index_writer
    from rag.store.document_store import NewsDocumentStore

    class Crash(BaseException):  # not an Exception: nothing on the way may catch it
        def __init__(self) -> None:
            super().__init__("simulated crash")

    if where == "before the record":
        original = index_writer.IndexWriter._write

        def write(self: Any, documents: Any) -> None:
            docs = list(documents)
            if any(d.meta.get("kind") == "article" for d in docs):
                raise Crash()
            original(self, docs)

        monkeypatch.setattr(index_writer.IndexWriter, "_write", write)
    else:  # "before the old version is deleted"
        original_delete = NewsDocumentStore.delete_article

        def delete(self: Any, article_id: str, version: str | None = None, keep: bool = False) -> int:
            if keep:
                raise Crash()
            return original_delete(self, article_id, version, keep)

        monkeypatch.setattr(NewsDocumentStore, "delete_article", delete)


@pytest.mark.parametrize(
    ("where", "survivor"), [("before the record", ALFA), ("before the old version is deleted", BETA)]
)
def test_a_crash_during_a_replacement_leaves_one_complete_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, survivor: Article
) -> None:
    from rag.engine import Engine

    index = tmp_path / "idx"
    with Engine(make_settings(index)) as engine:
        engine.ingest_articles([ALFA, OTHER])
        counts = {k: engine.store.count(k) for k in ("article", "chunk", "sentence")}
    with monkeypatch.context() as m:
        _crash_at(m, where)
        engine = Engine(make_settings(index))
        with pytest.raises(BaseException, match="simulated crash"):
            engine.ingest_articles([BETA])
        assert len(_versions(engine, "x1")) == 2  # the crash left both versions' points behind
        engine.store.close()  # no clean shutdown of the engine beyond releasing the folder
    with Engine(make_settings(index)) as engine:
        cleaned = engine.recovered
        assert _versions(engine, "x1") == {content_hash(survivor)}
        assert engine.article_text("x1") == survivor.text
        assert engine.store.count("article") == 2
        if survivor is ALFA:
            assert cleaned == ["x1"]  # the unfinished new version was removed
            assert {k: engine.store.count(k) for k in counts} == counts
            report = engine.ingest_articles([BETA])  # the next ingest finishes the job
            assert report.replaced == 1 and report.resumed == ["x1"]
            assert engine.article_text("x1") == BETA.text and len(_versions(engine, "x1")) == 1
            later = engine.ingest_articles([ALFA])  # a later change of it is a plain replacement
            assert later.replaced == 1 and later.resumed == []
        else:
            assert cleaned == []  # nothing unfinished: the complete new version stays, the old one goes


def test_two_versions_of_one_id_in_a_batch_index_the_later_and_report_the_earlier(tmp_path: Path) -> None:
    from rag.engine import Engine

    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "x1", "text": ALFA.text}) + "\n" + json.dumps({"id": "x1", "text": BETA.text}) + "\n",
        encoding="utf-8",
    )
    with Engine(make_settings(tmp_path / "idx")) as engine:
        report = engine.ingest([feed])
        assert report.articles == 1 and engine.store.count("article") == 1
        assert engine.article_text("x1") == BETA.text and len(_versions(engine, "x1")) == 1
        (skipped,) = report.skipped
        assert skipped.origin.endswith("feed.jsonl:1") and "feed.jsonl:2" in skipped.reason


def _rag(*args: str, index: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *args, "--index", str(index)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow  # child processes load the real model
def test_kill_9_during_a_folder_ingest_then_rerun_ends_with_every_article_once(tmp_path: Path) -> None:
    """70 files = two batches (64 + 6): killed while the second batch is being written."""
    from rag.engine import Engine

    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(70):
        (folder / f"n{i:02d}.txt").write_text(
            f"Notizia {i}\n\nIl consiglio comunale numero {i} ha approvato il bilancio. "
            f"La seduta {i} è durata tre ore.",
            encoding="utf-8",
        )
    index = tmp_path / "idx"
    manifest = index / "rag_index.json"
    proc = _rag("ingest", str(folder), index=index)
    deadline = time.monotonic() + 300
    killed_during: list[list[str]] = []
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                pending = json.loads(manifest.read_text(encoding="utf-8")).get("pending") or []
            except (OSError, ValueError):
                pending = []
            if len(pending) and len(pending) < 64:  # the second batch (6 articles) is being written
                os.kill(proc.pid, signal.SIGKILL)
                killed_during = pending
                break
            time.sleep(0.01)
    finally:
        proc.wait(60)
    assert killed_during, f"never caught the second batch in flight (rc {proc.returncode}): {proc.stderr.read()}"
    assert proc.returncode == -signal.SIGKILL

    pending_ids = {article_id for article_id, _ in killed_during}
    rerun = _rag("ingest", str(folder), index=index)
    out, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, errors
    summary = " ".join(out.split())
    assert "recovered: an earlier ingest was interrupted" in " ".join(errors.split()), (out, errors)
    assert "resumed an interrupted ingest: 6 unfinished articles written again" in summary, summary
    assert "6 articles indexed" in summary and "64 unchanged" in summary and "0 skipped" in summary
    with Engine(make_settings(index)) as engine:
        assert engine.recovered == []  # the rerun finished cleanly
        records = engine.store.scroll("article", None, limit=1000)[0]
        assert sorted(r.payload["title"] for r in records) == sorted(f"Notizia {i}" for i in range(70))
        resumed = {
            r.payload["article_id"] for r in records if r.payload["title"] in {f"Notizia {i}" for i in range(64, 70)}
        }
        assert resumed == pending_ids  # the six of the killed batch, named in the journal
        for kind, per_article in (("sentence", 3), ("chunk", 1)):  # the title line is a sentence too
            ids = [r.payload["doc_id"] for r in engine.store.scroll(kind, None, limit=10_000)[0]]
            assert len(ids) == len(set(ids)) == 70 * per_article  # every article's points, none twice


def test_delete_removes_every_point_of_the_article_and_nothing_else(tmp_path: Path) -> None:
    from rag.engine import Engine
    from rag.models import Filters

    with Engine(make_settings(tmp_path / "idx")) as engine:
        engine.ingest_articles([ALFA, OTHER])
        kinds = ("article", "chunk", "sentence")
        other = {k: engine.store.count(k, Filters(article_ids=["y1"])) for k in kinds}
        mine = sum(engine.store.count(k, Filters(article_ids=["x1"])) for k in kinds)
        assert engine.delete_article("x1") == mine > 3
        assert {k: engine.store.count(k, Filters(article_ids=["x1"])) for k in kinds} == dict.fromkeys(kinds, 0)
        assert {k: engine.store.count(k, Filters(article_ids=["y1"])) for k in kinds} == other
        assert all(h.article_id != "x1" for h in engine.cite("il ponte di Messina apre a marzo", top_k=10))
        assert engine.get_article("x1") is None and engine.delete_article("x1") == 0


def test_an_injected_store_is_used_and_closed(tmp_path: Path) -> None:
    """``Engine(settings, store=...)``: benchmarks and tests hand it a store instead of patching the factory."""
    from rag.engine import Engine
    from rag.store.client import ClientStore

    store = ClientStore(":memory:", "injected")
    with Engine(make_settings(tmp_path / "never-created"), store=store) as engine:
        assert engine.store is store
        engine.ingest_articles([ALFA, OTHER])
        assert store.count("article") == 2
        assert engine.search("porto di Genova").hits[0].article_id == "y1"
    assert not (tmp_path / "never-created").exists()
    with pytest.raises(Exception):  # noqa: B017 - closed: any use fails
        store.count("article")


def test_a_delete_during_the_batch_that_writes_the_article_leaves_none_of_it(tmp_path: Path) -> None:
    """Issue 25, item 7: a DELETE during the job writing that article left it half there (its record
    said 250 chunks, search found 0). The delete now waits for the batch, then removes all of it."""
    from rag.engine import Engine
    from rag.models import Filters

    with Engine(make_settings(tmp_path / "idx")) as engine:
        engine.ensure_collection()
        first_write = threading.Event()
        real = engine.store.upsert

        def slow_upsert(points: Any) -> None:  # the batch writes its points in steps, a moment apart
            real(points)
            first_write.set()
            time.sleep(0.3)

        engine.store.upsert = slow_upsert  # type: ignore[method-assign]
        writer = threading.Thread(target=engine.ingest_articles, args=([ALFA, OTHER],))
        writer.start()
        assert first_write.wait(30)
        removed = engine.delete_article("x1", optimize=False)  # while the batch is still writing
        writer.join(60)
        left = {k: engine.store.count(k, Filters(article_ids=["x1"])) for k in ("article", "chunk", "sentence")}
        assert removed > 3 and left == {"article": 0, "chunk": 0, "sentence": 0}, (removed, left)
        assert engine.store.count("article", Filters(article_ids=["y1"])) == 1


@pytest.mark.parametrize("damage", ["empty every segment file", "remove the segments", "remove segments and wal"])
def test_an_index_with_damaged_segments_never_opens_as_empty(tmp_path: Path, damage: str) -> None:
    """Issue 25, item 11: an emptied segment file opened silently as an empty index (`rag stats` exit 0).
    The manifest counts the articles; an index holding fewer is refused, naming the fix."""
    import shutil

    from rag.engine import Engine
    from rag.errors import IndexStoreError

    folder = tmp_path / "idx"
    with Engine(make_settings(folder)) as engine:
        engine.ingest_articles([ALFA, OTHER])
        assert engine.store.get_meta()["articles"] == 2
        assert engine.delete_article("y1", optimize=False) > 0
        assert engine.store.get_meta()["articles"] == 1  # counted down with the delete
    if damage.startswith("remove"):
        for name in ("segments", "wal") if "wal" in damage else ("segments",):
            shutil.rmtree(folder / name)
            (folder / name).mkdir()
    else:
        for f in (folder / "segments").rglob("*"):
            if f.is_file():
                f.write_bytes(b"")
    with pytest.raises(IndexStoreError) as info:
        Engine(make_settings(folder))
    assert str(folder) in str(info.value)
    if "wal" in damage:  # nothing left to open: only the manifest's count tells
        assert "holds 0 articles where its manifest counts 1" in str(info.value)


def test_export_of_a_damaged_index_writes_what_it_can_read_and_names_the_rest(tmp_path: Path) -> None:
    """Issue 25, item 11: one corrupted payload page made all of `rag export` fail."""
    import random

    from typer.testing import CliRunner

    from rag.cli import app
    from rag.engine import Engine

    folder = tmp_path / "idx"
    articles = [Article(f"a{i:03d}", f"Articolo numero {i}. Parla del ponte {i}.", title=f"T{i}") for i in range(300)]
    with Engine(make_settings(folder)) as engine:
        engine.ingest_articles(articles)
        engine.store.optimize()
    (page,) = [p for p in folder.rglob("payload_storage/page_0.dat")]
    data = bytearray(page.read_bytes())
    used = len(data.rstrip(b"\0"))
    rng = random.Random(1)
    for i in range(2 * used // 3, used, 97):  # the last third of the payloads (the article records), damaged
        data[i] = rng.randrange(256)
    page.write_bytes(bytes(data))
    target = tmp_path / "backup.jsonl"
    res = CliRunner().invoke(app, ["export", str(target), "--index", str(folder), "--json"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert report["articles"] == len(lines) > 0 and report["unreadable"], report
    assert len(lines) + len(report["unreadable"]) <= 300
    assert all(json.loads(line)["id"] for line in lines)  # (a damaged record that still decodes is not seen)
    assert "could not be read" in res.stderr and "restore those articles" in res.stderr
