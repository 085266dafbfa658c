"""How fast the archive vocabulary saturates: new words per article as articles are added, counted
with the same ``vocabulary_words`` that ingest uses, and Heaps' law (V = K * N^beta over N running
words) fitted to the curve to extrapolate to archive sizes not at hand. Only the new words of an
article are embedded for the cross-lingual word leg, so this is that leg's cost per article.

    .venv/bin/python scripts/vocab_growth.py [--corpus ../shared/eval/squad_it/corpus.jsonl] [--ms-per-word 0.90]
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import numpy as np

from rag.text.terms import vocabulary_words

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "squad_it"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus.jsonl")
    ap.add_argument("--ms-per-word", type=float, default=0.90, help="measured cost of embedding one new word")
    ap.add_argument("--sizes", default="150,300,10000,100000,1000000", help="archive sizes (articles) to report")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(args.seed).shuffle(rows)
    seen: set[str] = set()
    running = 0
    curve = []
    for row in rows:
        text = str(row["text"])
        running += len(text.split())
        seen |= vocabulary_words(text)
        curve.append((running, len(seen)))
    words_per_article = running / len(rows)
    tail = curve[min(50, len(curve) // 4) :]
    beta, log_k = np.polyfit(np.log([n for n, _ in tail]), np.log([v for _, v in tail]), 1)
    k = math.exp(log_k)
    print(f"{len(rows)} articles, {words_per_article:.0f} words each, {len(seen):,} distinct words")
    print(f"Heaps' law fitted: V = {k:.2f} * N^{beta:.3f}")
    print("| articles | source | vocabulary | new words per article | word embedding ms per article |")
    print("|---|---|---|---|---|")
    for n in (int(x) for x in args.sizes.split(",")):
        if n <= len(rows):
            window = min(50, n - 1)
            new = (curve[n - 1][1] - curve[n - 1 - window][1]) / window
            vocab, source = curve[n - 1][1], "measured"
        else:
            total = n * words_per_article
            new = k * beta * total ** (beta - 1) * words_per_article
            vocab, source = round(k * total**beta), "extrapolated"
        print(f"| {n:,} | {source} | {vocab:,} | {new:.1f} | {new * args.ms_per_word:.1f} |")


if __name__ == "__main__":
    main()
