"""Ingest throughput against the encoder's limit, measured in one process and one run.

1. End to end: ``Engine.ingest`` of the corpus into a fresh index (models warmed first), with the
   time of every pipeline component and of the encoder calls inside them, and the peak RSS.
2. The limit: raw ``SentenceTransformer.encode`` (same model object, same batch size) of exactly
   the texts the pipeline embedded — (a) the chunk texts only, (b) everything it embeds (chunks,
   sentences, new archive words).

Ratios e2e/raw tell how much the pipeline wastes around the encoder. Levers measured with
``--levers``: encoder batch size for short texts. Usage:

    .venv/bin/python scripts/bench_ingest.py [--corpus FILE.jsonl] [--limit N] [--sentence-vectors separate,late]
        [--levers] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "squad_it"


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _text(comp: Any, doc: Any) -> str:
    """The text an embedder component encodes for a document (as the Haystack embedder builds it)."""
    from rag.embedding.haystack_embedders import text_to_embed

    return text_to_embed(
        doc,
        prefix=comp.prefix,
        meta_fields_to_embed=comp.meta_fields_to_embed,
        separator=comp.embedding_separator,
        suffix=comp.suffix,
    )


def _instrument(engine: Any, timings: dict[str, float], embedded: dict[str, list[tuple[str, str]]]) -> None:
    """Wraps each component's ``run`` (wall time); for the embedders, records (kind, text) encoded."""
    pipe = engine.indexing_pipeline
    for name in pipe.graph.nodes:
        comp = pipe.get_component(name)
        run = comp.run

        def timed(*a: Any, _run: Any = run, _name: str = name, _comp: Any = comp, **kw: Any) -> Any:
            if hasattr(_comp, "embedding_backend"):
                docs = kw.get("documents") or []
                embedded[_name].extend((str(d.meta.get("kind")), _text(_comp, d)) for d in docs)
            elif hasattr(_comp, "text_of"):  # late chunking: encodes the chunks only
                embedded[_name].extend(("chunk", _comp.text_of(d)) for d in kw.get("chunks") or [])
            t = time.perf_counter()
            try:
                return _run(*a, **kw)
            finally:
                timings[_name] += time.perf_counter() - t

        comp.run = timed


def _encode(model: Any, texts: list[str], batch_size: int) -> float:
    t = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus.jsonl")
    ap.add_argument("--limit", type=int, default=None, help="first N articles only (quick runs)")
    ap.add_argument(
        "--sentence-vectors",
        default="separate",
        help="comma-separated embedding.sentence_vectors values, each ingested into its own fresh index in this "
        "process, in turn (e.g. separate,late)",
    )
    ap.add_argument("--levers", action="store_true", help="also measure encoder batch sizes for short texts")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    corpus = args.corpus
    if args.limit:
        corpus = work / "corpus.jsonl"
        lines = args.corpus.read_text(encoding="utf-8").splitlines()[: args.limit]
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        modes = args.sentence_vectors.split(",")  # a mode named twice runs twice (rounds against drift)
        runs = [_run(corpus, work / f"{i}-{mode}", mode, args.levers) for i, mode in enumerate(modes)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = {"corpus": str(args.corpus), "limit": args.limit, "runs": runs}
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _run(corpus: Path, index: Path, mode: str, levers_on: bool) -> dict[str, Any]:
    from rag.embedding.backends import load_encoder
    from rag.embedding.encoder import token_offsets
    from rag.engine import Engine
    from rag.settings import load_settings

    settings = load_settings(index={"path": index}, embedding={"sentence_vectors": mode})
    timings: dict[str, float] = defaultdict(float)
    embedded: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rss_start = _rss_peak_mb()
    with Engine(settings) as engine:
        t = time.perf_counter()
        engine.warm_up()
        _ = engine.indexing_pipeline
        warm_s = time.perf_counter() - t
        _instrument(engine, timings, embedded)
        model = load_encoder(engine.model, settings.embedding.backend)  # the object every embedder shares
        _encode(model, ["passage: riscaldamento"] * 8, 8)  # first-call costs out of the way
        t = time.perf_counter()
        report = engine.ingest([corpus])
        e2e_s = time.perf_counter() - t
        rss_ingest = _rss_peak_mb()
        counts = {k: engine.store.count(k) for k in ("article", "chunk", "sentence", "term")}

        bs = settings.embedding.batch_size
        all_dense = [text for _, text in embedded["dense"]]
        terms = [text for _, text in embedded["term_dense"]]
        chunk_texts = [text for kind, text in embedded["dense"] if kind == "chunk"]
        sentences = [text for kind, text in embedded["dense"] if kind == "sentence"]
        tokens = {
            "chunks": sum(len(spans) for spans in token_offsets(model, chunk_texts)),
            "all": sum(len(spans) for spans in token_offsets(model, all_dense + terms)),
        }
        raw_chunks = _encode(model, chunk_texts, bs)
        raw_all = _encode(model, all_dense, bs) + _encode(model, terms, bs)
        raw_chunks_again = _encode(model, chunk_texts, bs)  # brackets drift from other load
        levers: dict[str, float] = {}
        if levers_on:
            for size in (32, 128, 512):
                levers[f"terms batch {size}"] = _encode(model, terms, size)
            for size in (32, 128):
                levers[f"sentences batch {size}"] = _encode(model, sentences, size)

    raw_c = (raw_chunks + raw_chunks_again) / 2
    encode_in_pipeline = timings["dense"] + timings["term_dense"]
    return {
        "sentence_vectors": mode,
        "articles": report.articles,
        "counts": counts,
        "texts_embedded": {"chunks": len(chunk_texts), "sentences": len(sentences), "terms": len(terms)},
        "tokens": tokens,
        "warm_up_s": round(warm_s, 2),
        "e2e_s": round(e2e_s, 2),
        "raw_encode_chunks_s": round(raw_c, 2),
        "raw_encode_all_s": round(raw_all, 2),
        "encode_inside_pipeline_s": round(encode_in_pipeline, 2),
        "components_s": {k: round(v, 2) for k, v in sorted(timings.items(), key=lambda kv: -kv[1])},
        "e2e_vs_raw_chunks": round(raw_c / e2e_s, 3),
        "e2e_vs_raw_all": round(raw_all / e2e_s, 3),
        "pipeline_overhead_share": round(1 - encode_in_pipeline / e2e_s, 3),
        "articles_per_s": round(report.articles / e2e_s, 2),
        "chunks_per_s": round(counts["chunk"] / e2e_s, 2),
        "tokens_per_s": round(tokens["all"] / e2e_s, 1),
        "raw_chunk_paragraphs_per_s": round(report.articles / raw_c, 2),
        "peak_rss_mb": {"at_start": round(rss_start), "after_ingest": round(rss_ingest)},
        "levers_s": {k: round(v, 2) for k, v in levers.items()},
    }


if __name__ == "__main__":
    main()
