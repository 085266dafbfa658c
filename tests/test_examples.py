"""rag/examples.py: the chat's example questions written about the archive's own articles, kept only
when the archive answers them from that article; with a fake writer (the plumbing) and with the local
LLM itself (what a user gets)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import examples, library
from tests.conftest import make_settings
from tests.ui.test_source_browser import write_dated

BRIDGE = "Il nuovo ponte di Genova è lungo 1.067 metri."
DATED = [
    ("2020-07-03", "Il Post", "Ponte di Genova", f"Genova ha un nuovo ponte. {BRIDGE}"),
    ("2024-12-30", "ANSA", "Turisti a Venezia", "Venezia ha contato 5,1 milioni di turisti in tutto il 2024."),
]


@pytest.fixture(scope="module")
def engine(seeded_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from rag.engine import Engine

    root = tmp_path_factory.mktemp("examples")
    index = root / "index"
    shutil.copytree(seeded_index, index)
    with Engine(make_settings(index)) as e:
        e.ingest(write_dated(root / "dated", DATED))
        yield e


def _bridge_id(engine: Any) -> str:
    return next(r["article_id"] for r in library.example_rows(engine) if r["display_title"] == "Ponte di Genova")


def test_the_lead_sentence_is_the_first_stating_a_figure() -> None:
    assert examples.lead_sentence(f"Genova ha un nuovo ponte sul torrente Polcevera oggi. {BRIDGE}") == BRIDGE
    assert examples.lead_sentence("Breve. Una frase senza cifre ma con sei parole.") == (
        "Una frase senza cifre ma con sei parole."
    )
    assert examples.clean('Domanda: "Quanto è lungo il ponte?"') == "Quanto è lungo il ponte?"
    assert examples.clean("Il ponte è lungo.") is None and examples.clean("?") is None


def test_a_question_is_kept_only_when_the_archive_answers_it_from_that_article(engine: Any) -> None:
    asked: list[tuple[str, str]] = []

    def write(sentence: str, language: str) -> str | None:
        asked.append((sentence, language))
        if "ponte" in sentence:
            return "Quanto è lungo il nuovo ponte di Genova?"
        return "Chi ha vinto lo scudetto nel 1990?"  # nothing in the archive answers it

    rows = library.example_rows(engine)
    assert {r["display_title"] for r in rows} == {"Ponte di Genova", "Turisti a Venezia"}  # the seeds are not
    assert examples.fill(engine, rows, write) == 1
    assert (BRIDGE, "it") in asked
    bridge = _bridge_id(engine)
    assert examples.question_of(engine, bridge) == "Quanto è lungo il nuovo ponte di Genova?"
    shown = library.chat_examples(engine, n=5)
    assert "Quanto è lungo il nuovo ponte di Genova?" in shown
    assert "Cosa dice l'archivio su «Turisti a Venezia»?" in shown  # none passed: its title's question
    assert "How many US troops are in Syria?" in shown  # the seeds' own questions first
    assert examples.fill(engine, rows, write) == 0 and len(asked) == 2  # each article decided once
    stored = json.loads((Path(engine.settings.index.path) / examples.FILE).read_text(encoding="utf-8"))
    assert sorted(v is None for v in stored.values()) == [False, True]


def test_a_question_spelling_its_answer_or_a_failed_call_keeps_nothing(engine: Any, tmp_path: Path) -> None:
    bridge = _bridge_id(engine)
    assert not examples.answered_here(engine, "Il ponte di Genova è lungo 1.067 metri?", bridge)

    def broken(sentence: str, language: str) -> str | None:
        raise ConnectionError("the LLM is restarting")

    settings = make_settings(tmp_path / "other")  # an index folder with no examples.json
    settings.index.path.mkdir(parents=True)
    shadow = type("E", (), {"settings": settings, "article_text": engine.article_text, "ask": engine.ask})()
    assert examples.fill(shadow, [{"article_id": bridge, "language": "it"}], broken) == 0
    assert examples.load(shadow) == {}  # undecided: tried again next time


@pytest.mark.llm
def test_the_local_llm_writes_questions_the_archive_answers(engine: Any, tmp_path: Path) -> None:
    llm = engine.local_llm
    llm.start()
    llm.ensure_ready()
    settings = make_settings(tmp_path / "fresh")
    settings.index.path.mkdir(parents=True)
    shadow = type("E", (), {"settings": settings, "article_text": engine.article_text, "ask": engine.ask})()
    rows = library.example_rows(engine)
    kept = examples.fill(shadow, rows, examples.llm_writer(llm.base_url, llm.api_key))
    written = examples.load(shadow)
    assert set(written) == {r["article_id"] for r in rows}
    assert kept >= 1, written  # the bridge's length, at least, makes a question the reader answers
    for aid, question in written.items():
        if question is not None:
            assert question.endswith("?") and examples.answered_here(engine, question, aid), question
