"""Fit citation lookup's verdict model (rag/cite/verdict.py) on claims made from DEV, and measure it
on articles it was not fitted on.

    .venv/bin/python scripts/fit_verdict.py --per-fold 500 --rows runs/verdict-rows.jsonl
    .venv/bin/python scripts/fit_verdict.py --rows runs/verdict-rows.jsonl --reuse   # re-fit only

Claims (seeded sample of questions per fold):

- *supported*: the gold answer's sentence, verbatim; and the question turned into a statement with
  its answer ("… owns the American Broadcasting Company: The Walt Disney Company"), in Italian and
  in English (the English ones test the cross-lingual path);
- *conflicts*: the same claims with the answer swapped for another value of its kind (a number
  scaled, a year or date moved, a name taken from another article's answer);
- *not found*: fold 0's claims, looked up in an index of folds 1 and 2 only (rag eval's unanswerable
  index of fold 0, built if missing): the archive does not hold their articles.

Every claim is looked up as the product does (``Engine.cite_candidates``: 8 candidates). A candidate
row's label is the claim's class if it is the gold sentence (answer inside it) and ``not_found``
otherwise. Articles are split in two groups (A: fold 1 and half a of fold 0; B: fold 2 and half b):
the model fitted on one group is scored on the other, both ways; a claim's verdict is right when the
class is right and, for supported and conflicts, the first citation is the gold sentence. Reported:
precision and recall per verdict, per claim form, and the calibration of the verdict's probability
(expected calibration error, 10 bins). The model fitted on both groups is written to --out.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "squad_it"
sys.path.insert(0, str(ROOT))

from rag.cite.verdict import FEATURES, VERDICTS, WEIGHTS, VerdictModel, values  # noqa: E402

Rows = list[dict[str, Any]]
_LEAD = re.compile(
    r"^\s*(?:in\s+(?:quale|che|what|which)\s+anno|in\s+(?:quale|che)|di\s+(?:quale|che)|"
    r"qual\s*è|qual'è|quale|quali|chi|che\s+cosa|cosa|che|quando|dove|come|perché|quant[aeio]|"
    r"how\s+many|how\s+much|how|what|which|who|whom|whose|when|where|why)\b[\s,]*",
    re.IGNORECASE,
)
_PURE_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME_ANSWER = re.compile(r"(?:[A-ZÀ-Ö][\w'’.-]*)(?:\s+(?:di|de|del|della|of|the|[A-ZÀ-Ö][\w'’.-]*))*")


def statement(question: str, answer: str) -> str:
    """A question turned into a claim: its interrogative dropped, the answer appended."""
    rest = _LEAD.sub("", question.strip().rstrip("?").strip())
    return f"{rest}: {answer}"


def swap(answer: str, names: list[str], rng: random.Random) -> str | None:
    """Another value of the answer's kind, or None when it has no kind we can swap."""
    if _PURE_NUMBER.fullmatch(answer):
        if re.fullmatch(r"1\d{3}|20\d{2}", answer):
            return str(int(answer) + rng.choice([-1, 1]) * rng.randint(1, 15))
        key = float(answer.replace(".", "").replace(",", ".")) if "," in answer else float(answer.replace(".", ""))
        new = max(1, round(key * rng.choice([0.4, 0.6, 1.5, 2.5, 3])))
        if new == round(key):
            new += rng.randint(1, 9)
        return f"{new:,}".replace(",", ".")
    vals = values(answer)
    if len(vals) == 1 and vals[0].kind == "date" and vals[0].text == answer:
        return re.sub(r"\d{4}", lambda m: str(int(m.group()) + rng.randint(1, 15)), answer, count=1)
    if _NAME_ANSWER.fullmatch(answer) and len(answer.split()) <= 5:
        others = [n for n in names if n.lower() != answer.lower() and answer.lower() not in n.lower()]
        return rng.choice(others) if others else None
    return None


def make_claims(per_fold: int, seed: int) -> list[dict[str, Any]]:
    from rag.eval.data import paragraph_classes, read_jsonl
    from rag.eval.folds import article_titles, half_of, paragraph_folds
    from rag.text.sentences import split_sentences

    corpus = DEV / "corpus.jsonl"
    paragraphs = {str(r["id"]): r["text"] for r in read_jsonl(corpus)}
    folds, titles, canon = paragraph_folds(corpus), article_titles(corpus), paragraph_classes(corpus)
    half_a = half_of(corpus, 0, "a")
    rng = random.Random(seed)
    questions = read_jsonl(DEV / "questions.jsonl")
    names = {f: [q["answers_it"][0] for q in questions if folds[str(q["paragraph_id"])] == f] for f in (1, 2)}
    names = {
        f: [a for a in ns if _NAME_ANSWER.fullmatch(a) and not _PURE_NUMBER.fullmatch(a)] for f, ns in names.items()
    }
    claims: list[dict[str, Any]] = []
    for fold in (0, 1, 2):
        qs = [q for q in questions if folds[str(q["paragraph_id"])] == fold]
        rng.shuffle(qs)
        for q in qs[:per_fold]:
            pid = str(q["paragraph_id"])
            off, answer = q["answer_spans_it"][0]
            text = paragraphs[pid]
            span = next(((a, b) for a, b in split_sentences(text) if a <= off < b), None)
            if span is None or text[off : off + len(answer)] != answer:
                continue
            group = "A" if (fold == 1 or fold == 0 and titles[pid] in half_a) else "B"
            base = {"qid": q["id"], "paragraph": canon.get(pid, pid), "answer_at": off, "group": group}
            sentence = text[span[0] : span[1]]
            forms = {"sentence": (sentence, off - span[0])}
            for lang in ("it", "en"):
                if q.get(f"question_{lang}"):
                    forms[f"question_{lang}"] = (statement(q[f"question_{lang}"], answer), None)
            new = swap(answer, names[2 if fold == 1 else 1], rng) if fold else None
            for form, (claim, at) in forms.items():
                if fold == 0:
                    claims.append({**base, "form": form, "claim": claim, "label": "not_found"})
                    continue
                claims.append({**base, "form": form, "claim": claim, "label": "supported"})
                if new is not None:
                    swapped = (
                        claim[:at] + new + claim[at + len(answer) :] if at is not None else claim[: -len(answer)] + new
                    )
                    claims.append(
                        {**base, "form": form, "claim": swapped, "label": "conflicts", "swapped": [answer, new]}
                    )
    return claims


def collect(claims: list[dict[str, Any]], out: Path) -> Rows:
    from rag.engine import Engine
    from rag.eval.folds import other_folds_corpus
    from rag.eval.retrieval import unanswerable_index_settings
    from rag.settings import load_settings

    settings = load_settings()
    corpus = other_folds_corpus(DEV / "corpus.jsonl", 0, settings.index.home)
    rows: Rows = []
    started = time.monotonic()
    with Engine(unanswerable_index_settings(settings, corpus)) as engine, out.open("w", encoding="utf-8") as fh:
        engine.ingest([corpus])
        for k, c in enumerate(claims):
            if k % 250 == 0:
                print(f"claims {k}/{len(claims)} ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
            docs, comparisons = engine.cite_candidates(c["claim"])
            cands = []
            for d, cmp in zip(docs, comparisons, strict=True):
                gold = d.meta["article_id"] == c["paragraph"] and d.meta["start"] <= c["answer_at"] < d.meta["end"]
                cands.append(
                    {"gold": gold, "features": cmp.features, "conflict": cmp.conflict, "retrieval": float(d.score or 0)}
                )
            row = {**c, "candidates": cands}
            rows.append(row)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return rows


def _xy(rows: Rows) -> tuple[list[list[float]], list[int]]:
    x, y = [], []
    for r in rows:
        for cand in r["candidates"]:
            x.append([float(cand["features"][f]) for f in FEATURES])
            y.append(VERDICTS.index(r["label"]) if cand["gold"] and r["label"] != "not_found" else 2)
    return x, y


def fit(rows: Rows) -> VerdictModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, y = _xy(rows)
    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    coef = [list(lr.coef_[list(lr.classes_).index(i)]) for i in range(len(VERDICTS))]
    intercept = [float(lr.intercept_[list(lr.classes_).index(i)]) for i in range(len(VERDICTS))]
    return VerdictModel(
        tuple(scaler.mean_), tuple(s or 1.0 for s in scaler.scale_), tuple(map(tuple, coef)), tuple(intercept), {}
    )


def predict(model: VerdictModel, row: dict[str, Any]) -> tuple[str, float, bool]:
    """The lookup's verdict, its probability, and whether its first citation is the gold sentence."""
    if not row["candidates"]:
        return "not_found", 1.0, False
    probs = [model.probabilities(c["features"]) for c in row["candidates"]]
    best = max(range(len(probs)), key=lambda i: 1 - probs[i]["not_found"])
    verdict = max(VERDICTS, key=lambda v: probs[best][v])
    return verdict, probs[best][verdict], bool(row["candidates"][best]["gold"])


def score(pairs: list[tuple[dict[str, Any], tuple[str, float, bool]]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(pairs)}
    for v in VERDICTS:
        said = [(r, p) for r, p in pairs if p[0] == v]
        truth = [(r, p) for r, p in pairs if r["label"] == v]
        right = [(r, p) for r, p in said if r["label"] == v and (v == "not_found" or p[2])]
        out[v] = {
            "n": len(truth),
            "said": len(said),
            "precision": round(len(right) / len(said), 3) if said else None,
            "recall": round(len(right) / len(truth), 3) if truth else None,
        }
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(10)]
    for r, (v, p, gold) in pairs:
        bins[min(int(p * 10), 9)].append((p, r["label"] == v and (v == "not_found" or gold)))
    ece = sum(abs(sum(p for p, _ in b) / len(b) - sum(ok for _, ok in b) / len(b)) * len(b) for b in bins if b)
    out["ece"] = round(ece / max(len(pairs), 1), 4)
    out["reliability"] = [
        {"bin": f"{i / 10:.1f}-{(i + 1) / 10:.1f}", "n": len(b), "right": round(sum(ok for _, ok in b) / len(b), 3)}
        for i, b in enumerate(bins)
        if b
    ]
    out["accuracy"] = round(sum(r["label"] == p[0] and (p[0] == "not_found" or p[2]) for r, p in pairs) / len(pairs), 3)
    return out


def twins(models: dict[str, VerdictModel], rows: Rows) -> dict[str, Any]:
    """A true claim against its false twin (answer swapped), where both found the gold sentence: how
    often the false one scores at least as high on it, by the retriever's score (the lookup before
    verdicts) and by the held-out model's probability that the sentence supports the claim."""
    true = {(r["qid"], r["form"]): r for r in rows if r["label"] == "supported"}
    out: dict[str, Any] = {}
    for form in ("sentence", "question_it", "question_en"):
        n = old = new = 0
        for r in rows:
            t = true.get((r["qid"], r["form"]))
            if r["label"] != "conflicts" or r["form"] != form or t is None:
                continue
            fg = next((c for c in r["candidates"] if c["gold"]), None)
            tg = next((c for c in t["candidates"] if c["gold"]), None)
            if fg is None or tg is None:
                continue
            model = models[r["group"]]
            n += 1
            old += fg["retrieval"] >= tg["retrieval"]
            new += model.probabilities(fg["features"])["supported"] >= model.probabilities(tg["features"])["supported"]
        out[form] = {
            "pairs": n,
            "false_ge_true_retrieval": round(old / n, 3),
            "false_ge_true_verdict": round(new / n, 3),
        }
    return out


def _swap_kind(value: str) -> str:
    return "name" if not any(v.kind != "name" for v in values(value)) else "number_or_date"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-fold", type=int, default=500, help="questions sampled per fold")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", type=Path, default=ROOT / "runs" / "verdict-rows.jsonl")
    ap.add_argument("--reuse", action="store_true", help="re-fit on --rows without looking the claims up again")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    ap.add_argument("--report", type=Path, default=ROOT / "runs" / "verdict-report.json")
    args = ap.parse_args()
    if args.reuse:
        rows = [json.loads(line) for line in args.rows.open(encoding="utf-8")]
    else:
        args.rows.parent.mkdir(parents=True, exist_ok=True)
        rows = collect(make_claims(args.per_fold, args.seed), args.rows)
    pairs = []
    for train, test in (("A", "B"), ("B", "A")):
        model = fit([r for r in rows if r["group"] == train])
        pairs += [(r, predict(model, r)) for r in rows if r["group"] == test]
    report: dict[str, Any] = {"cross_fitted": score(pairs)}
    for form in ("sentence", "question_it", "question_en"):
        report[form] = score([(r, p) for r, p in pairs if r["form"] == form])
    for form in ("sentence", "question_it", "question_en"):  # conflicts found, by what was swapped
        for kind in ("number_or_date", "name"):
            got = [
                (r, p)
                for r, p in pairs
                if r["form"] == form and r["label"] == "conflicts" and _swap_kind(r["swapped"][1]) == kind
            ]
            report[form][f"conflicts_recall_{kind}"] = {
                "n": len(got),
                "recall": round(sum(p[0] == "conflicts" and p[2] for _, p in got) / len(got), 3) if got else None,
            }
    report["twins"] = twins(pairs_models := {g: fit([r for r in rows if r["group"] != g]) for g in ("A", "B")}, rows)
    del pairs_models
    model = fit(rows)
    report["how"] = (
        f"scripts/fit_verdict.py --per-fold {args.per_fold} --seed {args.seed}: claims from DEV "
        "(supported: gold sentence / question as statement IT, EN; conflicts: answer swapped; not found: "
        "fold 0 claims against an index of folds 1-2); cross-fitted over two article groups"
    )
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    shipped = VerdictModel(
        model.mean,
        model.scale,
        model.coef,
        model.intercept,
        {
            "how": report["how"],
            **{"cross_fitted": {k: v for k, v in report["cross_fitted"].items() if k != "reliability"}},
        },
    )
    args.out.write_text(json.dumps(shipped.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "how"}, indent=1))


if __name__ == "__main__":
    main()
