"""Search latency, disk and RAM at archive scale (2k .. 1M chunks), and HNSW recall@10 vs exact search.

What is timed is what ``Engine.search`` does, in-process and warm: query language + dense query
embedding + (cross-lingual) BM25 query vector, hybrid chunk retrieval (dense + BM25 fused in Qdrant,
plus the dense sentence leg) and evidence-sentence selection. The total is ``Engine.search`` itself;
the phases are the same pipeline components run one by one on the same query, and ``store`` is the
time spent inside the Qdrant store calls across all phases.

The large indexes are synthetic but made of real data (SQuAD-it DEV, ../shared/eval/squad_it):

* article ``n`` = one DEV paragraph (picked at random, seeded) with a new id, a random date in
  2015..2025, one of eight Italian sources, and its DEV title; it is split by the project's own
  ``ArticleSplitter`` (8 sentences, 2 overlap), so chunk/sentence/article payloads, spans and kinds
  are those of a real ingest and sentences per chunk stay DEV's (~4.4);
* BM25 sparse vectors: the project's ``Bm25Encoder`` on the real text (computed once per distinct
  text, identical to what ingest computes);
* dense vectors: the real e5-small embedding of the same DEV chunk/sentence (read from the DEV eval
  index that ``rag eval`` builds) plus Gaussian noise (``--sigma`` per dimension, default 0.015,
  renormalised): cosine ~0.96 to the real vector and ~0.92 between two copies, about what two
  neighbouring DEV paragraphs share (median nearest-neighbour cosine 0.91), so copies do not
  collapse into tight duplicate clusters;
* ``term`` points: DEV's real vocabulary (13.4k words, real vectors), written once.

Points go through ``NewsDocumentStore.write_documents`` -> ``EdgeStore.upsert``, then
``EdgeStore.optimize()`` as after a real ingest. Each size is built once under ``--out`` and
reused. Each size is measured in a fresh process (clean RSS). The peer is qdrant-client's local
mode (``:memory:``) through the project's ``ClientStore``, on the same points and queries.

    .venv/bin/python scripts/bench_search_scale.py --sizes 2k,100k,1m --peer-sizes 2k,20k
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval" / "squad_it"
SOURCES = (
    "ANSA",
    "Corriere della Sera",
    "la Repubblica",
    "Il Sole 24 Ore",
    "La Stampa",
    "Il Post",
    "Rai News",
    "Il Fatto Quotidiano",
)
#: HNSW/quantization variants: name -> (m, ef_construct, int8 scalar quantization).
VARIANTS: dict[str, tuple[int, int, bool]] = {
    "default": (16, 100, True),  # what rag/store/edge_requests.py uses: Qdrant's HNSW defaults, int8 + rescoring
    "fp32": (16, 100, False),  # no quantized copy (the default before issue 17)
    "m32": (32, 200, True),
}
ARTICLES_PER_BATCH = 1000


def parse_size(text: str) -> int:
    t = text.strip().lower()
    mult = 1_000_000 if t.endswith("m") else 1_000 if t.endswith("k") else 1
    return int(float(t.rstrip("mk")) * mult)


def size_label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def rss_mb() -> dict[str, float]:
    """Current RSS split as in /proc (anonymous heap vs mapped files, i.e. the index), and the peak."""
    out: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    out["ru_maxrss"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def du_mb(path: Path) -> float:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_blocks * 512
    return round(total / 2**20, 1)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))], 2)


# ---------------------------------------------------------------------------------------------
# Settings and the real DEV data
# ---------------------------------------------------------------------------------------------


def base_settings() -> Any:
    from rag.settings import load_settings

    return load_settings()


def dev_index_dir(corpus: Path) -> Path:
    from rag.eval.retrieval import eval_index_settings

    return Path(eval_index_settings(base_settings(), corpus).index_dir())


def dev_copy(out: Path, corpus: Path) -> Path:
    """A private copy of the DEV eval index (the original may be locked by a running `rag eval`)."""
    dst = out / "dev_src"
    if not (dst / "edge_config.json").exists():
        src = dev_index_dir(corpus)
        if not (src / "edge_config.json").exists():
            sys.exit(f"no DEV eval index at {src}: run `rag eval` once first (it builds it)")
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)
    return dst


class DevData:
    """DEV paragraphs, their real chunk/sentence/term vectors, keyed the way the splitter rebuilds them."""

    def __init__(self, out: Path, corpus: Path) -> None:
        from rag.eval.data import read_jsonl
        from rag.store.edge import EdgeStore

        self.rows = read_jsonl(corpus)
        src = dev_copy(out, corpus)
        self.vectors: dict[tuple[str, str, int], np.ndarray] = {}  # (kind, paragraph id, index)
        self.texts: dict[tuple[str, str, int], str] = {}
        self.terms: list[Any] = []
        with EdgeStore(src) as store:
            self.meta = store.get_meta() or {}
            for kind in ("chunk", "sentence", "term"):
                offset: str | None = None
                while True:
                    page, offset = store.scroll(kind, limit=1000, offset=offset)
                    vecs = store.dense_vectors([r.point_id for r in page])
                    for r in page:
                        v = np.asarray(vecs[r.point_id], dtype=np.float32)
                        if kind == "term":
                            self.terms.append((r, v))
                        else:
                            key = (kind, str(r.payload["article_id"]), int(r.payload["index"]))
                            self.vectors[key] = v
                            self.texts[key] = str(r.payload.get("text", ""))
                    if offset is None:
                        break


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------


def patch_edge_config(variant: str) -> None:
    """Make ``EdgeStore`` create/open its shard with a variant's HNSW/quantization config."""
    import qdrant_edge as qe

    import rag.store.edge as edge
    from rag.store.edge_requests import INT8

    m, ef, int8 = VARIANTS[variant]
    if variant == "default":
        return
    original: Callable[[int], qe.EdgeConfig] = edge._edge_config

    def config(dim: int) -> qe.EdgeConfig:
        base = original(dim)
        quant = INT8 if int8 else None
        return qe.EdgeConfig(
            vectors={
                name: qe.EdgeVectorParams(size=p.size, distance=p.distance, quantization_config=quant)
                for name, p in base.vectors.items()
            },
            sparse_vectors=base.sparse_vectors,
            hnsw_config=qe.HnswIndexConfig(m=m, ef_construct=ef, full_scan_threshold=10000),
            optimizers=base.optimizers,
            wal_enabled=True,
        )

    edge._edge_config = config


def synthetic_articles(dev: DevData, n_chunks: int, seed: int) -> Iterator[tuple[Any, str]]:
    """(Article, DEV paragraph id) until the split would hold ``n_chunks`` chunks."""
    from rag.models import Article

    rng = random.Random(seed)
    chunks_of: dict[str, int] = {}
    for kind, pid, _ in dev.vectors:
        if kind == "chunk":
            chunks_of[pid] = chunks_of.get(pid, 0) + 1
    rows = [r for r in dev.rows if str(r["id"]) in chunks_of]
    total = 0
    n = 0
    while total < n_chunks:
        row = rng.choice(rows)
        source = rng.choice(SOURCES)
        day = 16436 + rng.randrange(4018)  # 2015-01-01 .. 2025-12-31
        date = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        aid = f"syn{n:07d}"
        yield (
            Article(
                article_id=aid,
                text=str(row["text"]).strip(),
                title=str(row["title"]),
                date=date,
                source=source,
                url=f"https://example.org/{source.lower().replace(' ', '-')}/{aid}",
                language="it",
                origin=f"bench:squad_it_dev:{row['id']}",
            ),
            str(row["id"]),
        )
        total += chunks_of[str(row["id"])]
        n += 1


def write_points(store: Any, dev: DevData, n_chunks: int, sigma: float, seed: int, log: Callable[[str], None]) -> dict:
    """Write a synthetic archive of ``n_chunks`` chunks through the project's document store."""
    from haystack.dataclasses import SparseEmbedding

    from rag.ingest.splitter import ArticleSplitter
    from rag.store.base import PointData
    from rag.store.document_store import NewsDocumentStore
    from rag.text.bm25 import Bm25Encoder

    settings = base_settings()
    ch = settings.chunking
    splitter = ArticleSplitter(ch.sentences, ch.overlap, ch.max_chars)
    bm25 = Bm25Encoder(language=settings.retrieval.bm25_language)
    sparse_cache: dict[str, SparseEmbedding | None] = {}
    docs_store = NewsDocumentStore(store, settings)
    nprng = np.random.default_rng(seed)
    counts = {"article": 0, "chunk": 0, "sentence": 0, "term": 0}
    t_write = 0.0

    def put(points: list[Any]) -> None:
        nonlocal t_write
        t0 = time.perf_counter()
        store.upsert(points)
        t_write += time.perf_counter() - t0

    # the archive vocabulary (real DEV term points, as TermVocabulary + the term embedder wrote them)
    put([PointData(r.point_id, r.payload, v.tolist(), None) for r, v in dev.terms])
    counts["term"] = len(dev.terms)

    def flush_batch(batch: list[tuple[Any, str]]) -> None:
        out = splitter.run([a for a, _ in batch])
        template = {a.article_id: pid for a, pid in batch}
        docs = out["chunks"] + out["sentences"]
        base = np.stack([dev.vectors[(d.meta["kind"], template[d.meta["article_id"]], d.meta["index"])] for d in docs])
        noisy = base + sigma * nprng.standard_normal(base.shape, dtype=np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        embedded = []
        for d, v in zip(docs, noisy, strict=True):
            key = (d.meta["kind"], template[d.meta["article_id"]], d.meta["index"])
            text = d.content or ""
            if dev.texts[key] != text:
                raise RuntimeError(f"split of {key} differs from the DEV index: {text!r}")
            if text not in sparse_cache:
                idx, val = bm25.embed_documents([text])[0]
                sparse_cache[text] = SparseEmbedding(indices=idx, values=val) if idx else None
            embedded.append(replace(d, embedding=v.tolist(), sparse_embedding=sparse_cache[text]))
        t0 = time.perf_counter()
        docs_store.write_documents(embedded)  # chunks + sentences first, then the records (IndexWriter's order)
        docs_store.write_documents(out["articles"])
        nonlocal t_write
        t_write += time.perf_counter() - t0
        counts["chunk"] += len(out["chunks"])
        counts["sentence"] += len(out["sentences"])
        counts["article"] += len(out["articles"])

    batch: list[tuple[Any, str]] = []
    started = time.perf_counter()
    last = started
    for item in synthetic_articles(dev, n_chunks, seed):
        batch.append(item)
        if len(batch) >= ARTICLES_PER_BATCH:
            flush_batch(batch)
            batch = []
            if counts["article"] % (50 * ARTICLES_PER_BATCH) == 0:
                store.flush()
            if time.perf_counter() - last > 30:
                last = time.perf_counter()
                log(f"  {counts['chunk']:,} chunks, {counts['sentence']:,} sentences, {last - started:.0f} s")
    if batch:
        flush_batch(batch)
    store.flush()
    return {
        "counts": counts,
        "generate_and_upsert_s": round(time.perf_counter() - started, 1),
        "upsert_s": round(t_write, 1),
    }


def index_dir(out: Path, n: int, variant: str) -> Path:
    return out / f"edge-{size_label(n)}-{variant}"


def build_edge(args: argparse.Namespace, n: int, variant: str) -> dict:
    from rag.store.edge import EdgeStore

    patch_edge_config(variant)
    path = index_dir(args.out, n, variant)
    done = path / "bench_build.json"
    if done.exists():
        return dict(json.loads(done.read_text()))
    shutil.rmtree(path, ignore_errors=True)
    report: dict[str, Any] = {"size": n, "variant": variant, "sigma": args.sigma, "seed": args.seed}
    base = index_dir(args.out, n, "default")
    if variant != "default" and (base / "bench_build.json").exists():
        # Same points: copy the default index and let Qdrant rebuild its segments for the new
        # HNSW/quantization config (the config-mismatch optimizer), instead of writing them again.
        shutil.copytree(base, path)
        (path / "bench_build.json").unlink()
        t0 = time.perf_counter()
        with EdgeStore(path) as store:
            store.optimize()
            report["optimize_s"] = round(time.perf_counter() - t0, 1)
            info = store._require().info()
            report.update(segments=info.segments_count, points=info.points_count)
            report["indexed_vectors"] = info.indexed_vectors_count
        default = json.loads((base / "bench_build.json").read_text())
        report.update(rebuilt_from="default", counts=default["counts"])
        report["generate_and_upsert_s"] = default["generate_and_upsert_s"]
        report["build_s"] = round(default["generate_and_upsert_s"] + report["optimize_s"], 1)
        report["disk_mb"] = du_mb(path)
        done.write_text(json.dumps(report, indent=2) + "\n")
        return report
    dev = DevData(args.out, args.corpus)
    log = print
    t0 = time.perf_counter()
    with EdgeStore(path) as store:
        store.ensure_collection(int(dev.meta["dim"]))
        meta = {k: v for k, v in dev.meta.items() if k != "pending"}
        store.set_meta({**meta, "bench": {"synthetic_from": "squad_it DEV", **report}})
        report.update(write_points(store, dev, n, args.sigma, args.seed, log))
        log(f"  upserted in {report['generate_and_upsert_s']} s; optimizing (HNSW) ...")
        t1 = time.perf_counter()
        store.optimize()
        report["optimize_s"] = round(time.perf_counter() - t1, 1)
        report["build_s"] = round(time.perf_counter() - t0, 1)
        info = store._require().info()
        report["segments"] = info.segments_count
        report["points"] = info.points_count
        report["indexed_vectors"] = info.indexed_vectors_count
    report["build_peak_rss_mb"] = rss_mb()["ru_maxrss"]
    report["disk_mb"] = du_mb(path)
    done.write_text(json.dumps(report, indent=2) + "\n")
    return report


# ---------------------------------------------------------------------------------------------
# Measure
# ---------------------------------------------------------------------------------------------


def load_queries(path: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` DEV questions, half Italian and half English (the English ones of other questions)."""
    from rag.eval.data import load_questions

    rng = random.Random(seed)
    it = load_questions(path, "it")
    en = load_questions(path, "en")
    rng.shuffle(it)
    rng.shuffle(en)
    out: list[tuple[str, str]] = []
    for a, b in zip(it, en, strict=False):
        out += [("it", a.text), ("en", b.text)]
        if len(out) >= n:
            break
    return out[:n]


class StoreTimer:
    """Accumulates the time spent inside the store's read calls (all phases)."""

    def __init__(self, store: Any) -> None:
        self.seconds = 0.0
        for name in ("_run_plans", "retrieve", "dense_vectors", "scroll"):
            setattr(store, name, self._wrap(getattr(store, name)))

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed


def measure_engine(engine: Any, queries: list[tuple[str, str]], warmup: int) -> dict:
    """Engine.search latency (total) and, on the same queries, the phases one by one."""
    rss_open = rss_mb()
    p = engine.search_pipeline
    language, dense, bm25 = p.get_component("language"), p.get_component("dense"), p.get_component("bm25")
    retriever, evidence = p.get_component("retriever"), p.get_component("evidence")
    top_k = engine.settings.retrieval.top_k
    for _, q in queries[:warmup]:
        engine.search(q)
    timer = StoreTimer(engine.store)
    rows: list[dict[str, Any]] = []
    for lang, q in queries:
        t0 = time.perf_counter()
        res = engine.search(q)
        total = time.perf_counter() - t0
        timer.seconds = 0.0
        t0 = time.perf_counter()
        detected = language.run(q)["language"]
        emb = dense.run(q)["embedding"]
        t2 = time.perf_counter()
        sparse = bm25.run(q, detected)["sparse_embedding"]
        t3 = time.perf_counter()
        store_embed = timer.seconds
        docs = retriever.run(query_embedding=emb, sparse_embedding=sparse, language=detected, top_k=top_k)
        t4 = time.perf_counter()
        evidence.run(documents=docs["documents"], query_embedding=emb, sparse_embedding=sparse, language=detected)
        t5 = time.perf_counter()
        rows.append(
            {
                "lang": lang,
                "detected": detected,
                "total_ms": 1000 * total,
                "phases_sum_ms": 1000 * (t5 - t0),
                "embed_ms": 1000 * (t2 - t0),  # language detection + e5 query embedding
                "bm25_query_ms": 1000 * (t3 - t2),  # BM25 vector; foreign queries: term lookups in the store
                "retrieve_ms": 1000 * (t4 - t3),
                "evidence_ms": 1000 * (t5 - t4),
                "store_ms": 1000 * timer.seconds,
                "store_in_bm25_query_ms": 1000 * store_embed,
                "hits": len(res.hits),
                "evidence": len(res.evidence),
            }
        )
    fields = [k for k in rows[0] if k.endswith("_ms")]
    summary: dict[str, Any] = {"n_queries": len(rows), "warmup": warmup}
    for scope, sel in (
        ("all", rows),
        ("it", [r for r in rows if r["lang"] == "it"]),
        ("en", [r for r in rows if r["lang"] == "en"]),
    ):
        summary[scope] = {f: {"p50": pct([r[f] for r in sel], 50), "p95": pct([r[f] for r in sel], 95)} for f in fields}
        summary[scope]["mean_total_ms"] = round(statistics.fmean(r["total_ms"] for r in sel), 2) if sel else None
    summary["hits_per_query"] = round(statistics.fmean(r["hits"] for r in rows), 2)
    summary["rss_after_open_mb"] = rss_open
    summary["rss_after_queries_mb"] = rss_mb()
    return summary


def recall(store: Any, qvecs: np.ndarray, kinds: tuple[str, ...], efs: list[int | None], k: int = 10) -> dict:
    """recall@k of HNSW (at each hnsw_ef; None = Qdrant's default) against exact search, kind-filtered
    exactly as the retriever's dense legs are, plus the latency of one such dense query. On an index
    with a quantized copy, the candidates are rescored as the store does (``dense_params``)."""
    import qdrant_edge as qe

    from rag.store.base import DENSE_VECTOR, filter_spec
    from rag.store.edge import to_edge_filter
    from rag.store.edge_requests import dense_params

    shard = store._require()
    out: dict[str, Any] = {}
    for kind in kinds:
        flt = to_edge_filter(filter_spec(kind, None))

        def run(v: np.ndarray, params: Any, flt: Any = flt) -> tuple[list[str], float]:
            req = qe.QueryRequest(
                limit=k,
                query=qe.Query.Nearest([float(x) for x in v], using=DENSE_VECTOR),
                filter=flt,
                params=params,
                with_payload=False,
                with_vector=False,
            )
            t0 = time.perf_counter()
            hits = shard.query(req)
            return [str(h.id) for h in hits], 1000 * (time.perf_counter() - t0)

        truth, exact_ms = zip(*(run(v, qe.SearchParams(exact=True)) for v in qvecs), strict=True)
        res: dict[str, Any] = {"exact": {"ms_p50": pct(list(exact_ms), 50)}}
        for ef in efs:
            got, ms = zip(*(run(v, dense_params(ef)) for v in qvecs), strict=True)
            r = [len(set(g) & set(t)) / max(len(t), 1) for g, t in zip(got, truth, strict=True)]
            res[f"ef={ef or 'default'}"] = {
                "recall@10": round(statistics.fmean(r), 4),
                "min": round(min(r), 2),
                "ms_p50": pct(list(ms), 50),
                "ms_p95": pct(list(ms), 95),
            }
        out[kind] = res
    return out


def embed_questions(engine: Any, queries: list[tuple[str, str]]) -> np.ndarray:
    dense = engine.search_pipeline.get_component("dense")
    return np.asarray([dense.run(q)["embedding"] for _, q in queries], dtype=np.float32)


def set_query_backend(path: Path, settings: Any, backend: str) -> None:
    """Record ``backend`` as the index's encoder so queries are embedded with it. The synthetic vectors
    (real fp32 vectors + noise at cosine .96) stand for any backend's: bf16 vectors are .99999 from fp32."""
    from rag.store.factory import open_store

    store = open_store(settings)
    try:
        meta = store.get_meta() or {}
        meta.setdefault("settings", {})["embedding.backend"] = backend
        store.set_meta(meta)
    finally:
        store.close()


def measure_edge(args: argparse.Namespace, n: int, variant: str) -> dict:
    from rag.engine import Engine

    patch_edge_config(variant)
    path = index_dir(args.out, n, variant)
    data = base_settings().model_dump()
    data["index"]["path"] = path
    from rag.settings import Settings

    settings = Settings(**data)
    if args.query_backend:
        set_query_backend(path, settings, args.query_backend)
    queries = load_queries(args.questions, args.queries, args.seed)
    report: dict[str, Any] = {"size": n, "variant": variant, "backend": "qdrant-edge"}
    report["query_backend"] = args.query_backend or "as built"
    report["build"] = json.loads((path / "bench_build.json").read_text())
    report["disk_mb"] = du_mb(path)
    report["rss_before_open_mb"] = rss_mb()
    t0 = time.perf_counter()
    with Engine(settings) as engine:
        report["open_s"] = round(time.perf_counter() - t0, 2)
        engine.warm_up()
        report["prefetched_mb"] = round(engine.store.prefetch() / 2**20) if args.prefetch else 0
        report["latency"] = measure_engine(engine, queries, args.warmup)
        if variant in args.recall_variants and n in args.recall_sizes:
            rq = load_queries(args.questions, args.recall_queries, args.seed + 1)
            report["recall"] = recall(engine.store, embed_questions(engine, rq), ("chunk", "sentence"), args.efs)
            report["recall_queries"] = len(rq)
    return report


def measure_peer(args: argparse.Namespace, n: int) -> dict:
    """qdrant-client local mode (``:memory:``), the same points written through ``ClientStore``."""
    from rag.engine import Engine
    from rag.store.client import ClientStore

    dev = DevData(args.out, args.corpus)
    store = ClientStore(":memory:", "bench")
    store.ensure_collection(int(dev.meta["dim"]))
    store.set_meta({k: v for k, v in dev.meta.items() if k != "pending"})
    report: dict[str, Any] = {"size": n, "variant": "default", "backend": "qdrant-client :memory:"}
    t0 = time.perf_counter()
    report["build"] = write_points(store, dev, n, args.sigma, args.seed, print)
    report["build"]["build_s"] = round(time.perf_counter() - t0, 1)
    report["build"]["points"] = store.count()
    report["disk_mb"] = 0.0
    del dev
    queries = load_queries(args.questions, args.peer_queries, args.seed)
    with Engine(base_settings(), store=store) as engine:
        engine.warm_up()
        report["prefetched_mb"] = round(engine.store.prefetch() / 2**20) if args.prefetch else 0
        report["latency"] = measure_engine(engine, queries, args.warmup)
    return report


# ---------------------------------------------------------------------------------------------
# Driver: one fresh process per build and per measurement
# ---------------------------------------------------------------------------------------------


def run_worker(args: argparse.Namespace, job: str, n: int, variant: str) -> dict:
    result = args.out / f"result-{job}-{size_label(n)}-{variant}.json"
    cmd = [sys.executable, __file__, "--worker", job, "--worker-size", str(n), "--worker-variant", variant]
    cmd += [a for a in sys.argv[1:] if a != "--keep"]
    print(f"[{time.strftime('%H:%M:%S')}] {job} {size_label(n)} {variant} ...", flush=True)
    subprocess.run(cmd, check=True)
    return dict(json.loads(result.read_text()))


def table(results: list[dict]) -> str:
    head = (
        "| backend | size (chunks) | points | build s (upsert + HNSW) | disk MB | RSS MB (anon + file) "
        "| total p50 / p95 ms | embed p50 | bm25 q p50 | retrieve p50 | evidence p50 | store p50 "
        "| IT p50 | EN p50 |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in results:
        lat, b = r["latency"], r["build"]
        a = lat["all"]
        rss = lat["rss_after_queries_mb"]
        upsert = b.get("generate_and_upsert_s", b.get("build_s", "?"))
        build = f"{b.get('build_s', '?')} ({upsert} + {b.get('optimize_s', 0)})"
        lines.append(
            f"| {r['backend']}{'' if r['variant'] == 'default' else ' ' + r['variant']} | {size_label(r['size'])} "
            f"| {b.get('points', '?'):,} | {build} | {r['disk_mb']:,} "
            f"| {rss['VmRSS']:,} ({rss['RssAnon']:,} + {rss['RssFile']:,}) "
            f"| {a['total_ms']['p50']} / {a['total_ms']['p95']} | {a['embed_ms']['p50']} | {a['bm25_query_ms']['p50']} "
            f"| {a['retrieve_ms']['p50']} | {a['evidence_ms']['p50']} | {a['store_ms']['p50']} "
            f"| {lat['it']['total_ms']['p50']} | {lat['en']['total_ms']['p50']} |"
        )
    return "\n".join(lines)


def recall_table(results: list[dict]) -> str:
    lines = [
        "| size | variant | kind | setting | recall@10 | min | dense query p50 / p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for kind, res in (r.get("recall") or {}).items():
            for setting, v in res.items():
                if setting == "exact":
                    lines.append(
                        f"| {size_label(r['size'])} | {r['variant']} | {kind} | exact | 1 | 1 | {v['ms_p50']} |"
                    )
                else:
                    lines.append(
                        f"| {size_label(r['size'])} | {r['variant']} | {kind} | {setting} | {v['recall@10']} "
                        f"| {v['min']} | {v['ms_p50']} / {v['ms_p95']} |"
                    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2k,100k,1m", help="archive sizes in chunks (Qdrant Edge)")
    ap.add_argument("--peer-sizes", default="2k,20k", help="sizes for the qdrant-client :memory: peer ('' = none)")
    ap.add_argument("--variants", default="default", help=f"HNSW variants to build and time: {','.join(VARIANTS)}")
    ap.add_argument("--recall-variants", default="default,fp32", help="variants whose recall is measured")
    ap.add_argument("--recall-sizes", default="100k,1m", help="sizes whose recall is measured")
    ap.add_argument("--efs", default="0,32,64,128,256", help="hnsw_ef values for recall (0 = Qdrant's default)")
    ap.add_argument("--queries", type=int, default=200, help="DEV questions timed (half IT, half EN)")
    ap.add_argument("--peer-queries", type=int, default=20, help="DEV questions timed on the (slow) peer")
    ap.add_argument("--recall-queries", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--prefetch", action="store_true", help="read the index files first, as rag serve does")
    ap.add_argument("--query-backend", default="", help="embed queries with this embedding.backend (synthetic indexes)")
    ap.add_argument("--sigma", type=float, default=0.015, help="Gaussian noise per dimension on the DEV vectors")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_scale"))
    ap.add_argument("--keep", action="store_true", help="keep the built indexes (default: delete them at the end)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus.jsonl")
    ap.add_argument("--questions", type=Path, default=SHARED / "questions.jsonl")
    ap.add_argument("--worker", choices=["build", "edge", "peer"], help=argparse.SUPPRESS)
    ap.add_argument("--worker-size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--worker-variant", default="default", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    args.recall_variants = [v for v in args.recall_variants.split(",") if v]
    args.recall_sizes = [parse_size(s) for s in args.recall_sizes.split(",") if s]
    args.efs = [int(e) or None for e in args.efs.split(",") if e]
    variants = [v for v in args.variants.split(",") if v]
    for v in variants + args.recall_variants:
        if v not in VARIANTS:
            ap.error(f"unknown variant {v!r}: use {', '.join(VARIANTS)}")

    if args.worker:
        n, variant = int(args.worker_size), args.worker_variant
        if args.worker == "build":
            report = build_edge(args, n, variant)
        elif args.worker == "edge":
            report = measure_edge(args, n, variant)
        else:
            report = measure_peer(args, n)
        report["load_avg"] = os.getloadavg()
        path = args.out / f"result-{args.worker}-{size_label(n)}-{variant}.json"
        path.write_text(json.dumps(report, indent=2) + "\n")
        return

    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs", flush=True)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s]
    jobs = [(n, v) for n in sizes for v in variants]
    jobs += [(n, v) for n in sizes if n in args.recall_sizes for v in args.recall_variants if (n, v) not in jobs]
    for n, v in jobs:
        build = run_worker(args, "build", n, v)
        print(f"  built: {json.dumps(build)}", flush=True)
    if args.build_only:
        return
    results = [run_worker(args, "edge", n, v) for n, v in jobs]
    peers = [parse_size(s) for s in args.peer_sizes.split(",") if s]
    results += [run_worker(args, "peer", n, "default") for n in peers]
    summary = {
        "load_avg_start": load,
        "load_avg_end": os.getloadavg(),
        "cpus": os.cpu_count(),
        "args": {k: str(v) for k, v in vars(args).items() if not k.startswith("worker")},
        "results": results,
    }
    (args.out / "bench_search_scale.json").write_text(json.dumps(summary, indent=2) + "\n")
    print()
    print(table(results))
    print()
    print(recall_table(results))
    print()
    print(json.dumps(summary, indent=2))
    if not args.keep:
        for n, v in jobs:
            shutil.rmtree(index_dir(args.out, n, v), ignore_errors=True)


if __name__ == "__main__":
    main()
