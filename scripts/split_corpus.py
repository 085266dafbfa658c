"""Write half of a SQuAD-it corpus, split by article title, for abstention tests.

Titles sorted by code point; ``--half even`` keeps titles at even positions, ``--half odd`` the
others. Questions about the left-out half are unanswerable over the written corpus. The
abstention thresholds were calibrated with the even half indexed; evaluate with the odd half.

    .venv/bin/python scripts/split_corpus.py --half odd ../shared/eval/squad_it/corpus.jsonl > /tmp/corpus_odd.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--half", choices=["even", "odd"], required=True)
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    titles = sorted({r["title"] for r in rows})
    keep = {t for i, t in enumerate(titles) if i % 2 == (0 if args.half == "even" else 1)}
    for r in rows:
        if r["title"] in keep:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
