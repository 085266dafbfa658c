"""``rag eval``: paragraph recall and evidence-sentence hits on SQuAD-it, our system beside peers.

Peers run on the same index and the same query vectors, so one run compares like with like:
BM25 (Italian stemming) alone, dense e5-small alone, and naive RRF (equal weights, no
language awareness).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from haystack import Document

from rag.components.ingest.bm25_embedder import Bm25TextEmbedder
from rag.components.search.query_language import QueryLanguageDetector
from rag.embedding.configured import passage_embedder
from rag.engine import Engine
from rag.eval.data import Question, load_questions, paragraph_classes
from rag.pipelines.query import bm25_query_embedder, make_ranker, make_retriever
from rag.settings import Settings

KS = (1, 5, 10)


def _systems(settings: Settings) -> dict[str, Settings]:
    def variant(**retrieval: Any) -> Settings:
        data = settings.model_dump()
        data["retrieval"].update(retrieval)
        return Settings(**data)

    return {
        "ours": settings,
        "bm25": variant(fusion="bm25", sentence_weight=0.0, evidence_article_weight=0.0),
        "dense": variant(
            fusion="dense",
            sentence_weight=0.0,
            evidence_article_weight=0.0,
            sentence_bm25_weight=0.0,
            bm25_weight_cross=0.0,
        ),
        "rrf_naive": variant(
            fusion="rrf",
            bm25_weight=1.0,
            bm25_weight_cross=1.0,
            dense_weight=1.0,
            sentence_weight=0.0,
            sentence_bm25_weight=1.0,
            evidence_article_weight=0.0,
        ),
    }


def eval_index_settings(settings: Settings, corpus: Path) -> Settings:
    """Eval corpora get their own index folder (never mixed into the archive's index)."""
    if settings.index.path is not None or settings.index.qdrant_url:
        return settings
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()[:8]
    data = settings.model_dump()
    data["index"]["path"] = settings.index.home / f"eval-{corpus.stem}-{digest}" / settings.index_name()
    return Settings(**data)


def unanswerable_index_settings(settings: Settings, corpus: Path) -> Settings:
    """The index of an unanswerable corpus: never the answerable one, also when ``--index`` names it
    (then a sibling folder, or a suffixed collection on a server)."""
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()[:8]
    data = settings.model_dump()
    if settings.index.qdrant_url:
        data["index"]["collection"] = f"{settings.index.collection or settings.index_name()}-unanswerable-{digest}"
    elif settings.index.path is not None:
        data["index"]["path"] = Path(f"{settings.index.path}-unanswerable-{corpus.stem}-{digest}")
    else:
        data["index"]["path"] = settings.index.home / f"eval-{corpus.stem}-{digest}" / settings.index_name()
    return Settings(**data)


def _covers(ev: Any, q: Question, canon: dict[str, str]) -> bool:
    if canon.get(ev.article_id, ev.article_id) != canon.get(q.paragraph_id, q.paragraph_id):
        return False
    return any(ev.start <= off and off + len(ans) <= ev.end for off, ans in q.answer_spans)


def run_eval(
    settings: Settings,
    corpus: Path,
    questions_path: Path,
    *,
    langs: list[str],
    peers: bool = True,
    limit: int | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    say = log or (lambda _m: None)
    settings = eval_index_settings(settings, corpus)
    canon = paragraph_classes(corpus)
    report: dict[str, Any] = {"corpus": str(corpus), "questions": str(questions_path), "languages": {}, "timings": {}}
    with Engine(settings) as engine:
        report["index"] = str(engine.settings.index_dir())
        t0 = time.perf_counter()
        say(f"ingesting {corpus} into {report['index']} (reused when already there) ...")
        ingest = engine.ingest([corpus])
        report["ingest"] = {k: v for k, v in ingest.to_dict().items() if k != "skipped"}
        report["timings"]["ingest_s"] = round(time.perf_counter() - t0, 2)
        report["index_counts"] = {kind: engine.store.count(kind) for kind in ("article", "chunk", "sentence", "term")}
        report["settings"] = engine.settings.model_dump(mode="json", include={"embedding", "chunking", "retrieval"})
        detector = QueryLanguageDetector(default=engine.settings.retrieval.corpus_language)
        bm25 = Bm25TextEmbedder(language=engine.settings.retrieval.bm25_language)  # the peers' plain BM25
        ours_bm25 = bm25_query_embedder(engine.settings, engine.doc_store, engine.model)
        ours_bm25.warm_up()
        qembed = passage_embedder(engine.settings, engine.model, query=True)
        qembed.warm_up()
        systems = _systems(engine.settings) if peers else {"ours": engine.settings}
        for lang in langs:
            qs = load_questions(questions_path, lang, limit)
            say(f"{lang}: {len(qs)} questions; embedding ...")
            t0 = time.perf_counter()
            embedded = qembed.run([Document(content=q.text) for q in qs])["documents"]
            embed_s = time.perf_counter() - t0
            detected = [detector.detect(q.text) for q in qs]
            plain = [bm25.run(q.text)["sparse_embedding"] for q in qs]
            t0 = time.perf_counter()
            translated = [ours_bm25.run(q.text, d)["sparse_embedding"] for q, d in zip(qs, detected, strict=True)]
            bm25_s = time.perf_counter() - t0
            lang_report: dict[str, Any] = {
                "n": len(qs),
                "detected_as_corpus_language": round(
                    sum(d == engine.settings.retrieval.corpus_language for d in detected) / max(len(qs), 1), 4
                ),
                "query_embedding_ms": round(1000 * embed_s / max(len(qs), 1), 2),
                "query_bm25_ms": round(1000 * bm25_s / max(len(qs), 1), 2),
                "systems": {},
            }
            for name, sys_settings in systems.items():
                retriever = make_retriever(sys_settings, engine.doc_store, "chunk")
                ranker = make_ranker(sys_settings, engine.doc_store)
                hits_at = dict.fromkeys(KS, 0)
                rr = 0.0
                sent_hits = 0
                sparse = translated if name == "ours" else plain
                t0 = time.perf_counter()
                for q, doc, sp, qlang in zip(qs, embedded, sparse, detected, strict=True):
                    docs = retriever.run(
                        query_embedding=doc.embedding, sparse_embedding=sp, language=qlang, top_k=max(KS)
                    )["documents"]
                    gold = canon.get(q.paragraph_id, q.paragraph_id)
                    ranks = [canon.get(d.meta["article_id"], d.meta["article_id"]) for d in docs]
                    if gold in ranks:
                        pos = ranks.index(gold) + 1
                        rr += 1.0 / pos
                        for k in KS:
                            hits_at[k] += pos <= k
                    top = docs[: sys_settings.retrieval.top_k]
                    evidence = ranker.run(top, query_embedding=doc.embedding, sparse_embedding=sp, language=qlang)[
                        "evidence"
                    ]
                    sent_hits += any(_covers(ev, q, canon) for ev in evidence[:3])
                n = max(len(qs), 1)
                lang_report["systems"][name] = {
                    **{f"R@{k}": round(hits_at[k] / n, 4) for k in KS},
                    "MRR@10": round(rr / n, 4),
                    "sentence_hit@3": round(sent_hits / n, 4),
                    "ms_per_query": round(1000 * (time.perf_counter() - t0) / n, 2),
                }
                say(f"  {lang} {name}: {lang_report['systems'][name]}")
            report["languages"][lang] = lang_report
    return report


def format_table(report: dict[str, Any]) -> str:
    lines = [f"index: {report['index']}", f"ingest: {report['ingest']}"]
    cols = ["R@1", "R@5", "R@10", "MRR@10", "sentence_hit@3", "ms_per_query"]
    for lang, lr in report["languages"].items():
        lines.append("")
        lines.append(
            f"{lang} questions: {lr['n']} (detected as corpus language: {lr['detected_as_corpus_language']:.1%})"
        )
        lines.append(f"{'system':<10} " + " ".join(f"{c:>14}" for c in cols))
        for name, m in lr["systems"].items():
            lines.append(f"{name:<10} " + " ".join(f"{m[c]:>14}" for c in cols))
    return "\n".join(lines)
