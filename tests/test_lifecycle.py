"""Export/backup round trip, index versioning (settings and model checksum) and `rag reindex`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rag.cli import app
from tests.conftest import SEEDS, SYRIA, make_settings

pytestmark = pytest.mark.slow
runner = CliRunner()

FEED = [
    {
        "id": "f1",
        "title": "Città & «virgolette» 🚀",
        "date": "2024-05-02",
        "source": "ANSA",
        "url": "https://example.org/a?x=1&y=è",
        "language": "it",
        "text": "Prima riga con emoji 🚀 e accenti: perché, città.\n\nSecondo paragrafo. Terza frase!",
    },
    {"id": "f2", "text": "Un articolo senza titolo né data. Ha due frasi."},
    {"id": "f3", "title": "English one", "language": "en", "text": "The bridge opened in May. It cost 4 million."},
]


def _cli(*args: str, env: dict[str, str] | None = None) -> Any:
    res = runner.invoke(app, list(args), env=env)
    res.text = " ".join(res.output.split())  # rich wraps long lines
    return res


def _records(index: Path) -> dict[str, dict[str, Any]]:
    from rag.engine import Engine

    with Engine(make_settings(index)) as engine:
        page, _ = engine.store.scroll("article", None, limit=1000)
        keep = ("article_id", "text", "title", "date", "source", "url", "language", "content_hash", "sentence_spans")
        return {r.payload["article_id"]: {k: r.payload.get(k) for k in keep} for r in page}


@pytest.fixture(scope="module")
def built_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index with the seeds and a JSONL feed using every field (unicode, emoji, paragraphs)."""
    folder = tmp_path_factory.mktemp("archive")
    feed = folder / "feed.jsonl"
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in FEED), encoding="utf-8")
    index = folder / "archive"
    res = _cli("ingest", str(SEEDS), str(feed), "--index", str(index), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["articles"] == 5
    return index


@pytest.fixture()
def archive(built_archive: Path, tmp_path: Path) -> Path:
    index = tmp_path / "archive"
    shutil.copytree(built_archive, index)
    return index


def test_export_then_ingest_gives_back_the_same_articles(archive: Path, tmp_path: Path) -> None:
    first = tmp_path / "backup.jsonl"
    res = _cli("export", str(first), "--index", str(archive))
    assert res.exit_code == 0, res.output
    assert "exported 5 articles" in res.text
    lines = [json.loads(x) for x in first.read_text(encoding="utf-8").splitlines()]
    assert {x["id"] for x in lines} >= {"f1", "f2", "f3"} and len(lines) == 5
    assert next(x for x in lines if x["id"] == "f1") == {**FEED[0]}  # every field as given

    rebuilt = tmp_path / "rebuilt"
    res = _cli("ingest", str(first), "--index", str(rebuilt), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["articles"] == 5
    assert _records(rebuilt) == _records(archive)  # same ids, texts, metadata, content hashes, spans
    second = tmp_path / "again.jsonl"
    assert _cli("export", str(second), "--index", str(rebuilt)).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    # and the backup, ingested back into the archive it came from, changes nothing
    res = _cli("ingest", str(first), "--index", str(archive), "--json")
    report = json.loads(res.stdout)
    assert report["articles"] == 0 and report["unchanged"] == 5 and report["replaced"] == 0


def test_export_errors_name_the_problem(archive: Path, tmp_path: Path) -> None:
    res = _cli("export", str(tmp_path / "x.jsonl"), "--index", str(tmp_path / "nothing"))
    assert res.exit_code == 2 and "no index at" in res.text
    res = _cli("export", str(tmp_path / "missing" / "x.jsonl"), "--index", str(archive))
    assert res.exit_code == 2 and "does not exist" in res.text
    res = _cli("export", str(tmp_path), "--index", str(archive))
    assert res.exit_code == 2 and "is a folder" in res.text
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_other_explicit_settings_are_refused_with_the_rebuild_command(archive: Path) -> None:
    from rag.engine import Engine
    from rag.errors import IndexStoreError
    from rag.settings import load_settings

    settings = load_settings(chunking={"sentences": 4})
    settings.index.path = archive
    with pytest.raises(IndexStoreError, match=r"chunking.sentences is 4 here but 8 in the index") as err:
        Engine(settings)
    assert f"rag reindex --index {archive}" in str(err.value)
    res = _cli("search", "truppe in Siria", "--index", str(archive), env={"RAG_CHUNKING__SENTENCES": "4"})
    assert res.exit_code == 2 and "rag reindex" in res.text
    # settings not given explicitly: the index's own are used
    with Engine(make_settings(archive)) as engine:
        assert engine.settings.chunking.sentences == 8


def test_reindex_rebuilds_in_place_with_new_settings_from_stored_articles(archive: Path, tmp_path: Path) -> None:
    before = _records(archive)
    env = {"RAG_CHUNKING__SENTENCES": "4", "RAG_CHUNKING__OVERLAP": "1"}
    res = _cli("reindex", "--index", str(archive), "--json", env=env)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["articles"] == 5 and report["replaced_in_place"] is True
    assert not list(archive.parent.glob("archive.*"))  # no build or retired folder left behind
    res = _cli("search", "truppe statunitensi in Siria", "--index", str(archive), "--json", env=env)
    assert res.exit_code == 0, res.output
    assert SYRIA in json.loads(res.stdout)["evidence"][0]["text"]
    from rag.engine import Engine

    with Engine(make_settings(archive)) as engine:
        assert engine.settings.chunking.sentences == 4 and engine.settings.chunking.overlap == 1
    after = _records(archive)
    assert {k: v["text"] for k, v in after.items()} == {k: v["text"] for k, v in before.items()}


def test_reindex_to_another_folder_leaves_the_source_alone(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy"
    res = _cli("reindex", "--index", str(archive), "--to", str(target), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["replaced_in_place"] is False
    assert _records(target) == _records(archive)


def test_other_model_weights_are_refused_until_reindexed(archive: Path) -> None:
    from rag.engine import Engine
    from rag.errors import IndexStoreError

    with Engine(make_settings(archive)) as engine:
        real = engine.store.get_meta()["model_sha256"]  # type: ignore[index]
        assert real and len(real) == 64
        engine.store.set_meta({**(engine.store.get_meta() or {}), "model_sha256": "0" * 64})  # weights changed
    with Engine(make_settings(archive)) as engine, pytest.raises(IndexStoreError, match="other weights") as err:
        engine.search("truppe")
    assert "rag reindex --index" in str(err.value)
    res = _cli("reindex", "--index", str(archive))
    assert res.exit_code == 0, res.output
    assert "rebuilt 5 articles" in res.text and "in place" in res.text
    with Engine(make_settings(archive)) as engine:
        assert engine.store.get_meta()["model_sha256"] == real  # type: ignore[index]
        assert engine.search("truppe statunitensi in Siria").hits


def test_an_interrupted_reindex_leaves_the_old_index_whole(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.engine import Engine
    from rag.lifecycle import reindex

    before = _records(archive)
    calls = {"n": 0}
    original = Engine.ingest_articles

    def flaky(self: Any, articles: Any) -> Any:
        calls["n"] += 1
        raise RuntimeError("disk full")  # as an interrupted rebuild would stop

    monkeypatch.setattr(Engine, "ingest_articles", flaky)
    with pytest.raises(RuntimeError, match="disk full"):
        reindex(archive, make_settings(archive))
    assert calls["n"] == 1
    assert _records(archive) == before  # untouched, still opens
    monkeypatch.setattr(Engine, "ingest_articles", original)
    report = reindex(archive, make_settings(archive))  # the half-built folder is cleared and rebuilt
    assert report.articles == 5 and _records(archive) == before


def test_reindex_keeps_upload_jobs_not_yet_ingested(archive: Path, tmp_path: Path) -> None:
    """Issue 25, item 6: 354 articles accepted with 202, 304 after a reindex: the pending jobs' folder
    went with the retired index. Now they go with the rebuilt one and run when it is served."""
    from rag.jobs import JobQueue

    jobs = JobQueue(archive / "uploads", lambda folder, progress: {})  # accepted, never started
    job = jobs.submit([("ponte.txt", "Il ponte di Verona è lungo 412 metri.".encode())])
    res = _cli("reindex", "--index", str(archive), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["jobs_carried"] == 1
    ran: list[str] = []
    queue = JobQueue(archive / "uploads", lambda folder, progress: ran.append(folder.name) or {"articles": 1})
    assert queue.start() == [job.job_id]  # resumed at the next start, from the rebuilt index's folder
    queue.stop()
