"""scripts/calibrate_reader.py's choice, on made-up readings: the margin bar separates answering from
absent articles, the gate and retrieval weight are weighed, and cross-calibration reports each half
with the setting chosen on the other."""

from __future__ import annotations

import importlib.util
import random
from typing import Any

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("calibrate_reader", ROOT / "scripts" / "calibrate_reader.py")
assert _spec is not None and _spec.loader is not None
cal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cal)


def _read(margin: float, covers: bool) -> dict[str, Any]:
    return {"margin": margin, "covers": covers, "f1": float(covers), "em": float(covers)}


def _records(seed: int = 0, n: int = 200) -> dict[str, list[dict[str, Any]]]:
    """Answerable: the right span sits at rank 0 or 1 with a margin around 4 (a wrong one at -1 beside
    it); absent: every read has a margin around -2."""
    rng = random.Random(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for lang in ("it", "en"):
        out[f"answerable-{lang}"] = []
        out[f"absent-{lang}"] = []
        for i in range(n):
            right = _read(4 + rng.gauss(0, 1), True)
            wrong = _read(-1 + rng.gauss(0, 1), False)
            reads = [right, wrong] if i % 2 else [wrong, right]
            half = "a" if i % 4 < 2 else "b"
            out[f"answerable-{lang}"].append(
                {"gate": True, "reads": reads, "retrieved": True, "evidence_covers": [i % 3 == 0], "half": half}
            )
            absent = [_read(-2 + rng.gauss(0, 1), False) for _ in range(2)]
            out[f"absent-{lang}"].append({"gate": i % 5 != 0, "reads": absent, "retrieved": False, "half": half})
    return out


def test_the_choice_meets_both_goals_when_the_readings_allow_it() -> None:
    best = cal.choose(_records(), max_passages=8)
    pick = best["pick"]
    assert best["both_goals_reachable"]
    assert pick["passages"] >= 2  # the right span is at rank 1 half the time
    assert -1.0 < pick["min_margin"] < 3.0, pick  # between the absent reads (-2) and the right ones (4)
    for lang in ("it", "en"):
        assert pick[f"{lang}_unanswerable_abstained"] >= 0.9 and pick[f"{lang}_false_abstention_retrieved"] <= 0.05
        assert pick[f"{lang}_precision"] > 0.95 and pick[f"{lang}_recall"] > 0.95
        assert pick[f"{lang}_search_sentence@1_read"] > pick[f"{lang}_search_sentence@1"]


def test_cross_calibration_reports_each_half_with_the_other_halfs_setting() -> None:
    out = cal.cross_calibrate(_records(), max_passages=8)
    assert set(out) == {"chosen_on_a", "chosen_on_b", "cross_calibrated", "whole_fold"}
    assert "reported_on_b" in out["chosen_on_a"] and "reported_on_a" in out["chosen_on_b"]
    pooled = out["cross_calibrated"]
    assert pooled["it_n"] == 200 and pooled["en_n"] == 200  # both halves, each reported once
    assert pooled["it_unanswerable_abstained"] >= 0.9


def test_a_bar_too_high_abstains_on_everything() -> None:
    m = cal.score(_records(), passages=2, weight=0.0, gated=False, bar=1e9)
    assert m["it_false_abstention"] == 1.0 and m["it_unanswerable_abstained"] == 1.0 and m["it_recall"] == 0.0
