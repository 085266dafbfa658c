"""Numbers compared by value, as Italian and English news write them (moved from tests/answer/test_support.py)."""

from __future__ import annotations

import pytest

from rag.text.numbers import normalize_number, numbers_in

SYRIA = (
    "Gli Stati Uniti hanno 2.500 truppe dispiegate in Iraq e 900 nella vicina Siria, nel tentativo di "
    "prevenire la rinascita dei militanti dello Stato Islamico."
)


@pytest.mark.parametrize(
    ("raw", "norm"), [("2.500", "2500"), ("2,500", "2500"), ("2500", "2500"), ("3,5", "3.5"), ("1.234.567", "1234567")]
)
def test_numbers_normalize(raw: str, norm: str) -> None:
    assert normalize_number(raw) == norm


def test_numbers_in_a_sentence() -> None:
    assert numbers_in(SYRIA) == {"2500", "900"}
