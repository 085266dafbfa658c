"""An English question's value reads in English while the quote keeps the source's words."""

from __future__ import annotations

import pytest

from rag.answer.values import english_value
from ui import render


@pytest.mark.parametrize(
    ("span", "english"),
    [
        ("13 miliardi di euro", "13 billion euros"),
        ("2.500", "2,500"),
        ("1,08", "1.08"),
        ("1.234.567,5", "1,234,567.5"),
        ("circa 2.500 soldati", "about 2,500 soldiers"),
        ("40 per cento", "40 percent"),
        ("90 mila", "90 thousand"),
        ("19 luglio 2024", "19 July 2024"),
        ("il 5 marzo", "5 March"),
        ("nel 2014", "in 2014"),
    ],
)
def test_values_read_in_english(span: str, english: str) -> None:
    assert english_value(span) == english


@pytest.mark.parametrize("span", ["900", "2024", "33%", "Calhanoglu", "Roma", "marzo", "2,5 tonnellate di grano", ""])
def test_anything_else_stays_verbatim(span: str) -> None:
    assert english_value(span) is None


def test_the_ui_shows_the_rendered_value_and_the_sources_words_escaped() -> None:
    claims = [{"text": "13 miliardi <b>di</b> euro", "citations": [1], "rendered": "13 billion euros"}]
    html = render.answer_html({"abstained": False, "answer": "13 billion euros [1]", "claims": claims})
    assert "13 billion euros" in html and "source-words" in html and "<b>" not in html and "class='cite " in html


@pytest.mark.slow
def test_an_english_question_reads_the_value_in_english_and_cites_the_italian(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from rag.engine import Engine
    from tests.conftest import make_settings

    text = (
        "Il governo ha approvato la manovra economica per il prossimo anno. "
        "La manovra vale 13 miliardi di euro, secondo il ministro dell'Economia. "
        "Le opposizioni hanno criticato i tagli alla sanità."
    )
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "manovra", "title": "Manovra", "text": text}) + "\n", encoding="utf-8")
    with Engine(make_settings(tmp_path / "index")) as engine:
        engine.ingest([feed])
        en = engine.ask("How much is the budget law worth?", answerer="extractive")
        it = engine.ask("Quanto vale la manovra?", answerer="extractive")
    assert not en.abstained and not it.abstained
    claim = en.claims[0]
    assert claim.rendered is not None and "13 billion" in en.answer and "miliardi" in claim.text
    assert text[slice(*en.citations[0].highlight)] == claim.text  # the highlight keeps the source's words
    assert it.claims[0].rendered is None and it.claims[0].text in it.answer
