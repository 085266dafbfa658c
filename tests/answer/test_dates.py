"""A "when" question answered by the date of the article whose sentence states the event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answer.dates import event_claim, holds_date, wants_date
from tests.conftest import make_settings

ARTICLES = [
    {
        "id": "napoli-scudetto",
        "title": "Il Napoli è campione d'Italia",
        "date": "2023-05-04",
        "source": "ANSA",
        "text": "Il Napoli ha vinto lo scudetto dopo 33 anni di attesa. La festa dei tifosi è durata tutta la notte "
        "nelle strade della città. Il sindaco ha annunciato una parata per la squadra.",
    },
    {
        "id": "roma-metro",
        "title": "Roma, apre la nuova stazione della metro C",
        "source": "Repubblica",  # no date: its events get no date from metadata
        "text": "La stazione Porta Metronia della metro C è stata aperta ai passeggeri. I lavori erano iniziati "
        "nel 2013. Il cantiere ha restituito reperti archeologici di epoca romana.",
    },
]


def test_when_questions_and_their_event() -> None:
    assert wants_date("When did Napoli win the scudetto?") and wants_date("Quando ha vinto il Napoli?")
    assert not wants_date("How many fans celebrated?")
    assert event_claim("When did Napoli win the scudetto?") == "Napoli win the scudetto"
    assert event_claim("In che anno sono iniziati i lavori?") == "sono iniziati i lavori"
    assert holds_date("iniziati nel 2013") and holds_date("il 4 maggio") and not holds_date("dopo 33 anni")


@pytest.fixture(scope="module")
def dated_engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from rag.engine import Engine

    folder = tmp_path_factory.mktemp("dated")
    src = folder / "articles.jsonl"
    src.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), encoding="utf-8")
    with Engine(make_settings(folder / "index")) as engine:
        engine.ingest([Path(src)])
        yield engine


@pytest.mark.slow
@pytest.mark.parametrize("question", ["When did Napoli win the scudetto?", "Quando ha vinto lo scudetto il Napoli?"])
def test_the_article_date_answers_when_no_sentence_dates_the_event(dated_engine, question: str) -> None:  # type: ignore[no-untyped-def]
    result = dated_engine.ask(question, answerer="extractive")
    assert not result.abstained, result.reason
    assert "2023-05-04" in result.answer and result.citations[0].date == "2023-05-04"
    assert result.citations[0].quote.startswith("Il Napoli ha vinto lo scudetto")
    assert result.claims[0].rendered and "2023-05-04" in result.claims[0].rendered


@pytest.mark.slow
def test_a_sentence_date_wins_and_an_undated_article_gives_none(dated_engine) -> None:  # type: ignore[no-untyped-def]
    started = dated_engine.ask("In che anno sono iniziati i lavori della metro C?", answerer="extractive")
    assert "2013" in started.answer
    opened = dated_engine.ask("When did the Porta Metronia station open?", answerer="extractive")
    assert "Date of the article" not in opened.answer  # that article has no date


@pytest.mark.slow
def test_an_event_the_archive_does_not_state_gets_no_date(dated_engine) -> None:  # type: ignore[no-untyped-def]
    result = dated_engine.ask("When did Juventus win the Champions League?", answerer="extractive")
    assert result.abstained and "2023-05-04" not in result.answer
