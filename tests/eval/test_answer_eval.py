"""rag eval --answers: unanswerable questions run on their own index (also with --index), --fold
restricts the questions to held-out articles, and sentence accuracy is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.eval.retrieval import unanswerable_index_settings
from tests.conftest import SQUAD_SMALL, make_settings

runner = CliRunner()


def test_the_unanswerable_index_is_never_the_answerable_one(tmp_path: Path) -> None:
    corpus = tmp_path / "half.jsonl"
    corpus.write_text("{}\n", encoding="utf-8")
    given = make_settings(tmp_path / "idx")
    other = unanswerable_index_settings(given, corpus)
    assert other.index.path is not None and other.index.path != given.index.path
    assert other.index.path.parent == tmp_path  # a sibling of the given index
    derived = unanswerable_index_settings(make_settings(), corpus)
    assert derived.index.path is not None and "eval-half" in str(derived.index.path)


@pytest.mark.slow
def test_fold_questions_are_asked_over_an_index_lacking_their_articles(tmp_path: Path) -> None:
    index = tmp_path / "eval"
    res = runner.invoke(
        app,
        [
            "eval", "--corpus", str(SQUAD_SMALL / "corpus.jsonl"), "--questions", str(SQUAD_SMALL / "questions.jsonl"),
            "--index", str(index), "--no-peers", "--answers", "--answerers", "extractive", "--answer-sample", "24",
            "--fold", "1", "--json",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)["answers"]
    assert report["fold"] == 1
    rows = [json.loads(line) for line in (SQUAD_SMALL / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    for lang in ("it", "en"):
        # Varsavia's questions only (fold 1 of the fixture's two articles, sorted by title)
        want = sum(1 for r in rows if r["paragraph_id"].startswith("46-") and r[f"question_{lang}"])
        m = report["answerers"]["extractive"][lang]
        assert m["n"] == want > 0
        assert 0 <= m["sentence_accuracy"] <= 1 and m["contract_violations"] == 0
        assert m["unanswerable"]["n"] == want and m["unanswerable"]["abstained"] >= 0.8
    siblings = [p for p in tmp_path.iterdir() if p.name.startswith("eval-unanswerable-")]
    assert len(siblings) == 1  # the unanswerable questions got their own index
    from rag.engine import Engine

    with Engine(make_settings(siblings[0])) as engine:
        assert engine.stats()["articles"] == 5  # Normanni only: Varsavia's articles are absent
