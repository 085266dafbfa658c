"""The reader on an archive of our own making (tests/fixtures/archive_qa: five articles, 32 questions
written for this test and kept out of training): short right answers, the traps a researcher met
avoided (a name that did not score, a day of the month that is not the vote count), comparisons
handed to an LLM, and abstentions where the archive does not say."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from rag.eval.answers import normalize_answer
from tests.conftest import ROOT, make_settings

pytestmark = pytest.mark.slow
ARCHIVE = ROOT / "tests" / "fixtures" / "archive_qa"
QUESTIONS = [json.loads(line) for line in (ARCHIVE / "questions.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from rag.engine import Engine

    with Engine(make_settings(tmp_path_factory.mktemp("archive") / "index")) as e:
        e.ingest([ARCHIVE / "articles.jsonl"])
        yield e


def _matches(answer: str, golds: list[str]) -> bool:
    got = normalize_answer(answer)
    return any(got == normalize_answer(g) or (normalize_answer(g) in got and len(got) <= 2 * len(g) + 8) for g in golds)


@pytest.fixture(scope="module")
def answers(engine: Any) -> list[tuple[dict[str, Any], Any]]:
    return [(q, engine.ask(q["q"], answerer="extractive")) for q in QUESTIONS]


def test_answers_are_short_right_and_cite_their_sentence(
    engine: Any, answers: list[tuple[dict[str, Any], Any]]
) -> None:
    plain = [(q, r) for q, r in answers if not q.get("kind")]
    right = [q["q"] for q, r in plain if not r.abstained and _matches(r.claims[0].text, q["answers"])]
    wrong = [(q["q"], r.answer, r.reason) for q, r in plain if q["q"] not in right]
    # of 27; measured with the shipped reader: 18 (the sentence answerer before it: 9); see BENCHMARKS.md
    assert len(right) >= 17, wrong
    for _, r in plain:
        for c in r.citations:
            assert engine.article_text(c.article_id)[c.start : c.end] == c.quote


def test_the_traps_are_avoided(answers: list[tuple[dict[str, Any], Any]]) -> None:
    fell = [
        (q["q"], r.answer)
        for q, r in answers
        if q.get("not") and not r.abstained and any(_matches(r.claims[0].text, [bad]) for bad in q["not"])
    ]
    assert len(fell) <= 1, fell  # measured with the shipped reader: 1 of 7 (the "voti contrari" count)


def test_unanswerable_questions_abstain_and_comparisons_go_to_an_llm(answers: list[tuple[dict[str, Any], Any]]) -> None:
    unanswerable = [(q, r) for q, r in answers if q.get("kind") == "unanswerable"]
    abstained = [q["q"] for q, r in unanswerable if r.abstained]
    # measured with the shipped reader: 2 of 4 ("the Senate", "in Rome" are answered from the Chamber's vote
    # and the national strike's count: the gate checks names against all the evidence, not the reader's sentence)
    assert len(abstained) >= 2, [(q["q"], r.answer) for q, r in unanswerable]
    (comparison,) = [r for q, r in answers if q.get("kind") == "comparison"]
    assert comparison.abstained and "comparison" in (comparison.reason or "")
