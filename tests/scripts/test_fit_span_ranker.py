"""scripts/fit_span_ranker.py's fitting on made-up readings: the listwise model learns the feature that
tells the right span where the reader's order is wrong, cross-fitting reports each half with the
other half's model, and ``adopt`` follows the cross-fitted figures."""

from __future__ import annotations

import importlib.util
import random
from typing import Any

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("fit_span_ranker", ROOT / "scripts" / "fit_span_ranker.py")
assert _spec is not None and _spec.loader is not None
fit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fit)


def _span(gap: float, near: float, right: bool) -> dict[str, Any]:
    f = {n: 0.0 for n in fit.FEATURES} | {"gap": gap, "is_best": float(gap == 0), "near": near}
    return {"text": "x" if right else "y", "f": f, "em": float(right), "f1": float(right)}


def _rows(helpful: bool, n: int = 200, seed: int = 0) -> list[dict[str, Any]]:
    """The reader's best span is right 60% of the time; when ``helpful``, the right span is always the
    one nearest the question's terms, else nearness is noise."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        right_first = rng.random() < 0.6
        near_right, near_wrong = (0.5, 0.1) if helpful else (rng.random(), rng.random())
        best = _span(0.0, near_right if right_first else near_wrong, right_first)
        other = _span(-rng.uniform(0.1, 1.0), near_wrong if right_first else near_right, not right_first)
        rows.append({"lang": "it" if i % 2 else "en", "half": "a" if i % 4 < 2 else "b", "spans": [best, other]})
    return rows


def test_a_helpful_feature_is_learnt_and_adopted() -> None:
    out = fit.report(_rows(helpful=True))
    assert out["span_ranker"]["it"]["em"] > out["reader_best_span"]["it"]["em"] + 20
    assert out["adopt"] is True and out["changed"] > 0
    near = out["shipped"]["coef"][list(fit.FEATURES).index("near")]
    assert near > 0


def test_noise_is_not_adopted() -> None:
    out = fit.report(_rows(helpful=False))
    assert out["adopt"] is False or out["span_ranker"]["it"]["f1"] >= out["reader_best_span"]["it"]["f1"]
    assert out["oracle_top_spans"]["it"]["em"] == 100.0
