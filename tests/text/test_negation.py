"""A sentence that names a value to deny it never supports it (issue 25, item 5): "Non è vero che il
nuovo stadio costerà 99 milioni" was answered "99 milioni di euro" and judged *supported* (0.986)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.text.negation import denial, denies_anything
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("sentence", "value", "denied"),
    [
        ("Non è vero che il nuovo stadio costerà 99 milioni di euro.", "99 milioni", True),
        ("È falso che il nuovo stadio costerà 99 milioni.", "99 milioni", True),
        ("Il Comune smentisce che lo stadio costerà 99 milioni.", "99 milioni", True),
        ("The city denied that the stadium will cost 99 million.", "99 million", True),
        ("The stadium will not cost 99 million, but 120 million.", "99 million", True),
        ("The stadium will not cost 99 million, but 120 million.", "120 million", False),
        ("Non è vero che non costerà 99 milioni.", "99 milioni", False),  # two denials cancel
        ("Il nuovo stadio costerà 99 milioni di euro.", "99 milioni", False),
        ("Gli Stati Uniti, che non hanno commentato, hanno 900 truppe in Siria.", "900", False),
        ("Non meno di 900 soldati sono in Siria.", "900", False),  # a quantity, not a denial
        ("Il Senato ha approvato con 115 voti favorevoli, nessun astenuto.", "115", False),
    ],
)
def test_denial_scopes(sentence: str, value: str, denied: bool) -> None:
    i = sentence.index(value)
    assert (denial(sentence, i, i + len(value)) is not None) is denied


def test_a_claim_that_denies_is_told_apart() -> None:
    assert denies_anything("il nuovo stadio non costerà 99 milioni")
    assert not denies_anything("the stadium will cost 99 million")


@pytest.mark.slow
def test_a_denied_value_is_neither_answered_nor_judged_supported(tmp_path: Path) -> None:
    """The path a user runs: ingest, citation lookup, ask (the reader)."""
    from rag.engine import Engine

    article = tmp_path / "stadio.txt"
    article.write_text(
        "Stadio, il Comune frena.\n"
        "Non è vero che il nuovo stadio costerà 99 milioni di euro, ha detto l'assessore ai lavori pubblici.\n"
        "Il progetto definitivo sarà presentato in primavera.\n",
        encoding="utf-8",
    )
    with Engine(make_settings(tmp_path / "index")) as engine:
        engine.ingest([article])
        for claim in ("Il nuovo stadio costerà 99 milioni di euro", "The new stadium will cost 99 million euros"):
            found = engine.lookup(claim)
            assert found.verdict != "supported", (claim, found.verdict, found.probability)
        agrees = engine.lookup("Il nuovo stadio non costerà 99 milioni di euro")
        assert agrees.verdict != "conflicts"  # the claim denies it too
        for question in ("Quanto costerà il nuovo stadio?", "How much will the new stadium cost?"):
            result = engine.ask(question, answerer="extractive")
            assert result.abstained or "99" not in result.answer, (question, result.answer)
