"""Citation lookup's verdict: values, comparisons, the model, and the lookup on the seeds."""

from __future__ import annotations

import json

import pytest

from rag.cite.lookup import CiteHit, CiteLookup
from rag.cite.verdict import FEATURES, VERDICTS, VerdictModel, compare, shipped_model, values, with_gaps
from tests.conftest import SYRIA

VOTES = "La legge è stata approvata con 211 voti favorevoli il 5 marzo 2014 dal Senato."


def _keys(text: str) -> list[tuple[str, str]]:
    return [(v.kind, v.key) for v in values(text)]


def test_values_compare_across_notations_and_languages() -> None:
    assert _keys("2.500 truppe") == _keys("2,500 troops") == [("number", "2500")]
    assert _keys("un tasso del 3,5") == [("number", "3.5")] == _keys("a rate of 3.5")
    assert _keys("il 5 marzo 2014") == _keys("on March 5, 2014") == [("date", "2014-03-05")]
    assert ("name", "thiago motta") in _keys("Juventus ha esonerato Thiago Motta")
    # a sentence's first word is no name, a capitalised one after it is
    assert _keys("La rete fa parte delle Big Three") == [("name", "big three")]


def _cmp(claim: str, sentence: str = VOTES, cross: bool = False) -> dict[str, float]:
    return compare(claim, sentence, cosine=0.9, terms=set(), cross=cross, top=True).features


def test_a_changed_number_is_a_conflict_and_names_both_values() -> None:
    c = compare("Il Senato ha approvato la legge con 250 voti", VOTES, cosine=0.9, terms=set(), cross=False, top=True)
    assert c.features["conflict"] == 1.0 and c.features["missing"] == 1.0
    assert c.conflict == ("250", "211")
    same = _cmp("Il Senato ha approvato la legge con 211 voti")
    assert same["conflict"] == 0.0 and same["found"] == 1.0 and same["missing"] == 0.0


def test_a_year_against_a_full_date_and_a_name_swap() -> None:
    assert _cmp("approvata nel 2014")["found"] == 1.0  # the year is inside "5 marzo 2014"
    assert compare("approvata nel 2016", VOTES, cosine=0.9, terms=set(), cross=False, top=True).conflict == (
        "2016",
        "5 marzo 2014",
    )
    named = compare("approvata dalla Camera", VOTES, cosine=0.9, terms=set(), cross=False, top=True)
    assert named.features["name_conflict"] == 1.0 and named.conflict == ("Camera", "Senato")


def test_gaps_are_against_the_best_candidate() -> None:
    cs = [compare("x", "y", cosine=c, terms=set(), cross=False, top=False) for c in (0.7, 0.9)]
    assert [c.features["cosine_gap"] for c in with_gaps(cs)] == pytest.approx([-0.2, 0.0])


def test_model_round_trip_and_probabilities() -> None:
    model = shipped_model()
    again = VerdictModel.from_dict(json.loads(json.dumps(model.to_dict())))
    f = _cmp("Il Senato ha approvato la legge con 250 voti")
    p = again.probabilities(f)
    assert set(p) == set(VERDICTS) and sum(p.values()) == pytest.approx(1.0)
    assert p == model.probabilities(f)
    bad = model.to_dict() | {"features": list(FEATURES)[:-1]}
    with pytest.raises(ValueError, match="refit it with scripts/fit_verdict.py"):
        VerdictModel.from_dict(bad)


def test_shipped_model_orders_the_classes_sensibly() -> None:
    """Learnt, not set: a sentence that holds every value of a claim close in meaning is likelier
    supported than one that lacks a value and holds another (conflict), and both are likelier the
    source than a distant sentence."""
    model = shipped_model()
    base = dict.fromkeys(FEATURES, 0.0) | {"cosine": 0.92, "cover": 0.8, "cover_rest": 0.8, "cover_sentence": 0.5}
    same = model.probabilities(base | {"found": 1.0, "top": 1.0})
    other = model.probabilities(base | {"missing": 1.0, "conflict": 1.0, "top": 1.0})
    far = model.probabilities(
        dict.fromkeys(FEATURES, 0.0) | {"cosine": 0.75, "cover": 0.1, "cosine_gap": -0.15, "missing": 1.0}
    )
    assert same["supported"] > other["supported"] and other["conflicts"] > same["conflicts"]
    assert far["not_found"] > max(same["not_found"], other["not_found"])


def test_lookup_summary_and_json_round_trip() -> None:
    hit = CiteHit("a", "a#s0", 0, 3, "211", 0.9, "t", "s", None, None, "conflicts", ["250", "211"])
    found = CiteLookup("250 voti", "conflicts", 0.87, [hit])
    assert found.summary() == "Conflicts (probability 0.87): the claim says 250; the article says 211."
    assert CiteLookup.from_dict(json.loads(json.dumps(found.to_dict()))) == found
    assert found.to_dict()["conflict"] == ["250", "211"]
    assert CiteLookup("x", "not_found", 0.9, []).summary().startswith("Not found (probability 0.90)")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("claim", "verdict"),
    [
        ("Gli Stati Uniti hanno 900 truppe in Siria", "supported"),
        ("Gli Stati Uniti hanno 300 truppe nella vicina Siria", "conflicts"),
        ("Juventus ha esonerato l'allenatore Thiago Motta", "not_found"),
        ("the US has 900 troops in Syria", "supported"),
    ],
)
def test_lookup_verdicts_on_the_seeds(seeded_engine, claim: str, verdict: str) -> None:  # type: ignore[no-untyped-def]
    found = seeded_engine.lookup(claim, top_k=3)
    assert found.verdict == verdict, (found.summary(), [(h.quote[:60], h.verdict, h.score) for h in found.citations])
    assert 0.0 <= found.probability <= 1.0
    scores = [h.score for h in found.citations]
    assert scores == sorted(scores, reverse=True)
    if verdict != "not_found":
        assert SYRIA in found.citations[0].quote
    if verdict == "conflicts":
        assert found.conflict is not None and found.conflict[0] == "300" and "900" in found.conflict[1:]
    for h in found.citations:
        assert seeded_engine.article_text(h.article_id)[h.start : h.end] == h.quote
