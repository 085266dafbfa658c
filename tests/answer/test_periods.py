"""Time in questions and evidence (issue 26): a period is a constraint on the evidence's time, never a
word a sentence must contain; "now" asks for the latest; follow-ups rewritten, not glued."""

from __future__ import annotations

from datetime import date

import pytest

from rag.answer.followup import rewrite
from rag.answer.periods import question_time, sentence_period
from rag.answer.sources import Decision, Report, decide, value_key
from rag.answer.yes_no import as_claim, is_yes_no


@pytest.mark.parametrize(
    ("question", "start", "end", "rest"),
    [
        (
            "How many US troops were in Iraq in early September 2020?",
            "2020-09-01",
            "2020-09-10",
            "How many US troops were in Iraq?",
        ),
        ("Qual era l'inflazione a dicembre 2022?", "2022-12-01", "2022-12-31", "Qual era l'inflazione?"),
        ("Quanti turisti nel 2023?", "2023-01-01", "2023-12-31", "Quanti turisti?"),
        ("What happened on 4 May 2023?", "2023-05-04", "2023-05-04", "What happened?"),
        ("Quanto costava il ponte nel marzo 2021?", "2021-03-01", "2021-03-31", "Quanto costava il ponte?"),
        # an article elided onto the day: the day, not the year alone (with "11" left as a word to find)
        (
            "Quanti gradi ha registrato Bolzano l'11 agosto 2025?",
            "2025-08-11",
            "2025-08-11",
            "Quanti gradi ha registrato Bolzano?",
        ),
        ("Cosa è successo dell’8 marzo 2024?", "2024-03-08", "2024-03-08", "Cosa è successo?"),
    ],
)
def test_a_period_is_read_with_its_granularity(question: str, start: str, end: str, rest: str) -> None:
    qt = question_time(question)
    assert qt.period is not None and qt.period.iso() == (start, end) and qt.rest == rest


@pytest.mark.parametrize(
    "question", ["Who may win the election?", "Quante ore di sciopero?", "How many US troops are in Syria?"]
)
def test_no_period_where_none_is_asked(question: str) -> None:
    assert question_time(question).period is None


@pytest.mark.parametrize(
    "question", ["How many US troops are currently in Syria?", "Quanti soldati ci sono oggi in Siria?"]
)
def test_now_asks_for_the_latest_not_for_today(question: str) -> None:
    qt = question_time(question)
    assert qt.latest and qt.period is None


def test_a_sentence_time_is_the_date_it_states_else_its_articles() -> None:
    stated = sentence_period("Nel gennaio 2020 un attacco ha ferito 11 soldati.", "2024-03-01")
    assert stated is not None and (stated.start, stated.end) == (date(2020, 1, 1), date(2020, 1, 31))
    dated = sentence_period("Un attacco ha ferito 11 soldati.", "2024-03-01")
    assert dated is not None and dated.start == dated.end == date(2024, 3, 1)
    assert sentence_period("Un attacco ha ferito 11 soldati.", None) is None  # undated: no time


@pytest.mark.parametrize(
    ("previous", "followup", "standalone"),
    [
        ("How many US troops are in Syria?", "And in Iraq?", "How many US troops are in Iraq?"),
        ("How many US troops are in Syria?", "E in Iraq?", "How many US troops are in Iraq?"),
        (
            "Quanti morti ha causato l'alluvione di Faenza?",
            "E i feriti?",
            "Quanti feriti ha causato l'alluvione di Faenza?",
        ),
        ("How many tourists visited Rimini in 2022?", "And in 2023?", "How many tourists visited Rimini in 2023?"),
        (
            "Quante persone sono state evacuate nel maggio 2023?",
            "E a settembre?",
            "Quante persone sono state evacuate nel settembre 2023?",
        ),
        ("Chi ha segnato per la Juventus?", "E per il Milan?", "Chi ha segnato per il Milan?"),
    ],
)
def test_a_followup_is_rewritten_not_glued(previous: str, followup: str, standalone: str) -> None:
    assert rewrite(previous, followup) == standalone


def test_yes_no_questions_become_claims() -> None:
    assert is_yes_no("Did the council approve the budget?") and is_yes_no("Ha approvato il bilancio, il Comune?")
    assert not is_yes_no("Quante persone sono state evacuate?") and not is_yes_no("Who won?")
    assert not is_yes_no("Did road deaths fall in 2024 compared with 2023?")  # a comparison: the verdict cannot
    assert not is_yes_no("Che tipo di rete era ABC all'inizio?")  # SQuAD-it asks for spans without "chi/cosa"
    assert as_claim("Did the council approve the budget?") == "the council approve the budget"


def test_values_are_one_whatever_their_notation() -> None:
    assert value_key("2.500") == value_key("2,500") == value_key("2500 soldati") == "2500"
    assert value_key("circa 2.000") != value_key("900")


def _report(value: str, when: str | None, confidence: float = 1.0) -> Report:
    from rag.answer.evidence import Evidence
    from rag.models import EvidenceSentence

    ev = Evidence(EvidenceSentence("a", f"a#s{value}", 0, 10, value, 0.0), "t", "Agenzia", when, None)
    return Report(value, value_key(value), ev, (0, len(value)), sentence_period(value, when), confidence)


def test_the_latest_answers_and_reports_close_in_time_that_differ_are_named() -> None:
    from rag.answer.periods import QuestionTime

    old, new = _report("900", "2024-01-27"), _report("2.000", "2024-12-20")
    assert decide([old, new], QuestionTime()).latest == new  # figures change: the latest answers
    rival = _report("1.500", "2024-12-18", 0.5)
    differ = decide([old, new, rival], QuestionTime()).differ
    assert {r.value for r in differ} == {"2.000", "1.500"}  # within a month of each other: they differ
    assert decide([_report("900", None), _report("2.000", None)], QuestionTime()) == Decision()  # undated: no time
