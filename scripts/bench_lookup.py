"""Citation lookup's latency with the verdict against the lookup without it, in the same run.

    .venv/bin/python scripts/bench_lookup.py [--claims 300]

Claims: the verdict fit's claims (scripts/fit_verdict.py, same seed), every form and class. The
index: fold 0's unanswerable index of DEV (rag eval's, built if missing). Per claim, alternately:
``before`` runs the cite pipeline for 5 sentences as the lookup did before verdicts; ``after`` runs
``Engine.lookup`` (8 candidates retrieved and judged, 5 shown). p50/p95 in ms and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=300)
    args = ap.parse_args()
    from fit_verdict import DEV, make_claims

    from rag.engine import Engine
    from rag.eval.folds import other_folds_corpus
    from rag.eval.retrieval import unanswerable_index_settings
    from rag.search.pipeline import query_inputs
    from rag.settings import load_settings

    settings = load_settings()
    corpus = other_folds_corpus(DEV / "corpus.jsonl", 0, settings.index.home)
    every = make_claims(500, 0)
    claims = every[:: max(1, len(every) // args.claims)][: args.claims]
    times: dict[str, list[float]] = {"before": [], "after": []}
    with Engine(unanswerable_index_settings(settings, corpus)) as engine:
        engine.ingest([corpus])
        engine.lookup("warm up")
        for k, c in enumerate(claims):
            if k % 100 == 0:
                print(f"{k}/{len(claims)}", file=sys.stderr, flush=True)
            for name in ("before", "after") if k % 2 else ("after", "before"):
                t = time.perf_counter()
                if name == "before":
                    inputs = query_inputs(c["claim"])
                    inputs["retriever"] = {"filters": None, "top_k": 5}
                    engine.cite_pipeline.run(inputs)
                else:
                    engine.lookup(c["claim"], top_k=5)
                times[name].append(1000 * (time.perf_counter() - t))
    out = {}
    for name, ts in times.items():
        ts.sort()
        out[name] = {"p50_ms": round(statistics.median(ts), 1), "p95_ms": round(ts[int(0.95 * len(ts))], 1)}
    out["ratio_p50"] = round(out["after"]["p50_ms"] / out["before"]["p50_ms"], 2)
    out["claims"] = len(claims)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
