"""Measure chunk size / overlap on SQuAD-it DEV: retrieval quality and ingest cost per setting.

Every setting gets its own eval index (the index name derives from the chunking settings), so
runs never mix vectors. Prints a Markdown table for BENCHMARKS.md and writes the raw reports as
JSON. Usage:

    .venv/bin/python scripts/sweep_chunking.py [--settings 2:0,3:1,4:1,6:2] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.eval.retrieval import run_eval
from rag.settings import load_settings

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "squad_it"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus.jsonl")
    ap.add_argument("--questions", type=Path, default=SHARED / "questions.jsonl")
    ap.add_argument("--settings", default="2:0,2:1,3:1,4:1,5:2,6:2,8:2", help="sentences:overlap,...")
    ap.add_argument("--out", type=Path, default=Path("sweep_chunking.json"))
    args = ap.parse_args()
    rows = []
    for item in args.settings.split(","):
        size, overlap = (int(x) for x in item.split(":"))
        settings = load_settings(chunking={"sentences": size, "overlap": overlap})
        report = run_eval(settings, args.corpus, args.questions, langs=["it", "en"], peers=False)
        rows.append({"sentences": size, "overlap": overlap, "report": report})
        args.out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(table(rows), flush=True)


def table(rows: list[dict]) -> str:
    metrics = " | ".join(f"{lang} {m}" for lang in ("IT", "EN") for m in ("R@1", "R@5", "MRR@10", "sent@3"))
    head = f"| sentences:overlap | chunks | ingest s (0 = reused) | {metrics} |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        rep = r["report"]
        it, en = (rep["languages"][lang]["systems"]["ours"] for lang in ("it", "en"))
        lines.append(
            f"| {r['sentences']}:{r['overlap']} | {rep['index_counts']['chunk']} | {rep['timings']['ingest_s']:.0f} | "
            + " | ".join(f"{m[k]:.3f}" for m in (it, en) for k in ("R@1", "R@5", "MRR@10", "sentence_hit@3"))
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
