"""``rag eval``: paragraph recall and evidence-sentence hits on SQuAD-it, our system beside peers.

"ours" is ``Engine.search`` itself (the 10 best hits, their evidence sentences, the reader off), so
these figures are the product's. Peers run on the same index with their own retrieval settings and
plain query vectors: BM25 (Italian stemming) alone, dense e5-small alone, and naive RRF (equal
weights, no language awareness).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from haystack import Document

from rag.embedding.configured import passage_embedder
from rag.engine import Engine
from rag.eval.data import Question, load_questions, paragraph_classes
from rag.ingest.bm25_embedder import Bm25TextEmbedder
from rag.search.language import QueryLanguageDetector
from rag.search.pipeline import make_ranker, make_retriever
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


class _Score:
    """Paragraph recall at KS and MRR@10 over ranked article ids, and whether the top 3 evidence sentences
    hold an answer span (``sentence_hit@3``). Paragraphs with the same text count as one (``canon``)."""

    def __init__(self, canon: dict[str, str]) -> None:
        self.canon = canon
        self.n = 0
        self.hits_at = dict.fromkeys(KS, 0)
        self.rr = 0.0
        self.sentence_hits = 0

    def add(self, q: Question, ranked: list[str], evidence: list[Any]) -> None:
        self.n += 1
        gold = self.canon.get(q.paragraph_id, q.paragraph_id)
        ranks = [self.canon.get(a, a) for a in ranked[: max(KS)]]
        if gold in ranks:
            pos = ranks.index(gold) + 1
            self.rr += 1.0 / pos
            for k in KS:
                self.hits_at[k] += pos <= k
        self.sentence_hits += any(self._covers(ev, q) for ev in evidence[:3])

    def _covers(self, ev: Any, q: Question) -> bool:
        if self.canon.get(ev.article_id, ev.article_id) != self.canon.get(q.paragraph_id, q.paragraph_id):
            return False
        return any(ev.start <= off and off + len(ans) <= ev.end for off, ans in q.answer_spans)

    def figures(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {
            **{f"R@{k}": round(self.hits_at[k] / n, 4) for k in KS},
            "MRR@10": round(self.rr / n, 4),
            "sentence_hit@3": round(self.sentence_hits / n, 4),
        }


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
        systems = _systems(engine.settings) if peers else {"ours": engine.settings}
        # the peers' query vectors, made once for all of them: plain BM25 (no cross-lingual terms) and dense
        bm25 = Bm25TextEmbedder(language=engine.settings.retrieval.bm25_language)
        qembed = passage_embedder(engine.settings, engine.model, query=True)
        if peers:
            qembed.warm_up()
        for lang in langs:
            qs = load_questions(questions_path, lang, limit)
            detected = [detector.detect(q.text) for q in qs]
            lang_report: dict[str, Any] = {
                "n": len(qs),
                "detected_as_corpus_language": round(
                    sum(d == engine.settings.retrieval.corpus_language for d in detected) / max(len(qs), 1), 4
                ),
                "systems": {},
            }
            embedded: list[Document] = []
            plain: list[Any] = []
            if peers:
                say(f"{lang}: {len(qs)} questions; embedding them for the peers ...")
                embedded = qembed.run([Document(content=q.text) for q in qs])["documents"]
                plain = [bm25.run(q.text)["sparse_embedding"] for q in qs]
            for name, sys_settings in systems.items():
                score = _Score(canon)
                t0 = time.perf_counter()
                if name == "ours":  # the engine's own search, as `rag search --top-k 10` runs it
                    for q in qs:
                        found = engine.search(q.text, top_k=max(KS), read=False)
                        score.add(q, [h.article_id for h in found.hits], found.evidence)
                else:  # a peer: the same store and query vectors, its own retrieval settings
                    retriever = make_retriever(sys_settings, engine.doc_store, "chunk")
                    ranker = make_ranker(sys_settings, engine.doc_store)
                    for q, doc, sp, qlang in zip(qs, embedded, plain, detected, strict=True):
                        docs = retriever.run(
                            query_embedding=doc.embedding, sparse_embedding=sp, language=qlang, top_k=max(KS)
                        )["documents"]
                        evidence = ranker.run(docs, query_embedding=doc.embedding, sparse_embedding=sp, language=qlang)
                        score.add(q, [d.meta["article_id"] for d in docs], evidence["evidence"])
                lang_report["systems"][name] = {
                    **score.figures(),
                    "ms_per_query": round(1000 * (time.perf_counter() - t0) / max(len(qs), 1), 2),
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
