"""Filters against the archive: sources match whatever their case and a missing one lists those that
exist; a date range says how many undated articles it left out (engine, CLI answer, API)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from rag.errors import ConfigError
from rag.models import Filters
from rag.store.filter_check import resolve_sources, undated_excluded
from tests.fakes import fake_encoder, fake_settings

ARTICLES = [
    {"id": "a1", "title": "Roma", "source": "ANSA", "date": "2024-07-19",
     "text": "A Roma il 19 luglio si sono registrati 39 gradi. Il Comune ha aperto le fontane."},
    {"id": "a2", "title": "Firenze", "source": "la Repubblica", "date": "2023-05-02",
     "text": "A Firenze il bilancio è stato approvato con 211 voti favorevoli. L'opposizione ha votato contro."},
    {"id": "a3", "title": "Senza data", "source": "ANSA",
     "text": "A Milano la nuova linea della metropolitana trasporta 90 mila passeggeri al giorno."},
    {"id": "a4", "title": "Anche senza data", "source": "Il Post",
     "text": "A Torino il museo egizio ha accolto un milione di visitatori nel corso dell'anno."},
]  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from rag.engine import Engine

    folder = tmp_path_factory.mktemp("filters")
    feed = folder / "feed.jsonl"
    feed.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), encoding="utf-8")
    with fake_encoder(), Engine(fake_settings(folder / "index")) as e:  # plumbing: no model needed
        e.ingest([feed])
        yield e


def test_sources_match_whatever_their_case(engine) -> None:  # type: ignore[no-untyped-def]
    resolved = resolve_sources(engine.store, Filters(sources=["ansa", "LA REPUBBLICA"]))
    assert resolved is not None and resolved.sources == ["ANSA", "la Repubblica"]
    hits = engine.search("metropolitana Milano", filters=Filters(sources=["Ansa"])).hits
    assert hits and {h.source for h in hits} == {"ANSA"}


def test_a_missing_source_lists_the_archives_sources(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="'Reuters'") as err:
        engine.ask("Quanti gradi a Roma?", answerer="extractive", filters=Filters(sources=["Reuters"]))
    assert "ANSA, Il Post, la Repubblica" in (err.value.hint or "")


def test_a_date_range_says_how_many_undated_articles_it_left_out(engine) -> None:  # type: ignore[no-untyped-def]
    assert undated_excluded(engine.store, Filters(date_from="2020-01-01")) == 2
    assert undated_excluded(engine.store, Filters(date_from="2020-01-01", sources=["ANSA"])) == 1
    assert undated_excluded(engine.store, Filters(sources=["ANSA"])) == 0  # no date range: nothing left out
    assert undated_excluded(engine.store, None) == 0
    result = engine.ask("Quanti passeggeri trasporta la metropolitana di Milano?", answerer="extractive",
                        filters=Filters(date_from="2020-01-01"))  # fmt: skip
    assert result.notice is not None and "left out 2 articles without a date" in result.notice
    plain = engine.ask("Quanti passeggeri trasporta la metropolitana di Milano?", answerer="extractive")
    assert plain.notice is None
    found = engine.search("metropolitana", filters=Filters(date_to="2030-12-31"))
    assert found.notice == "The date filter left out 2 articles without a date." and found.to_dict()["notice"]
    assert engine.search("metropolitana").notice is None


def test_an_abstention_carries_the_nearest_sentences_verbatim(engine) -> None:  # type: ignore[no-untyped-def]
    result = engine.ask("Chi ha vinto i Mondiali del 2090?", answerer="extractive")
    assert result.abstained and result.citations == [] and result.nearest
    for c in result.nearest:
        assert engine.article_text(c.article_id)[c.start : c.end] == c.quote and c.support == []
    answered = engine.ask("Quanti voti favorevoli ha avuto il bilancio di Firenze?", answerer="extractive")
    assert not answered.abstained and answered.nearest == []
    assert "nearest" in answered.to_dict()


def test_the_cli_prints_source_and_date_with_each_citation() -> None:
    from types import SimpleNamespace

    from rag.cli.query import where as _where

    c = SimpleNamespace(title="Roma", article_id="a1", source="ANSA", date="2024-07-19", start=0, end=9)
    assert _where(c) == "Roma, ANSA, 2024-07-19, chars 0–9"
    bare = SimpleNamespace(title="", article_id="a3", source="", date=None, start=3, end=5)
    assert _where(bare) == "a3, chars 3–5"
