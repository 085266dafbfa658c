"""scripts/calibrate_reader.py's fitting and choice, on made-up readings: the selector learns which
feature tells the answer sentence, the bar separates answering from absent articles, and
cross-calibration reports each half with what was chosen on the other."""

from __future__ import annotations

import importlib.util
import random
from typing import Any

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("calibrate_reader", ROOT / "scripts" / "calibrate_reader.py")
assert _spec is not None and _spec.loader is not None
cal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cal)


def _cand(hit: int, margin: float, similarity: float, covers: bool) -> dict[str, Any]:
    f = {"reader_margin": margin, "evidence_score": similarity, "similarity": similarity, "hit_rank": 1 / (hit + 1)}
    return {"hit": hit, "f": {**f, "answer_type": 1.0}, "covers": covers, "f1": float(covers)}


def _records(seed: int = 0, n: int = 200) -> dict[str, list[dict[str, Any]]]:
    """Answerable: the right sentence (rank 0 or 1) has a high similarity, while a wrong one often has
    the higher reader margin; absent: low margins and similarities everywhere."""
    rng = random.Random(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for lang in ("it", "en"):
        out[f"answerable-{lang}"], out[f"absent-{lang}"] = [], []
        for i in range(n):
            half = "a" if i % 4 < 2 else "b"
            right = _cand(i % 2, 6 + rng.gauss(0, 2), 0.9 + rng.gauss(0, 0.02), True)
            wrong = _cand(1 - i % 2, 7 + rng.gauss(0, 2), 0.8 + rng.gauss(0, 0.02), False)
            row = {"gate": True, "cands": [right, wrong], "retrieved": True, "evidence_covers": [i % 3 == 0]}
            out[f"answerable-{lang}"].append({**row, "half": half})
            absent = [_cand(k, -4 + rng.gauss(0, 2), 0.7 + rng.gauss(0, 0.02), False) for k in range(2)]
            out[f"absent-{lang}"].append({"gate": i % 5 != 0, "cands": absent, "retrieved": False, "half": half})
    return out


def test_the_logistic_selector_learns_what_the_margin_misses() -> None:
    records = _records()
    margin = cal.choose(records, 8, "margin")
    logistic = cal.choose(records, 8, "logistic")
    assert logistic["selector"]["kind"] == "logistic" and len(logistic["selector"]["coef"]) == len(cal.FEATURES)
    assert logistic["setting"]["passages"] >= 2  # the right sentence is at rank 1 half the time
    for lang in ("it", "en"):
        assert logistic[f"{lang}_precision"] > 0.95 > margin[f"{lang}_precision"] + 0.2
        assert logistic[f"{lang}_unanswerable_abstained"] >= 0.9
        assert logistic[f"{lang}_search_sentence@1_read"] > logistic[f"{lang}_search_sentence@1"]
    assert logistic["goals_met"]


def test_cross_calibration_reports_each_half_with_the_other_halfs_choice() -> None:
    out = cal.cross_calibrate(_records(), max_passages=8)
    assert set(out) == {"margin", "logistic"}
    part = out["logistic"]
    assert set(part) == {
        "chosen_on_a",
        "chosen_on_b",
        "cross_calibrated",
        "cross_calibrated_reader_spans_only",
        "whole_fold",
    }
    assert "reported_on_b" in part["chosen_on_a"] and "reported_on_a" in part["chosen_on_b"]
    pooled = part["cross_calibrated"]
    assert pooled["it_n"] == 200 and pooled["en_n"] == 200  # both halves, each reported once
    assert pooled["it_precision"] > 0.95 and pooled["it_unanswerable_abstained"] >= 0.85  # a bar from the other half


def test_a_bar_too_high_abstains_on_everything() -> None:
    records = _records()
    picks = cal.decisions(records, cal.Model("margin"), 2, False)
    m = cal.score(records, lambda r: cal._take(picks[id(r)], 1e9))
    assert m["it_false_abstention"] == 1.0 and m["it_unanswerable_abstained"] == 1.0 and m["it_recall"] == 0.0


def _keyed(key_f1: float) -> dict[str, list[dict[str, Any]]]:
    """The readings, with a key span in every answer sentence whose F1 is ``key_f1`` (the reader's: 1 or 0)."""
    records = _records()
    for rows in records.values():
        for r in rows:
            for c in r["cands"]:
                c["key"] = key_f1 if c["covers"] else 0.0
                c["f1"] = 0.5 if c["covers"] else 0.0
    return records


def test_the_key_span_is_used_only_where_it_scores_better() -> None:
    chosen = cal.choose(_records(), 8, "logistic")
    assert cal.key_span_helps(_keyed(1.0), chosen)
    assert not cal.key_span_helps(_keyed(0.0), chosen)
    records = _keyed(1.0)
    picks = cal.decisions(records, cal.Model("margin"), 8, False)
    with_key = cal.score(records, lambda r: cal._take(picks[id(r)], -1e9), key=True)
    without = cal.score(records, lambda r: cal._take(picks[id(r)], -1e9), key=False)
    assert with_key["it_em"] > without["it_em"] == 0.0 and with_key["it_precision"] == without["it_precision"]
