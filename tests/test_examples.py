"""rag/examples.py: the chat's example questions written about the archive's own articles, kept only
when the archive answers them from that article; with a fake writer (the plumbing) and with the local
LLM itself (what a user gets)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import examples
from tests.conftest import ROOT, make_settings
from tests.ui.test_source_browser import write_dated
from ui import archive as library

SEEDS = ROOT / "seeds"
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


def test_an_index_in_its_derived_folder_keeps_its_examples_there(tmp_path: Path) -> None:
    """`make run`'s index has no --index path (settings.index.path is None: the folder is derived under
    indexes/); `rag serve` crashed building the page on it."""
    settings = make_settings(tmp_path / "unused")
    settings.index.path, settings.index.home = None, tmp_path / "home"
    shadow = type("E", (), {"settings": settings})()
    assert examples.load(shadow) == {}
    assert examples._path(shadow) == settings.index_dir() / examples.FILE
    assert settings.index_dir().parent == tmp_path / "home"


@pytest.mark.slow
def test_rag_serve_on_the_derived_index_serves_the_page(tmp_path: Path) -> None:
    """What `make run` does after its ingest: `rag serve` with no --index, the page built with examples."""
    import subprocess

    import httpx

    from tests.serve import ENV, RAG, free_port

    port = free_port()
    env = {**ENV, "RAG_INDEX__HOME": str(tmp_path / "indexes")}
    ingest = subprocess.run([*RAG, "ingest", str(SEEDS)], env=env, capture_output=True, text=True, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([*RAG, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "rag serve did not get ready"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
