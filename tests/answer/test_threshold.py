"""A question comparing a figure with a threshold: which questions set one, and which figure of a
sentence answers it (the whole path runs in tests/answer/test_news.py)."""

from __future__ import annotations

import pytest

from rag.answer.threshold import figure, parse


@pytest.mark.parametrize(
    ("question", "more", "value", "percent"),
    [
        ("Did the flood kill more than ten people?", True, 10, False),
        ("Il costo è rimasto sotto i 60 milioni di euro?", False, 60e6, False),
        ("Nel gennaio 2024 l'inflazione era sopra il 5%?", True, 5, True),
        ("Were fewer than 2.500 soldiers deployed?", False, 2500, False),
        ("Ha superato i 3 miliardi?", True, 3e9, False),
    ],
)
def test_a_threshold_is_read_with_its_direction_scale_and_kind(
    question: str, more: bool, value: float, percent: bool
) -> None:
    t = parse(question)
    assert t is not None and (t.more, t.value, t.percent) == (more, value, percent)


@pytest.mark.parametrize(
    "question",
    [
        "How many people died, more than ten?",  # an interrogative word: it wants a figure
        "Quante persone, oltre ai 5 feriti, sono morte?",
        "Did sales rise after 2020?",  # no threshold
        "Were more than the usual number of ships built?",  # no figure after "more than"
        "Did prices rise over 2021?",  # a year is no threshold
        "How many US troops are in Syria?",
    ],
)
def test_no_threshold_where_none_is_set(question: str) -> None:
    assert parse(question) is None


def test_at_least_includes_the_threshold() -> None:
    t = parse("Did at least 7 people die?")
    assert t is not None and t.holds(7) and t.holds(8) and not t.holds(6)
    t = parse("Did more than 7 people die?")
    assert t is not None and not t.holds(7)


def test_the_figure_is_of_the_thresholds_kind_never_a_date() -> None:
    sentence = "Nel 2023 il ponte è costato 61,3 milioni di euro, il 12% in più dei 28 milioni previsti."
    money = parse("Did the bridge cost more than 60 million euros?")
    share = parse("Did the cost rise by more than 10%?")
    assert money is not None and share is not None
    at = sentence.index
    assert figure(sentence, money) == ("61,3 milioni", 61.3e6, (at("61,3"), at("61,3") + 12))
    assert figure(sentence, share) == ("12%", 12.0, (at("12%"), at("12%") + 3))
    assert figure("Nel 2023 nessun dato.", money) is None
