"""Choose how the extractive answerer uses the reader, on held-out articles only: how many chunks it
reads, how much the chunk's retrieval rank counts next to the reader's margin, whether the evidence
gate still runs before it, and the no-answer margin below which it abstains.

    .venv/bin/python scripts/calibrate_reader.py --weights runs/reader-f0/reader.safetensors --fold 0 \
        --out runs/calib-f0.json
    .venv/bin/python scripts/calibrate_reader.py --records runs/calib-f0.json --out runs/calib-f0.json  # re-choose

Every question of the fold (a model trained on the other folds) is searched and its top chunks read
once, over the DEV index (answerable) and over an index of the other folds only (its article absent:
it must abstain); then each configuration is scored from those readings. The fold's articles, sorted
by title, form two halves (``a`` = even positions, ``b`` = odd). Cross-calibration: the setting chosen
on half a is reported on half b, and the one chosen on b on a; the setting shipped is chosen on the
whole fold. The pick: highest citation F1 (mean of the two languages) with unanswerable abstention ≥ .90
and false abstention (when the paragraph was retrieved) ≤ .05 where reachable, else the highest
citation F1 at unanswerable ≥ .90, else the highest citation F1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "squad_it"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, help="reader.safetensors (manifest beside it)")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--index", type=Path, default=None, help="the DEV index (default: rag eval's derived one)")
    ap.add_argument("--max-passages", type=int, default=8)
    ap.add_argument("--limit", type=int, default=0, help="questions per language (0: all of the fold)")
    ap.add_argument("--unit", choices=("chunks", "windows"), default="chunks", help="what the reader reads per hit")
    ap.add_argument("--records", type=Path, default=None, help="choose again from an earlier run's readings")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if args.records is not None:
        saved = json.loads(args.records.read_text(encoding="utf-8"))
        records, max_passages = saved["records"], saved.get("max_passages", args.max_passages)
    else:
        if args.weights is None:
            ap.error("--weights is needed unless --records is given")
        records, max_passages = read_fold(args), args.max_passages
    report = {"fold": args.fold, "unit": args.unit, "max_passages": max_passages}
    report |= cross_calibrate(records, max_passages)
    args.out.write_text(json.dumps({**report, "records": records}) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


def read_fold(args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    """Every question of the fold, searched and read over both indexes: ``answerable-it`` ... ``absent-en``."""
    os.environ["RAG_READER_WEIGHTS"] = str(args.weights.resolve())
    sys.path.insert(0, str(ROOT))

    from rag.engine import Engine
    from rag.eval.answers import f1_score, run_answer_eval_corpora
    from rag.eval.data import load_questions, paragraph_classes
    from rag.eval.folds import article_titles, fold_questions, half_of
    from rag.eval.retrieval import eval_index_settings, unanswerable_index_settings
    from rag.settings import load_settings

    corpus = DEV / "corpus.jsonl"
    settings = load_settings()
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
    records: dict[str, list[dict[str, Any]]] = {}
    started = time.monotonic()
    for where, s in (
        ("answerable", eval_index_settings(settings, corpus)),
        ("absent", unanswerable_index_settings(settings, other)),
    ):
        with Engine(s) as engine:
            engine.ingest([corpus if where == "answerable" else other])
            pipe = engine.answer_pipeline("extractive")
            gate = pipe.get_component("gate")
            reader = pipe.get_component("answerer").reader
            for lang, qs in qsets.items():
                rows = records.setdefault(f"{where}-{lang}", [])
                for i, q in enumerate(qs):
                    if i % 100 == 0:
                        print(
                            f"{where} {lang} {i}/{len(qs)} ({time.monotonic() - started:.0f} s)",
                            file=sys.stderr,
                            flush=True,
                        )
                    row = _read(engine, gate, reader, q, canon, args.max_passages, f1_score, args.unit)
                    row["half"] = "a" if titles[q.paragraph_id] in half_a else "b"
                    rows.append(row)
    return records


def cross_calibrate(records: dict[str, list[dict[str, Any]]], max_passages: int) -> dict[str, Any]:
    """Chosen on a, reported on b; chosen on b, reported on a; pooled; and the pick on the whole fold."""

    def only(half: str) -> dict[str, list[dict[str, Any]]]:
        return {k: [r for r in v if r.get("half") == half] for k, v in records.items()}

    out: dict[str, Any] = {}
    pooled: dict[str, list[dict[str, Any]]] = {}
    for chosen_on, reported_on in (("a", "b"), ("b", "a")):
        pick = choose(only(chosen_on), max_passages)["pick"]
        setting = {k: pick[k] for k in ("passages", "retrieval_weight", "gate", "min_margin")}
        figures = score(
            only(reported_on), setting["passages"], setting["retrieval_weight"], setting["gate"], setting["min_margin"]
        )
        out[f"chosen_on_{chosen_on}"] = {"setting": setting, f"reported_on_{reported_on}": figures}
        for k, v in _marked(only(reported_on), setting).items():
            pooled.setdefault(k, []).extend(v)
    out["cross_calibrated"] = score(pooled, 0, 0.0, False, 0.0, decided=True)
    out["whole_fold"] = choose(records, max_passages)
    return out


def _marked(records: dict[str, list[dict[str, Any]]], setting: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The records with the setting's decision fixed in (``decided``: the pick, or None = abstain)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for k, rows in records.items():
        for r in rows:
            pick = _pick(r, setting["passages"], setting["retrieval_weight"])
            shut = (setting["gate"] and not r["gate"]) or pick is None or pick["margin"] < setting["min_margin"]
            out.setdefault(k, []).append({**r, "decided": None if shut else pick})
    return out


def _read(
    engine: Any, gate: Any, reader: Any, q: Any, canon: dict[str, str], k: int, f1: Any, unit: str = "chunks"
) -> dict[str, Any]:
    """``unit``: the reader reads each hit's chunk, or (``windows``) the hit's best sentence with its
    neighbours on either side."""
    from rag.answer.evidence import select_evidence

    found = engine.search(q.text, top_k=k)
    evidence = select_evidence(found.hits, found.evidence, engine.settings.answer.evidence)
    verdict = gate.run(focus_question=q.text, language=found.language, evidence=evidence)
    passages = [(h.start, h.text) if unit == "chunks" else _window(engine, h) for h in found.hits]
    guesses = reader.read(q.text, [t for _, t in passages])
    gold = canon.get(q.paragraph_id, q.paragraph_id)
    reads: list[dict[str, Any] | None] = []
    for h, (at, text), g in zip(found.hits, passages, guesses, strict=True):
        if g is None:
            reads.append(None)
            continue
        same = canon.get(h.article_id, h.article_id) == gold
        sentence = _sentence(engine, h.article_id, at + g.start)
        spans = q.answer_spans
        covers = same and sentence is not None and any(sentence[0] <= o and o + len(t) <= sentence[1] for o, t in spans)
        quality = f1(text[g.start : g.end], [t for _, t in spans]) if same else 0.0
        reads.append({"margin": round(g.margin, 3), "covers": covers, "f1": quality, "em": float(quality == 1.0)})
    retrieved = any(canon.get(h.article_id, h.article_id) == gold for h in found.hits[:5])
    # search's own evidence order, for "does reading improve search's first sentence?"
    plain = [canon.get(e.article_id, e.article_id) == gold and _covers_span(e.start, e.end, q) for e in found.evidence]
    return {"gate": "reason" not in verdict, "reads": reads, "retrieved": retrieved, "evidence_covers": plain[:3]}


def _covers_span(start: int, end: int, q: Any) -> bool:
    return any(start <= o and o + len(t) <= end for o, t in q.answer_spans)


_SPANS: dict[str, list[list[int]]] = {}
_TEXTS: dict[str, str] = {}


def _window(engine: Any, hit: Any) -> tuple[int, str]:
    """(article offset, text) of the hit's best sentence with one neighbour on each side."""
    if not hit.sentences:
        return hit.start, hit.text
    best = hit.sentences[0]
    _sentence(engine, hit.article_id, best.start)  # fills _SPANS
    spans = _SPANS[hit.article_id]
    i = next((j for j, (a, b) in enumerate(spans) if a <= best.start < b), None)
    if i is None:
        return hit.start, hit.text
    if hit.article_id not in _TEXTS:
        _TEXTS[hit.article_id] = engine.article_text(hit.article_id) or ""
    a, b = spans[max(0, i - 1)][0], spans[min(len(spans) - 1, i + 1)][1]
    return a, _TEXTS[hit.article_id][a:b]


def _sentence(engine: Any, article_id: str, at: int) -> tuple[int, int] | None:
    from rag.store.base import Filters

    if article_id not in _SPANS:
        page, _ = engine.store.scroll("article", Filters(article_ids=[article_id]), limit=1)
        _SPANS[article_id] = page[0].payload.get("sentence_spans") or [] if page else []
    return next(((a, b) for a, b in _SPANS[article_id] if a <= at < b), None)


def score(
    records: dict[str, list[dict[str, Any]]],
    passages: int,
    weight: float,
    gated: bool,
    bar: float,
    *,
    decided: bool = False,
) -> dict[str, float]:
    """The figures of one setting (``decided``: of the decisions already in the records)."""
    if decided:
        return _score(records, lambda r: r["decided"])
    picks = {id(r): _candidate(r, passages, weight, gated) for rows in records.values() for r in rows}
    return _score(records, _decider(picks, bar))


def _candidate(r: dict[str, Any], passages: int, weight: float, gated: bool) -> dict[str, Any] | None:
    return None if gated and not r["gate"] else _pick(r, passages, weight)


def _decider(picks: dict[int, Any], bar: float) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    return lambda r: _above(picks[id(r)], bar)


def _above(pick: dict[str, Any] | None, bar: float) -> dict[str, Any] | None:
    return pick if pick is not None and pick["margin"] >= bar else None


def _score(
    records: dict[str, list[dict[str, Any]]], decide: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> dict[str, float]:
    out: dict[str, float] = {}
    for lang in ("it", "en"):
        ans, absent = records.get(f"answerable-{lang}", []), records.get(f"absent-{lang}", [])
        good = answered = retrieved = hit = abstained = abstained_retrieved = em = f1 = 0.0
        first_plain = first_read = 0.0
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
            f1 += pick["f1"]
            em += pick["em"]
        shut = sum(1 for r in absent if decide(r) is None)
        n = max(len(ans), 1)
        precision, recall = good / max(answered, 1), hit / max(retrieved, 1)
        out |= {
            f"{lang}_precision": round(precision, 4),
            f"{lang}_recall": round(recall, 4),
            f"{lang}_n": len(ans),
            f"{lang}_false_abstention": round(abstained / n, 4),
            f"{lang}_false_abstention_retrieved": round(abstained_retrieved / max(retrieved, 1), 4),
            f"{lang}_unanswerable_abstained": round(shut / max(len(absent), 1), 4),
            f"{lang}_search_sentence@1": round(first_plain / n, 4),
            f"{lang}_search_sentence@1_read": round(first_read / n, 4),
            f"{lang}_em": round(100 * em / n, 2),
            f"{lang}_f1": round(100 * f1 / n, 2),
        }
    return out


def _pick(r: dict[str, Any], passages: int, weight: float) -> dict[str, Any] | None:
    best = None
    for rank, read in enumerate(r["reads"][:passages]):
        if read is None:
            continue
        s = read["margin"] + weight / (rank + 1)
        if best is None or s > best[0]:
            best = (s, read)
    return best[1] if best else None


def choose(records: dict[str, list[dict[str, Any]]], max_passages: int) -> dict[str, Any]:
    margins = sorted(x["margin"] for rows in records.values() for r in rows for x in r["reads"] if x is not None)
    bars = sorted(
        {-1e9, *(round(margins[int(i * (len(margins) - 1) / 80)], 3) for i in range(81))} if margins else {0.0}
    )
    scored = []
    for passages, weight, gated in itertools.product(
        [p for p in (1, 2, 3, 5, 8) if p <= max_passages], (0.0, 0.5, 1.0, 2.0, 4.0), (True, False)
    ):
        picks = {id(r): _candidate(r, passages, weight, gated) for rows in records.values() for r in rows}
        for bar in bars:
            m = _score(records, _decider(picks, bar))
            scored.append(_ranked(m, passages, weight, gated, bar))
    scored.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
    return {"pick": scored[0][3], "runners_up": [t[3] for t in scored[1:6]], "both_goals_reachable": scored[0][0]}


def _ranked(m: dict[str, float], passages: int, weight: float, gated: bool, bar: float) -> tuple[Any, ...]:
    """(both goals met, unanswerable goal met, citation F1, the setting and its figures): sorts best last."""
    f1s = [
        2 * m[f"{lang}_precision"] * m[f"{lang}_recall"] / max(m[f"{lang}_precision"] + m[f"{lang}_recall"], 1e-9)
        for lang in ("it", "en")
    ]
    cf1 = sum(f1s) / 2
    shut = min(m["it_unanswerable_abstained"], m["en_unanswerable_abstained"])
    false = max(m["it_false_abstention_retrieved"], m["en_false_abstention_retrieved"])
    setting = {"passages": passages, "retrieval_weight": weight, "gate": gated, "min_margin": bar}
    return (shut >= 0.90 and false <= 0.05, shut >= 0.90, cf1, {**setting, "citation_f1": round(cf1, 4), **m})


if __name__ == "__main__":
    main()
