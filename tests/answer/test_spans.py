from __future__ import annotations

import pytest

from rag.answer.spans import key_span, needs_reasoning, question_kind
from rag.answer.support import SupportChecker

SYRIA = (
    "Gli Stati Uniti hanno 2.500 truppe dispiegate in Iraq e 900 nella vicina Siria, nel tentativo di "
    "prevenire la rinascita dei militanti dello Stato Islamico."
)


def _span(question: str, sentence: str, language: str) -> str | None:
    c = SupportChecker()
    terms = c.key_terms(question, language)
    span = key_span(question, sentence, c.anchor_spans(terms, sentence, language))
    return sentence[span[0] : span[1]] if span else None


def test_question_kinds() -> None:
    assert question_kind("How many US troops are in Syria?") == "count"
    assert question_kind("Quante truppe ci sono?") == "count"
    assert question_kind("Quando è stata formata la coalizione?") == "when"
    assert question_kind("In what year did it start?") == "when"
    assert question_kind("Who is the prime minister?") is None


def test_the_number_next_to_the_named_place_is_pointed_out() -> None:
    assert _span("Quante truppe ci sono in Siria?", SYRIA, "it") == "900"
    assert _span("and in Iraq? How many troops?", SYRIA, "en") == "2.500"


def test_no_span_when_two_numbers_are_about_as_close() -> None:
    # Without a place, 2.500 and 900 are equally plausible: the whole sentence is the answer.
    assert _span("Quante truppe sono dispiegate?", SYRIA, "it") is None
    assert _span("Quante truppe sono dispiegate?", "Sono dispiegate 900 truppe.", "it") == "900"


def test_numbers_already_in_the_question_are_not_the_answer() -> None:
    sentence = "Nel 2014 la coalizione contava 60 paesi."
    assert _span("Quanti paesi contava la coalizione nel 2014?", sentence, "it") == "60"
    assert _span("Quando è stata formata la coalizione?", "La coalizione fu formata nel 2014.", "it") == "2014"


def test_no_span_for_other_kinds_of_question() -> None:
    assert _span("Chi guida la coalizione?", SYRIA, "it") is None


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Hotter on 19 July, Rome or Florence?", "comparison"),
        ("Quale città era più calda il 19 luglio, Roma o Firenze?", "comparison"),
        ("Chi ha più punti tra Inter e Milan?", "comparison"),
        ("Is Rome hotter than Florence?", "yes/no"),
        ("Ha vinto l'Inter?", "yes/no"),
        # span questions, whatever comparative words they hold
        ("Qual è il più grande operatore di stazioni ABC?", None),
        ("In 1949, ABC had less coverage than what competing networks?", None),
        ("How many same-sex married couples or partnerships were there?", None),
        ("What happened between 1990 and 2000?", None),
        ("How many US troops are in Syria?", None),
    ],
)
def test_questions_that_no_span_answers_are_recognised(question: str, kind: str | None) -> None:
    assert needs_reasoning(question) == kind
