"""Fit and choose how the extractive answerer uses the reader, on held-out articles only: the sentence
selector's weights (rag/answer/selector.py), how many chunks it reads, whether the evidence gate still
runs before it, and the confidence below which it abstains.

    .venv/bin/python scripts/calibrate_reader.py --weights runs/reader-f0/reader.safetensors --fold 0 \\
        --out runs/calib-f0.json
    .venv/bin/python scripts/calibrate_reader.py --records runs/calib-f0.json --out runs/calib-f0.json  # re-fit

Every question of the fold (the reader was trained on the other folds) is searched and every sentence
of its top chunks read once, as the answerer does (``rag.answer.selector.candidates``), over the DEV
index (answerable) and over an index of the other folds only (its article absent: it must abstain).
The fold's articles, sorted by title, form two halves (``a`` = even positions, ``b`` = odd).
Cross-calibration: the selector fitted and the setting chosen on half a are reported on half b, and
those of b on a; what ships is fitted and chosen on the whole fold. Two selectors are compared: the
reader's margin alone, and the logistic model over all :data:`FEATURES`; each with the evidence gate
free to be chosen, always on (``gated``) and always off (``ungated``). The pick, on one half and
again among the variants by their cross-calibrated figures (scripts/export_reader.py): highest
citation F1 (mean of the two languages) with unanswerable abstention ≥ .90 and false abstention (when
the paragraph was retrieved) ≤ .05 where reachable, else the highest citation F1 at unanswerable
≥ .90, else the highest citation F1. The rule-based key span (rag/answer/spans.py) is measured
against the reader's span on the chosen sentences too (``key_span``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "squad_it"
sys.path.insert(0, str(ROOT))

from rag.answer.selector import FEATURES, NO_SPAN, complete_features  # noqa: E402

PASSAGES = (1, 2, 3, 5, 8)
#: The evidence gate's variants: chosen with the rest, always on, always off.
#: "names": only the gate's name check (its similarity bar off; records from calibrate_names_gate.py).
GATES: dict[str, tuple[bool | str, ...]] = {
    "gate_chosen": (True, False),
    "gated": (True,),
    "ungated": (False,),
    "names_only": ("names",),
}
Records = dict[str, list[dict[str, Any]]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, help="reader.safetensors (manifest beside it)")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--index", type=Path, default=None, help="the DEV index (default: rag eval's derived one)")
    ap.add_argument("--max-passages", type=int, default=8)
    ap.add_argument("--limit", type=int, default=0, help="questions per language (0: all of the fold)")
    ap.add_argument("--unit", choices=("chunks", "windows"), default="chunks", help="what the reader reads per hit")
    ap.add_argument("--records", type=Path, default=None, help="fit again from an earlier run's readings")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if args.records is not None:
        saved = json.loads(args.records.read_text(encoding="utf-8"))
        records, max_passages, unit = saved["records"], saved["max_passages"], saved.get("unit", "chunks")
    else:
        if args.weights is None:
            ap.error("--weights is needed unless --records is given")
        records, max_passages, unit = read_fold(args), args.max_passages, args.unit
        # the readings first: fitting again from them (--records) never needs the reader
        base = {"fold": args.fold, "unit": unit, "max_passages": max_passages}
        args.out.write_text(json.dumps({**base, "records": records}) + "\n", encoding="utf-8")
    report = {"fold": args.fold, "unit": unit, "max_passages": max_passages}
    report |= {variant: cross_calibrate(records, max_passages, gates) for variant, gates in GATES.items()}
    args.out.write_text(json.dumps({**report, "records": records}) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


# -- reading ------------------------------------------------------------------------------------------


def read_fold(args: argparse.Namespace) -> Records:
    """Every question of the fold, searched and read over both indexes: ``answerable-it`` ... ``absent-en``."""
    os.environ["RAG_READER_WEIGHTS"] = str(args.weights.resolve())

    from rag.engine import Engine
    from rag.eval.answers import f1_score, run_answer_eval_corpora
    from rag.eval.data import load_questions, paragraph_classes
    from rag.eval.folds import article_titles, fold_questions, half_of
    from rag.eval.retrieval import eval_index_settings, unanswerable_index_settings
    from rag.settings import load_settings

    corpus = DEV / "corpus.jsonl"
    settings = load_settings()
    settings.answer.reader_gate = True  # the gate's verdict is recorded; whether to use it is chosen
    if args.index is not None:
        settings.index.path = args.index
    canon = paragraph_classes(corpus)
    titles = article_titles(corpus)
    half_a = half_of(corpus, args.fold, "a")
    other = run_answer_eval_corpora(settings, corpus, args.fold)
    qsets = {
        lang: fold_questions(load_questions(DEV / "questions.jsonl", lang), corpus, args.fold, "all")
        for lang in ("it", "en")
    }
    if args.limit:
        qsets = {k: v[: args.limit] for k, v in qsets.items()}
    records: Records = {}
    started = time.monotonic()
    for where, s in (
        ("answerable", eval_index_settings(settings, corpus)),
        ("absent", unanswerable_index_settings(settings, other)),
    ):
        with Engine(s) as engine:
            engine.ingest([corpus if where == "answerable" else other])
            pipe = engine.answer_pipeline("extractive")
            gate, answerer = pipe.get_component("gate"), pipe.get_component("answerer")
            for lang, qs in qsets.items():
                rows = records.setdefault(f"{where}-{lang}", [])
                for i, q in enumerate(qs):
                    if i % 100 == 0:
                        took = time.monotonic() - started
                        print(f"{where} {lang} {i}/{len(qs)} ({took:.0f} s)", file=sys.stderr, flush=True)
                    row = _read(engine, gate, answerer, q, canon, args.max_passages, f1_score, args.unit)
                    row["half"] = "a" if titles[q.paragraph_id] in half_a else "b"
                    rows.append(row)
    return records


def _read(
    engine: Any, gate: Any, answerer: Any, q: Any, canon: dict[str, str], k: int, f1: Any, unit: str
) -> dict[str, Any]:
    """One question: the gate's verdict, and every candidate sentence of the top ``k`` hits with its
    raw features, whether it holds a gold answer, and the F1/EM of its span. ``unit``: the reader reads
    each hit's chunk, or (``windows``) the hit's best sentence with a neighbour on each side."""
    from rag.answer.evidence import select_evidence
    from rag.answer.reader_answerer import article_sentences
    from rag.answer.selector import candidates
    from rag.answer.spans import key_span, question_kind
    from rag.answer.verify import question_focus

    found = engine.search(q.text, top_k=k)
    evidence = select_evidence(found.hits, found.evidence, engine.settings.answer.evidence)
    verdict = gate.run(focus_question=q.text, language=found.language, evidence=evidence)
    spans = lambda aid: _cached(_SPANS, aid, lambda: article_sentences(engine.doc_store, aid))  # noqa: E731
    hits = found.hits if unit == "chunks" else [_window(engine, h, spans(h.article_id)) for h in found.hits]
    cands = candidates(answerer.reader.read_sentences, q.text, hits, found.evidence, spans)
    gold = canon.get(q.paragraph_id, q.paragraph_id)
    golds = [t for _, t in q.answer_spans]
    focus = question_focus(gate.support.checker, q.text, found.language) if question_kind(q.text) else None
    out = []
    for c in cands:
        same = canon.get(hits[c.hit].article_id, hits[c.hit].article_id) == gold
        aid = hits[c.hit].article_id
        if aid not in _TEXTS:
            _TEXTS[aid] = engine.article_text(aid) or ""
        text = _TEXTS[aid]
        quality = f1(text[c.span[0] : c.span[1]], golds) if same and c.span else 0.0
        raw = {f: c.features[f] for f in ("reader_margin", "evidence_score", "similarity", "hit_rank", "answer_type")}
        # the rule-based key span (a "how many"/"when" question's number or date nearest the question's
        # names) inside the same sentence, where it finds one: its F1, else None
        key = None
        if focus is not None and c.span:
            ks = key_span(q.text, c.text, gate.support.checker.anchor_spans(focus, c.text, found.language))
            key = (f1(c.text[ks[0] : ks[1]], golds) if same else 0.0) if ks else None
        cover = same and _covers(c.start, c.end, q)
        out.append({"hit": c.hit, "f": raw, "covers": cover, "f1": quality, "key": key})
    plain = [canon.get(e.article_id, e.article_id) == gold and _covers(e.start, e.end, q) for e in found.evidence]
    retrieved = any(canon.get(h.article_id, h.article_id) == gold for h in found.hits[:5])
    return {"gate": "reason" not in verdict, "cands": out, "retrieved": retrieved, "evidence_covers": plain[:1]}


_SPANS: dict[str, Any] = {}
_TEXTS: dict[str, Any] = {}


def _cached(cache: dict[str, Any], key: str, make: Callable[[], Any]) -> Any:
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _covers(start: int, end: int, q: Any) -> bool:
    return any(start <= o and o + len(t) <= end for o, t in q.answer_spans)


def _window(engine: Any, hit: Any, spans: list[tuple[int, int]]) -> Any:
    """The hit narrowed to its best sentence with one neighbour on each side."""
    from dataclasses import replace

    if not hit.sentences:
        return hit
    i = next((j for j, (a, b) in enumerate(spans) if a <= hit.sentences[0].start < b), None)
    if i is None:
        return hit
    a, b = spans[max(0, i - 1)][0], spans[min(len(spans) - 1, i + 1)][1]
    text = _cached(_TEXTS, hit.article_id, lambda: engine.article_text(hit.article_id) or "")
    return replace(hit, start=a, end=b, text=text[a:b])


# -- fitting and choosing -----------------------------------------------------------------------------


def features_at(row: dict[str, Any], passages: int) -> list[tuple[list[float], dict[str, Any]]]:
    """(feature vector, candidate) of a question's candidates with a span among its first ``passages``
    hits, the features completed over all their sentences as the answerer does."""
    shown = [c for c in row["cands"] if c["hit"] < passages]
    feats = [{k: (math.nan if v is None else float(v)) for k, v in c["f"].items()} for c in shown]
    complete_features(feats)
    return [
        ([f[name] for name in FEATURES], c)
        for f, c in zip(feats, shown, strict=True)
        if c["f"]["reader_margin"] > NO_SPAN
    ]


class Model:
    """A selector: ``margin`` (the reader's margin alone) or ``logistic`` (all features)."""

    def __init__(self, kind: str, coef: list[float] | None = None, intercept: float = 0.0) -> None:
        self.kind, self.coef, self.intercept = kind, coef or [], intercept

    def score(self, x: list[float]) -> float:
        if self.kind == "margin":
            return x[FEATURES.index("reader_margin")]
        z = self.intercept + sum(w * v for w, v in zip(self.coef, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "features": list(FEATURES), "coef": self.coef, "intercept": self.intercept}


def fit(records: Records, passages: int) -> Model:
    """The logistic selector over the answerable questions' candidates (label: holds a gold answer),
    standardised for fitting and folded back to raw-feature coefficients."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    xs: list[list[float]] = []
    ys: list[int] = []
    for key, rows in records.items():
        if key.startswith("answerable"):
            for r in rows:
                for x, c in features_at(r, passages):
                    xs.append(x)
                    ys.append(int(c["covers"]))
    if len(set(ys)) < 2:
        return Model("margin")
    data, y = np.array(xs), np.array(ys)
    scaler = StandardScaler().fit(data)
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(data), y)
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    raw = lr.coef_[0] / scale
    intercept = float(lr.intercept_[0] - np.sum(lr.coef_[0] * scaler.mean_ / scale))
    return Model("logistic", [round(float(c), 6) for c in raw], round(intercept, 6))


def _blocked(r: dict[str, Any], gated: bool | str) -> bool:
    if gated == "names":
        return not r.get("gate_names", r["gate"])
    return bool(gated) and not r["gate"]


def decisions(records: Records, model: Model, passages: int, gated: bool | str) -> dict[int, tuple[float, Any] | None]:
    """Per question (by id of its record): (confidence, chosen candidate), or None where it cannot answer.
    ``gated``: the whole evidence gate (True), none (False), or its name check alone ("names")."""
    out: dict[int, tuple[float, Any] | None] = {}
    for rows in records.values():
        for r in rows:
            scored = [(model.score(x), c) for x, c in features_at(r, passages)]
            best = max(scored, key=lambda t: t[0], default=None)
            out[id(r)] = None if _blocked(r, gated) or best is None else best
    return out


def score(records: Records, decide: Callable[[dict[str, Any]], Any], key: bool | None = False) -> dict[str, float]:
    """The figures of one set of decisions (``decide(record)``: the chosen candidate, or None = abstain).
    ``key``: the answer is the key span where the rule finds one in the chosen sentence (None: as the
    record's ``_key`` says)."""
    out: dict[str, float] = {}
    for lang in ("it", "en"):
        ans, absent = records.get(f"answerable-{lang}", []), records.get(f"absent-{lang}", [])
        good = answered = retrieved = hit = abstained = abstained_retrieved = f1 = em = first_plain = first_read = 0.0
        for r in ans:
            pick = decide(r)
            retrieved += r["retrieved"]
            plain = bool(r.get("evidence_covers")) and bool(r["evidence_covers"][0])
            first_plain += plain
            first_read += pick["covers"] if pick is not None else plain
            if pick is None:
                abstained += 1
                abstained_retrieved += r["retrieved"]
                continue
            answered += 1
            good += pick["covers"]
            hit += pick["covers"] and r["retrieved"]
            keyed = (r.get("_key", False) if key is None else key) and pick.get("key") is not None
            quality = pick["key"] if keyed else pick["f1"]
            f1 += quality
            em += quality == 1.0
        shut = sum(1 for r in absent if decide(r) is None)
        n = max(len(ans), 1)
        out |= {
            f"{lang}_n": len(ans),
            f"{lang}_precision": round(good / max(answered, 1), 4),
            f"{lang}_recall": round(hit / max(retrieved, 1), 4),
            f"{lang}_false_abstention": round(abstained / n, 4),
            f"{lang}_false_abstention_retrieved": round(abstained_retrieved / max(retrieved, 1), 4),
            f"{lang}_unanswerable_abstained": round(shut / max(len(absent), 1), 4),
            f"{lang}_search_sentence@1": round(first_plain / n, 4),
            f"{lang}_search_sentence@1_read": round(first_read / n, 4),
            f"{lang}_em": round(100 * em / n, 2),
            f"{lang}_f1": round(100 * f1 / n, 2),
        }
    return out


def _ranked(m: dict[str, float]) -> tuple[bool, bool, float]:
    f1s = [
        2 * m[f"{lang}_precision"] * m[f"{lang}_recall"] / max(m[f"{lang}_precision"] + m[f"{lang}_recall"], 1e-9)
        for lang in ("it", "en")
    ]
    shut = min(m["it_unanswerable_abstained"], m["en_unanswerable_abstained"])
    false = max(m["it_false_abstention_retrieved"], m["en_false_abstention_retrieved"])
    return shut >= 0.90 and false <= 0.05, shut >= 0.90, sum(f1s) / 2


def choose(
    records: Records, max_passages: int, kind: str, gates: tuple[bool | str, ...] = (True, False)
) -> dict[str, Any]:
    """The best (selector, passages, gate among ``gates``, bar) on these records, with its figures."""
    best: tuple[tuple[bool, bool, float], dict[str, Any]] | None = None
    for passages in [p for p in PASSAGES if p <= max_passages]:
        model = fit(records, passages) if kind == "logistic" else Model("margin")
        for gated in gates:
            picks = decisions(records, model, passages, gated)
            confidences = sorted(p[0] for p in picks.values() if p is not None)
            bars = {-1e9} | {confidences[int(i * (len(confidences) - 1) / 100)] for i in range(101) if confidences}
            for bar in sorted(bars):
                m = score(records, _taker(picks, bar))
                key = _ranked(m)
                if best is None or key > best[0]:
                    setting = {"passages": passages, "gate": gated, "min_confidence": round(bar, 6)}
                    best = (key, {"selector": model.to_json(), "setting": setting, "goals_met": key[0], **m})
    assert best is not None
    return best[1]


def _taker(picks: dict[int, tuple[float, Any] | None], bar: float) -> Callable[[dict[str, Any]], Any]:
    return lambda r: _take(picks[id(r)], bar)


def _take(pick: tuple[float, Any] | None, bar: float) -> Any:
    return pick[1] if pick is not None and pick[0] >= bar else None


def apply(records: Records, chosen: dict[str, Any]) -> dict[str, float]:
    """The figures of a setting chosen elsewhere, on these records."""
    sel, s = chosen["selector"], chosen["setting"]
    model = Model(sel["kind"], sel["coef"], sel["intercept"])
    picks = decisions(records, model, s["passages"], s["gate"])
    return score(records, lambda r: _take(picks[id(r)], s["min_confidence"]))


def key_span_helps(records: Records, chosen: dict[str, Any]) -> bool:
    """Whether answering with the rule-based key span (where it finds one in the chosen sentence)
    instead of the reader's span raises the mean EM + F1 of the two languages on these records."""
    sel, s = chosen["selector"], chosen["setting"]
    picks = decisions(records, Model(sel["kind"], sel["coef"], sel["intercept"]), s["passages"], s["gate"])

    def total(key: bool) -> float:
        m = score(records, lambda r: _take(picks[id(r)], s["min_confidence"]), key=key)
        return sum(m[f"{lang}_em"] + m[f"{lang}_f1"] for lang in ("it", "en"))

    return total(True) > total(False)


def cross_calibrate(
    records: Records, max_passages: int, gates: tuple[bool | str, ...] = (True, False)
) -> dict[str, Any]:
    """Per selector kind: chosen on a and reported on b, chosen on b and reported on a, both pooled;
    and the choice on the whole fold (what ships)."""

    def only(half: str) -> Records:
        return {k: [r for r in v if r.get("half") == half] for k, v in records.items()}

    out: dict[str, Any] = {}
    for kind in ("margin", "logistic"):
        part: dict[str, Any] = {}
        decided: dict[str, list[dict[str, Any]]] = {}
        for chosen_on, reported_on in (("a", "b"), ("b", "a")):
            chosen = choose(only(chosen_on), max_passages, kind, gates)
            part[f"chosen_on_{chosen_on}"] = {k: chosen[k] for k in ("selector", "setting", "goals_met")}
            part[f"chosen_on_{chosen_on}"][f"reported_on_{reported_on}"] = apply(only(reported_on), chosen)
            sel, s = chosen["selector"], chosen["setting"]
            model = Model(sel["kind"], sel["coef"], sel["intercept"])
            use_key = key_span_helps(only(chosen_on), chosen)
            part[f"chosen_on_{chosen_on}"]["key_span"] = use_key
            picks = decisions(only(reported_on), model, s["passages"], s["gate"])
            for k, rows in only(reported_on).items():
                bar = s["min_confidence"]
                decided.setdefault(k, []).extend(
                    {**r, "_pick": _take(picks[id(r)], bar), "_key": use_key} for r in rows
                )
        part["cross_calibrated"] = score(decided, lambda r: r["_pick"], key=None)
        part["cross_calibrated_reader_spans_only"] = score(decided, lambda r: r["_pick"], key=False)
        whole = choose(records, max_passages, kind, gates)
        whole["setting"]["key_span"] = key_span_helps(records, whole)
        part["whole_fold"] = whole
        out[kind] = part
    return out


if __name__ == "__main__":
    main()
