"""Support checks: numbers, names, stems and (with the real embedder) words across languages."""

from __future__ import annotations

import pytest

from rag.answer.support import SupportChecker

SYRIA = (
    "Gli Stati Uniti hanno 2.500 truppe dispiegate in Iraq e 900 nella vicina Siria, nel tentativo di "
    "prevenire la rinascita dei militanti dello Stato Islamico."
)


def test_key_terms_split_numbers_names_and_words() -> None:
    c = SupportChecker()
    terms = c.key_terms("How many US troops are in Syria in 2024?", "en")
    assert terms.numbers == ("2024",)
    assert terms.names == ("US", "Syria")
    assert "troops" in terms.words and "how" not in terms.words
    # A capital that only opens the sentence is not a name; stopwords around a name are dropped.
    assert c.key_terms("Gli USA hanno 900 soldati in Siria", "it").names == ("USA", "Siria")


def test_without_embeddings_same_language_claims_are_checked_by_stems_and_numbers() -> None:
    c = SupportChecker()
    ok = c.check("Le truppe americane in Siria sono 900", SYRIA, "it")
    assert ok.supported and {"numbers", "names"} <= set(ok.passed)
    wrong_number = c.check("Le truppe in Siria sono 700", SYRIA, "it")
    assert not wrong_number.supported and "700" in wrong_number.missing
    wrong_place = c.check("Le truppe in Libia sono 900", SYRIA, "it")
    assert not wrong_place.supported and "Libia" in wrong_place.missing
    assert c.check("900 nella vicina Siria", SYRIA, "it").passed == ["quote"]


def test_a_near_spelling_finds_a_name_across_languages() -> None:
    found, missing = SupportChecker().find(SupportChecker().key_terms("troops in Syria", "en"), SYRIA, "en")
    assert "Syria" in found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("claim", "supported"),
    [
        ("900 US troops are in Syria.", True),  # US ~ Stati Uniti (.91), troops ~ truppe (.92)
        ("The US has 2,500 troops in Iraq", True),
        ("Gli USA hanno 900 soldati in Siria", True),
        ("900 US troops are in Afghanistan", False),  # Afghanistan ~ Iraq .909: below the .91 bar
        ("900 Russian troops are in Syria", False),
        ("900 troops of the United Kingdom are in Syria", False),
        ("2500 soldiers are in Afghanistan", False),
    ],
)
def test_cross_lingual_support_with_the_real_embedder(seeded_engine, claim: str, supported: bool) -> None:  # type: ignore[no-untyped-def]
    bm25 = seeded_engine.search_pipeline.get_component("bm25")
    checker = SupportChecker(embed=bm25.words.embed_texts)
    language = "it" if claim.startswith("Gli") else "en"
    assert checker.check(claim, SYRIA, language).supported is supported
