"""The CLI: JSON outputs, summaries and error messages (real engine on a tmp index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from tests.conftest import SEEDS, SQUAD_SMALL, SYRIA

pytestmark = pytest.mark.slow
runner = CliRunner()


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_ingest_search_cite_stats_json(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    report = _json(["ingest", str(SEEDS), "--index", idx, "--json"])
    assert report["articles"] == 2 and report["files"] == 2 and report["skipped"] == []
    result = _json(["search", "how many US troops are in Syria?", "-k", "2", "--index", idx, "--json"])
    assert SYRIA in result["hits"][0]["sentences"][0]["text"]
    assert {"article_id", "chunk_id", "score", "sentences", "start", "end"} <= set(result["hits"][0])
    cited = _json(["cite", "the US has 900 troops in Syria", "--index", idx, "--json"])
    assert SYRIA in cited["citations"][0]["quote"]
    assert cited["verdict"] == "supported" and 0.5 < cited["probability"] <= 1.0
    assert cited["citations"][0]["verdict"] == "supported"
    stats = _json(["stats", "--index", idx, "--json"])
    assert stats["articles"] == 2 and stats["built_with"]["dim"] == 384


def test_human_output_and_summary(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    res = runner.invoke(app, ["ingest", str(SEEDS), "--index", idx])
    assert res.exit_code == 0
    assert "2 articles indexed" in res.stdout and "skipped" in res.stdout
    res = runner.invoke(app, ["search", "truppe in Siria", "--index", idx])
    assert res.exit_code == 0 and "chars" in res.stdout
    res = runner.invoke(app, ["cite", "Juventus ha esonerato l'allenatore Thiago Motta", "--index", idx])
    assert res.exit_code == 0 and "Not found (probability" in res.stdout and "not found · p" in res.stdout


def test_errors_name_the_problem(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    res = runner.invoke(app, ["ingest", str(tmp_path / "missing.txt"), "--index", idx])
    assert res.exit_code == 2 and "missing.txt" in res.stderr and "no such file" in res.stderr
    res = runner.invoke(app, ["search", "   ", "--index", idx])
    assert res.exit_code == 2 and "empty" in res.stderr
    res = runner.invoke(app, ["search", "x", "--from", "31/01/2024", "--index", idx])
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.stderr
    res = runner.invoke(app, ["cite", " ", "--index", idx])
    assert res.exit_code == 2 and "the claim is empty" in res.stderr


def test_choices_are_checked_before_any_work(tmp_path: Path) -> None:
    """--answerer, --lang and --answerers take only their choices, and say which ones."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("{}\n", encoding="utf-8")
    res = runner.invoke(app, ["ask", "x", "--answerer", "gpt5", "--index", str(tmp_path / "i")])
    assert res.exit_code == 2 and "gpt5" in res.output and "extractive" in res.output
    common = ["eval", "--corpus", str(corpus), "--questions", str(corpus), "--index", str(tmp_path / "i")]
    res = runner.invoke(app, [*common, "--lang", "fr"])
    assert res.exit_code == 2 and "fr" in res.output and "both" in res.output
    res = runner.invoke(app, [*common, "--answers", "--answerers", "extractive,bogus"])
    assert res.exit_code == 2 and "bogus" in res.output and "openai" in res.output


def test_ask_file_answers_every_question_once_as_jsonl(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    assert runner.invoke(app, ["ingest", str(SEEDS), "--index", idx]).exit_code == 0
    qs = tmp_path / "questions.txt"
    qs.write_text(
        "# a comment\nHow many US troops are in Syria?\n\nChi ha vinto i Mondiali del 2090?\n", encoding="utf-8"
    )
    res = runner.invoke(app, ["ask", "--file", str(qs), "--answerer", "extractive", "--index", idx, "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["How many US troops are in Syria?", "Chi ha vinto i Mondiali del 2090?"]
    assert not rows[0]["abstained"] and SYRIA in rows[0]["citations"][0]["quote"] and rows[1]["abstained"]
    text = runner.invoke(app, ["ask", "-f", str(qs), "--answerer", "extractive", "--index", idx])
    assert text.exit_code == 0 and "1. How many US troops" in text.stdout and "2. Chi ha vinto" in text.stdout
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n", encoding="utf-8")
    res = runner.invoke(app, ["ask", "--file", str(empty), "--index", idx])
    assert res.exit_code == 2 and "holds no question" in res.stderr
    res = runner.invoke(app, ["ask", "why?", "--file", str(qs), "--index", idx])
    assert res.exit_code == 2 and "not both" in res.stderr
    res = runner.invoke(app, ["ask", "--file", str(tmp_path / "nope.txt"), "--index", idx])
    assert res.exit_code == 2 and "nope.txt" in res.stderr
    md = runner.invoke(app, ["ask", "-f", str(qs), "--answerer", "extractive", "--index", idx, "--format", "markdown"])
    assert md.exit_code == 0 and md.stdout.count("## ") == 2 and "chars" in md.stdout
    table = runner.invoke(app, ["ask", "How many US troops are in Syria?", "--index", idx, "--format", "csv"])
    assert table.exit_code == 0 and table.stdout.startswith("question,answer,abstained")
    res = runner.invoke(app, ["ask", "x", "--index", idx, "--format", "pdf"])
    assert res.exit_code == 2 and "markdown, csv" in res.stderr


def test_eval_json_schema(tmp_path: Path) -> None:
    report = _json(
        [
            "eval",
            "--corpus",
            str(SQUAD_SMALL / "corpus.jsonl"),
            "--questions",
            str(SQUAD_SMALL / "questions.jsonl"),
            "--index",
            str(tmp_path / "eval"),
            "--json",
        ]
    )
    assert set(report["languages"]) == {"it", "en"}
    for lang in ("it", "en"):
        lr = report["languages"][lang]
        assert lr["n"] == 24
        assert set(lr["systems"]) == {"ours", "bm25", "dense", "rrf_naive"}
        for metrics in lr["systems"].values():
            assert {"R@1", "R@5", "R@10", "MRR@10", "sentence_hit@3", "ms_per_query"} <= set(metrics)
            assert 0 <= metrics["R@1"] <= metrics["R@5"] <= metrics["R@10"] <= 1
    # On 10 paragraphs, our system must find almost every gold paragraph in the top 5.
    assert report["languages"]["it"]["systems"]["ours"]["R@5"] >= 0.9
    assert report["languages"]["en"]["systems"]["ours"]["R@5"] >= 0.9


def test_a_command_names_the_index_it_opens_and_warns_when_the_last_ingest_went_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 28, opening the index here (tests/cli/test_cli_target.py: through a running service)."""
    from rag.settings import load_settings

    monkeypatch.setenv("RAG_INDEX__HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAG_INDEX__LAST_INGEST", str(tmp_path / "last.json"))
    idx = (tmp_path / "idx").resolve()
    default = load_settings().index_dir().resolve()
    res = runner.invoke(app, ["ingest", str(SEEDS), "--index", str(idx), "--json"])
    assert res.exit_code == 0 and f"index {idx} (opened here; nothing ingested there yet)" in res.stderr
    res = runner.invoke(app, ["stats", "--index", str(idx), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["articles"] == 2
    assert f"index {idx} (opened here, 2 articles)" in res.stderr and "warning" not in res.stderr
    res = runner.invoke(app, ["stats", "--json"])  # no --index: the default index (none there), and a warning
    assert res.exit_code == 2 and "no index at" in res.stderr
    assert f"index {default} (opened here; nothing ingested there yet)" in res.stderr
    assert f"wrote into another one: {idx}" in res.stderr and f"fix: add --index {idx} " in res.stderr
