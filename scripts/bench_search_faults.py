"""New questions vs the same question again on one index: search latency and page faults per search.

Shows what is read from disk per search (major page faults) and how much a question already seen
(its pages in memory) costs, in the same process and run. Used to measure ``EdgeStore.prefetch``
and the payload placement (drop the page cache before each run: echo 3 > /proc/sys/vm/drop_caches).

    .venv/bin/python scripts/bench_search_faults.py --index /tmp/bench_scale/edge-100k-default --n 180
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from bench_search_scale import SHARED, base_settings, load_queries  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--n", type=int, default=180, help="questions (each asked twice in a row)")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument(
        "--payload", choices=["cached", "cold"], default="cached", help="payload placement to open the index with"
    )
    ap.add_argument("--prefetch", action="store_true", help="read the index files first (EdgeStore.prefetch)")
    args = ap.parse_args()
    if args.payload == "cold":  # Qdrant's default placement, which the project used before
        import qdrant_edge as qe

        import rag.store.edge as edge

        made = edge._edge_config

        def cold(dim: int) -> qe.EdgeConfig:
            c = made(dim)
            return qe.EdgeConfig(
                vectors=c.vectors,
                sparse_vectors=c.sparse_vectors,
                optimizers=c.optimizers,
                payload_memory=qe.Memory.Cold,
                wal_enabled=True,
            )

        edge._edge_config = cold
    from rag.engine import Engine
    from rag.settings import Settings

    data = base_settings().model_dump()
    data["index"]["path"] = args.index
    qs = [q for _, q in load_queries(SHARED / "questions.jsonl", 2 * (args.n + args.warmup), 11)][args.n :]
    first, again, major, minor = [], [], [], []
    t = time.perf_counter()
    with Engine(Settings(**data)) as engine:
        opened = time.perf_counter() - t
        engine.warm_up()
        prefetched = engine.store.prefetch() if args.prefetch else 0
        for q in qs[: args.warmup]:
            engine.search(q)
        for q in qs[args.warmup : args.warmup + args.n]:
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            engine.search(q)
            first.append(1000 * (time.perf_counter() - t0))
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            major.append(r1.ru_majflt - r0.ru_majflt)
            minor.append(r1.ru_minflt - r0.ru_minflt)
            t0 = time.perf_counter()
            engine.search(q)
            again.append(1000 * (time.perf_counter() - t0))
        backend = engine.settings.embedding.backend
    print(
        json.dumps(
            {
                "index": str(args.index),
                "payload": args.payload,
                "prefetched_mb": round(prefetched / 2**20),
                "query_backend": backend,
                "open_s": round(opened, 2),
                "questions": len(first),
                "new_question_p50_ms": round(statistics.median(first), 1),
                "same_question_again_p50_ms": round(statistics.median(again), 1),
                "major_faults_per_search": round(statistics.fmean(major), 1),
                "minor_faults_per_search": round(statistics.fmean(minor), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
