"""The local LLM as a chooser among the reader's spans (issue 27's cheaper lever), measured on DEV.

    .venv/bin/python scripts/fit_span_ranker.py --fold 0 --out runs/spans-f0.json   # the reader's spans
    .venv/bin/python scripts/llm_chooser.py --records runs/spans-f0.json --out runs/chooser-f0.json

For each question of the records (the reader's held-out fold, gold paragraph): the reader's distinct
top spans in the sentence it would cite, as numbered options; the packaged local LLM, in its own
process as answers use it, reads question, sentence and options and writes one token, which a grammar
holds to the option numbers; that token's top log-probabilities give each option's probability.
Two features join the span ranker's: ``llm`` (the option's probability) and ``llm_top`` (1 for the
LLM's pick). The ranker with and without them is cross-fitted on the fold's halves exactly as
scripts/fit_span_ranker.py does (fitted on one half, scored on the other, both ways), beside the
reader's own best span, the LLM's pick alone and the oracle; EM/F1 per language (SQuAD
normalisation), and the chooser's time per question. Adopt it only where it wins (``adopt``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import fit_span_ranker as fsr  # noqa: E402

from rag.answer import prompts  # noqa: E402
from rag.answer.span_ranker import FEATURES  # noqa: E402

CHOOSER_FEATURES = (*FEATURES, "llm", "llm_top")
MAX_OPTIONS = 8


def options_of(row: dict[str, Any]) -> list[str]:
    """The row's distinct span texts, the reader's order (at most :data:`MAX_OPTIONS`)."""
    return list(dict.fromkeys(c["text"].strip() for c in row["spans"]))[:MAX_OPTIONS]


def choose(client: Any, url: str, row: dict[str, Any]) -> dict[str, float]:
    """Each option's probability (renormalised over the option numbers among the top log-probs)."""
    options = options_of(row)
    if len(options) == 1:
        return {options[0]: 1.0}
    body = {
        "prompt": prompts.chooser_prompt(row["question"], row["sentence"], options),
        "max_tokens": 1,
        "temperature": 0.0,
        "logprobs": 20,
        "grammar": prompts.chooser_grammar(len(options)),
    }
    resp = client.post(url, json=body)
    resp.raise_for_status()
    choice = resp.json()["choices"][0]
    top = (choice.get("logprobs") or {}).get("top_logprobs") or [{}]
    probs = {k.strip(): math.exp(v) for k, v in top[0].items() if k.strip().isdigit()}
    picked = choice["text"].strip()
    if picked.isdigit() and picked not in probs:
        probs[picked] = 1.0
    mass = {o: probs.get(str(i), 0.0) for i, o in enumerate(options, 1)}
    total = sum(mass.values()) or 1.0
    return {o: p / total for o, p in mass.items()}


def with_llm(rows: list[dict[str, Any]], probs: list[dict[str, float]]) -> list[dict[str, Any]]:
    out = []
    for row, p in zip(rows, probs, strict=True):
        best = max(p, key=p.__getitem__)
        spans = []
        for c in row["spans"]:
            f = dict(c["f"])
            f["llm"] = p.get(c["text"].strip(), 0.0)
            f["llm_top"] = float(c["text"].strip() == best)
            spans.append(c | {"f": f})
        out.append(row | {"spans": spans})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=Path, required=True, help="scripts/fit_span_ranker.py's --out")
    ap.add_argument("--limit", type=int, default=0, help="questions per language, spread over the fold (0: all)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    import httpx

    from rag.answer.generators import warm_messages
    from rag.llm.supervisor import make_local
    from rag.settings import load_settings

    rows = [r for r in json.loads(args.records.read_text())["rows"] if "question" in r]
    if args.limit:  # every k-th question: both halves of the fold, all its articles
        by_lang = [[x for x in rows if x["lang"] == lang] for lang in ("it", "en")]
        rows = [r for rs in by_lang for r in rs[:: max(1, len(rs) // args.limit)][: args.limit]]
    local = make_local(load_settings(), warm_messages)
    local.start()
    local.ensure_ready()
    probs, seconds = [], []
    try:
        with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {local.api_key}"}) as client:
            for k, row in enumerate(rows):
                if k % 50 == 0:
                    print(f"{k}/{len(rows)}", file=sys.stderr, flush=True)
                t = time.perf_counter()
                probs.append(choose(client, f"{local.base_url}/completions", row))
                seconds.append(time.perf_counter() - t)
    finally:
        local.close()
    rows = with_llm(rows, probs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"probs": probs, "seconds": seconds}, ensure_ascii=False))  # kept if fits fail
    base = fsr.report(rows)
    fsr.FEATURES = CHOOSER_FEATURES  # type: ignore[assignment]  # the same cross-fit, two more features
    both = fsr.report(rows)
    llm_alone = fsr.score(rows, [max(r["spans"], key=lambda c: (c["f"]["llm"], -r["spans"].index(c))) for r in rows])
    ranked, chosen = base["span_ranker"], both["span_ranker"]
    gains = [chosen[x]["f1"] - ranked[x]["f1"] for x in ranked]
    out = {
        "questions": len(rows),
        "reader_best_span": base["reader_best_span"],
        "span_ranker": ranked,
        "span_ranker_with_llm": chosen,
        "llm_alone": llm_alone,
        "oracle_top_spans": base["oracle_top_spans"],
        "chooser_ms": {
            "p50": round(1000 * statistics.median(seconds), 1),
            "p95": round(1000 * sorted(seconds)[int(0.95 * len(seconds))], 1),
        },
        "adopt": sum(gains) / len(gains) > 0 and min(gains) >= -0.5,
        "shipped": both["shipped"] | {"features": list(CHOOSER_FEATURES)},
    }
    print(json.dumps({k: v for k, v in out.items() if k != "shipped"}, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out | {"probs": probs}, ensure_ascii=False))


if __name__ == "__main__":
    main()
