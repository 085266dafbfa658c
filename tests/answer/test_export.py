"""Exports: a reference per citation, a chat as Markdown or CSV, nothing a spreadsheet would run."""

from __future__ import annotations

import csv
import io

import pytest

from rag.answer.export import export, reference, to_csv, to_markdown

CITE = {
    "n": 1, "quote": 'Gli Stati Uniti hanno "900" soldati in Siria.', "title": "Truppe", "source": "ANSA",
    "date": "2024-01-19", "url": "https://example.org/a", "article_id": "a1", "sentence_id": "a1#s3",
    "start": 691, "end": 736,
}  # fmt: skip
ANSWER = {"question": "How many?", "answer": "900 [1]", "abstained": False, "citations": [CITE]}
ABSTAINED = {"question": "=cmd|' /C calc'!A0", "answer": "The archive does not say.", "abstained": True,
             "reason": "weak evidence", "citations": []}  # fmt: skip


def test_a_reference_names_outlet_title_date_url_quote_and_span() -> None:
    assert reference(CITE) == (
        'ANSA, «Truppe», 2024-01-19, https://example.org/a. “Gli Stati Uniti hanno "900" soldati in Siria.” '
        "(a1, chars 691–736)"
    )
    bare = {**CITE, "source": "", "date": None, "url": None, "title": ""}
    assert reference(bare).startswith("«a1». “Gli Stati")


def test_markdown_has_each_question_answer_and_reference() -> None:
    md = to_markdown([ANSWER, ABSTAINED])
    assert "## How many?\n\n900 [1]\n\n[1] ANSA, «Truppe»" in md
    assert "The archive does not say." in md and "_(weak evidence)_" in md


def test_csv_has_a_row_per_citation_and_guards_formulas() -> None:
    rows = list(csv.reader(io.StringIO(to_csv([ANSWER, ABSTAINED]))))
    assert rows[0][:5] == ["question", "answer", "abstained", "n", "quote"] and len(rows) == 3
    assert rows[1][4] == CITE["quote"] and rows[1][11:] == ["691", "736"]
    assert rows[2][0].startswith("'=") and rows[2][2] == "True"  # never run as a formula
    with pytest.raises(ValueError, match="markdown, csv"):
        export([ANSWER], "pdf")
