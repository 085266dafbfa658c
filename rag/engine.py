"""The library's front door: one object that owns the index and its pipelines.

CLI, API and UI are thin shells over :class:`Engine`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from haystack import Pipeline

from rag import models as m
from rag.answer import news, threshold, yes_no
from rag.answer.checker import IndexChecker, index_checker
from rag.answer.compose import Composer
from rag.answer.dates import dated_evidence
from rag.answer.evidence import select_evidence
from rag.answer.followup import Conversation, resolve
from rag.answer.periods import QuestionTime, question_time
from rag.answer.pipeline import answer_inputs, build_answer_pipeline, make_reader_answerer, reader_passages, uses_reader
from rag.answer.sources import read_first
from rag.answer.yes_no import is_yes_no
from rag.article_locks import ArticleLocks
from rag.cite.lookup import CANDIDATES, build_lookup, compare_candidates, judge
from rag.cite.verdict import Comparison, shipped_model
from rag.embedding.configured import model_path
from rag.errors import RagError, cancelled_in
from rag.ids import point_id, sentence_id
from rag.ingest.batches import IngestTarget, ingest_articles, ingest_paths, recover
from rag.ingest.pipeline import build_indexing_pipeline
from rag.search.pipeline import build_cite_pipeline, build_search_pipeline, query_inputs
from rag.settings import Settings
from rag.store.base import VectorStore
from rag.store.document_store import NewsDocumentStore
from rag.store.factory import open_store
from rag.store.filter_check import resolve_sources, undated_notice
from rag.store.manifest import adopt_index_settings, check_counts, check_model, check_schema, new_manifest

if TYPE_CHECKING:
    from rag.llm.supervisor import LocalLLM

log = logging.getLogger(__name__)
__all__ = ["Engine"]


class Engine:
    def __init__(self, settings: Settings, store: VectorStore | None = None) -> None:
        """``store``: an open store to use (and close) instead of the one ``settings`` names."""
        self.store = store if store is not None else open_store(settings)
        try:
            meta = self.store.get_meta()
            check_schema(meta, settings)
            self.settings = adopt_index_settings(settings, meta, f"the index {settings.index_dir()}")
        except BaseException:
            self.store.close()
            raise
        self.doc_store = NewsDocumentStore(self.store, self.settings)
        self.recovered = recover(self.store) if self.store.exists() else []
        try:
            check_counts(self.store, str(settings.index.qdrant_url or settings.index_dir()))
        except BaseException:
            self.store.close()
            raise
        self._model: str | None = None
        self._indexing: Pipeline | None = None
        self._search: Pipeline | None = None
        self._cite: Pipeline | None = None
        self._answer: dict[str, Pipeline] = {}
        self._support: IndexChecker | None = None
        self._local: LocalLLM | None = None
        self.llm_notice: str | None = None  # why the local LLM last failed, with its fix (None once it answers)
        self.article_locks = ArticleLocks()

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
        self.store.close()

    @property
    def local_llm(self) -> LocalLLM:
        """The supervised process of the local LLM (created here, started by its first question or by
        ``local_llm.start()``)."""
        if self._local is None:
            from rag.answer.generators import warm_messages
            from rag.llm.supervisor import make_local

            self._local = make_local(self.settings, warm_messages)
        return self._local

    @property
    def model(self) -> str:
        """The embedding model's local path; refuses a model whose weights differ from the index's."""
        if self._model is None:
            path = model_path(self.settings)
            check_model(self.store.get_meta(), self.settings, path)
            self._model = path
        return self._model

    def warm_up(self) -> None:
        self.search_pipeline.warm_up()
        self.cite_pipeline.warm_up()

    @property
    def indexing_pipeline(self) -> Pipeline:
        if self._indexing is None:
            self._indexing = build_indexing_pipeline(self.settings, self.doc_store, self.model)
            self._indexing.warm_up()
        return self._indexing

    @property
    def search_pipeline(self) -> Pipeline:
        if self._search is None:
            self._search = build_search_pipeline(self.settings, self.doc_store, self.model)
            self._search.warm_up()
        return self._search

    @property
    def cite_pipeline(self) -> Pipeline:
        if self._cite is None:
            self._cite = build_cite_pipeline(self.settings, self.doc_store, self.model)
            self._cite.warm_up()
        return self._cite

    def ensure_collection(self) -> None:
        """Creates the collection and its manifest on the first ingest."""
        if self.store.get_meta():
            return
        dim = self.indexing_pipeline.get_component("dense").embedding_dimension()  # type: ignore[attr-defined]
        self.store.ensure_collection(dim)
        self.store.set_meta(new_manifest(self.settings, dim, self.model))

    # -- ingest (rag/ingest/batches.py) ------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        batch_size: int = 64,
        on_progress: Callable[[int, m.IngestReport], None] | None = None,
        origin_base: Path | None = None,
        origin_label: str = "",
        optimize: bool = True,
    ) -> m.IngestReport:
        """Ingest files/folders; ``on_progress(articles_done_in_batch, report)`` after each batch.

        ``origin_base``: origins under this folder are recorded relative to it, after ``origin_label``
        (uploads are recorded by their file name, not by where the service keeps them). ``optimize=False``:
        leave it to the caller (the service optimizes in the background: rag/store/maintenance.py)."""
        kw: dict[str, Any] = {"origin_base": origin_base, "origin_label": origin_label, "optimize": optimize}
        return ingest_paths(self._ingest_target(), paths, batch_size=batch_size, on_progress=on_progress, **kw)

    def ingest_articles(self, articles: Iterable[m.Article]) -> m.IngestReport:
        return ingest_articles(self._ingest_target(), articles)

    def _ingest_target(self) -> IngestTarget:
        return IngestTarget(
            self.store, lambda: self.indexing_pipeline, self.article_locks, self.ensure_collection,
            self.settings.ingest.max_file_mb, self.recovered,
        )  # fmt: skip

    # -- articles --------------------------------------------------------------------------------
    def list_articles(
        self, *, filters: m.Filters | None = None, limit: int = 50, offset: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of article summaries (no text), in id order, and the offset of the next page."""
        page, next_offset = self.store.scroll("article", filters, limit=limit, offset=offset)
        return [m.article_summary(r.payload) for r in page], next_offset

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        """The stored article: text, metadata and its sentences' spans (for highlighting)."""
        page, _ = self.store.scroll("article", m.Filters(article_ids=[article_id]), limit=1)
        if not page:
            return None
        p = page[0].payload
        spans = p.get("sentence_spans") or []
        return {
            **m.article_summary(p),
            "text": p.get("text", ""),
            "sentences": [
                {"sentence_id": sentence_id(article_id, i), "start": a, "end": b} for i, (a, b) in enumerate(spans)
            ],
        }

    def delete_article(self, article_id: str, *, optimize: bool = True) -> int:
        """Removes every point of the article (record, chunks, sentences); returns how many."""
        with self.article_locks.holding([article_id]):  # not in the middle of a batch that writes it
            meta = self.store.get_meta() or {}
            if meta.get("articles") and self.get_article(article_id) is not None:  # counted down first:
                self.store.set_meta({**meta, "articles": meta["articles"] - 1})  # a crash leaves more, not fewer
            removed = self.store.delete_article(article_id)
        if removed and optimize:
            self.store.optimize()  # vacuum: BM25 statistics count live points only again
        return removed

    # -- queries ---------------------------------------------------------------------------------
    def search(
        self, query: str, *, top_k: int | None = None, filters: m.Filters | None = None, read: bool | None = None
    ) -> m.SearchResult:
        """``read``: put the sentence holding the reader's answer first (default: ``retrieval.read_evidence``;
        answers read for themselves)."""
        if not query.strip():
            raise RagError("the query is empty", hint='pass a question or keywords, e.g. "truppe USA in Siria"')
        started = time.perf_counter()
        filters = resolve_sources(self.store, filters)
        inputs: dict[str, dict[str, Any]] = query_inputs(query)
        inputs["retriever"] = {"filters": filters, "top_k": top_k or self.settings.retrieval.top_k}
        with self.store.rw.reading():  # never between the two halves of an article's replacement
            out = self.search_pipeline.run(inputs, include_outputs_from={"language", "bm25"})
            hits, evidence = out["evidence"]["hits"], out["evidence"]["evidence"]
            if (self.settings.retrieval.read_evidence if read is None else read) and hits:
                terms = list(out["bm25"]["sparse_embedding"].indices)
                evidence = read_first(self.settings, self.doc_store, self.model, query, hits, evidence, terms)
        return m.SearchResult(
            query=query,
            language=out["language"]["language"],
            hits=hits,
            evidence=evidence,
            seconds=round(time.perf_counter() - started, 4),
            terms=list(out["bm25"]["sparse_embedding"].indices),
            notice=undated_notice(self.store, filters),
        )

    def cite(self, claim: str, *, top_k: int = 5, filters: m.Filters | None = None) -> list[m.CiteHit]:
        return self.lookup(claim, top_k=top_k, filters=filters).citations

    def lookup(self, claim: str, *, top_k: int = 5, filters: m.Filters | None = None) -> m.CiteLookup:
        """Citation lookup with a verdict (rag/cite/verdict.py): the sentences most likely to state
        the claim, best first, each judged, and whether the archive supports it, states it with
        another value, or does not say it."""
        if not claim.strip():
            raise RagError("the claim is empty", hint="paste the sentence or claim to look up")
        docs, comparisons = self.cite_candidates(claim, k=max(top_k, CANDIDATES), filters=filters)
        return build_lookup(claim, docs, judge(comparisons, shipped_model()), top_k)

    def cite_candidates(
        self, claim: str, *, k: int = CANDIDATES, filters: m.Filters | None = None
    ) -> tuple[list[Any], list[Comparison]]:
        """The cite pipeline's ``k`` candidate sentences (retriever order), each compared with the claim."""
        filters = resolve_sources(self.store, filters)
        inputs: dict[str, dict[str, Any]] = query_inputs(claim)
        inputs["retriever"] = {"filters": filters, "top_k": k}
        with self.store.rw.reading():
            out = self.cite_pipeline.run(inputs, include_outputs_from={"language", "dense", "bm25"})
            docs = out["retriever"]["documents"]
            stored = self.store.dense_vectors([point_id(d.id) for d in docs])
        r = self.settings.retrieval
        comparisons = compare_candidates(
            claim,
            docs,
            query_embedding=out["dense"]["embedding"],
            vectors={d.id: stored[point_id(d.id)] for d in docs if point_id(d.id) in stored},
            terms=set(out["bm25"]["sparse_embedding"].indices),
            cross=out["language"]["language"] != r.corpus_language,
            bm25_language=r.bm25_language,
        )
        return docs, comparisons

    def stats(self) -> dict[str, Any]:
        from rag.stats import index_stats

        return index_stats(self.store, self.settings)

    def answer_pipeline(self, kind: str) -> Pipeline:
        if kind not in self._answer:
            local = self.local_llm if kind == "local" else None
            # one support checker for every answer pipeline (rag/answer/checker.py)
            self._support = self._support or index_checker(self.settings, self.doc_store, self.model)
            args = (self.settings, self.doc_store, self.model, kind)
            pipeline = build_answer_pipeline(*args, local=local, support=self._support)
            pipeline.warm_up()
            self._answer[kind] = pipeline
        return self._answer[kind]

    def ask(
        self,
        question: str,
        *,
        answerer: str | None = None,
        filters: m.Filters | None = None,
        conversation: Conversation | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> m.AnswerResult:
        """A short answer whose every claim cites a supporting sentence, or an abstention."""
        from rag.answer.generators import ANSWERED_WITHOUT_LLM, choose_answerer, diagnose_failure

        if not question.strip():
            raise RagError("the question is empty", hint="ask something, e.g. 'How many US troops are in Syria?'")
        started = time.perf_counter()
        kind = choose_answerer(self.settings, answerer)
        standalone = resolve(question, conversation)
        qt = question_time(standalone)  # a period is a constraint on the evidence's time, not words to find
        search = functools.partial(
            self.search, top_k=max(self.settings.answer.top_k, reader_passages(self.settings)), read=False
        )
        found, lacking, qt = news.focus_period(search, search(standalone, filters=filters), standalone, qt, filters)
        language = found.language
        evidence = select_evidence(found.hits, found.evidence, self.settings.answer.evidence)
        translate = language == "en" and self.settings.retrieval.corpus_language == "it"
        timings = {"search_ms": round(1000 * found.seconds, 1)}
        composer = Composer(
            question, standalone, language, self.article_text, conversation, translate, started, timings
        )
        lookup = functools.partial(self.lookup, filters=filters)  # "more than ten?": a cited figure compared
        said = threshold.answer(standalone, qt, lookup, composer.finish, language)
        if said is None and kind == "extractive" and is_yes_no(standalone):  # "Sì [1]" / "No: …" by the verdict
            said = yes_no.answer(standalone, lookup, composer.finish, language)
        if said is not None:
            said = news.finish(said, QuestionTime(), False, False, language, conversation)
            if on_token is not None:
                on_token(said.answer)
            return said
        t0 = time.perf_counter()
        stream = None
        if on_token is not None and kind != "extractive":
            from rag.llm.stream import AnswerStream

            stream = AnswerStream(on_token)
        common: dict[str, Any] = {
            "question": question,
            "standalone": standalone,
            "language": language,
            "evidence": evidence,
            "hits": found.hits,
            "scored": found.evidence,
            "terms": found.terms,
            "settings": self.settings,
        }
        inputs = answer_inputs(
            kind,
            **common,
            history=conversation.history() if conversation else None,
            streaming_callback=(lambda chunk: stream.feed(chunk.content or "")) if stream else None,
        )
        if qt.period is not None and "gate" in inputs:  # the evidence's dates say it, not its words
            inputs["gate"]["focus_question"] = question_time(question).rest
        notice = None
        try:
            if kind == "local":
                self.local_llm.ensure_ready()
            out = self.answer_pipeline(kind).run(inputs, include_outputs_from={"gate", "prompt", "reader"})
            if kind == "local":
                self.local_llm.report_success()
                self.llm_notice = None
        except Exception as err:  # the LLM backend: connection refused, timeout, bad reply, a crash
            if (stopped := cancelled_in(err)) is not None:
                raise stopped from err  # the caller left: no fallback answer for nobody
            failure = diagnose_failure(kind, err, self.settings, lambda: self.local_llm)
            if kind != "local":
                raise failure from err
            # the local LLM is down (it is being restarted): answer extractively and say so
            self.llm_notice, notice = str(failure), ANSWERED_WITHOUT_LLM  # the edges say the cause once
            log.info("answered extractively: %s", failure)  # the edges say it once (a warning each answer was noise)
            kind = "extractive"
            inputs = answer_inputs(kind, **common)
            out = self.answer_pipeline(kind).run(inputs, include_outputs_from={"gate", "prompt"})
        composer.timings["answer_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        final = out.get("answerer") or out.get("verifier") or {}
        outs: list[dict[str, Any]] = [out.get("gate", {}), final]
        if not final.get("claims"):
            outs.append(out.get("reader", {}))  # what the reader found (or did not) beside the LLM
        why = next((d for d in outs if d.get("reason")), {})
        reason = why.get("reason")
        claims = final.get("claims", []) if reason is None else []
        # claims number the evidence their answerer saw: the reader's, the gate's, or the LLM's part
        evidence = final.get("evidence") or out.get("prompt", out.get("gate", {})).get("evidence", evidence)
        dated = dated_evidence(standalone, claims, evidence, self.cite_candidates)
        differ = False
        if dated is None:  # what each of the top articles says: the latest answers, or they differ
            reader = (
                make_reader_answerer(self.settings, self.doc_store, self.model) if uses_reader(self.settings) else None
            )
            differ, claims, evidence = news.compare_reports(reader, standalone, found, qt, claims, evidence)
        if dated is not None:  # "when?" answered by the date of the article whose sentence states the event
            result = composer.finish_dated(evidence, dated, kind)
        else:
            result = composer.finish(claims, reason, evidence, kind)
        result = news.finish(result, qt, lacking, differ, language, conversation)
        if found.notice:
            notice = f"{notice} {found.notice}" if notice else found.notice
        result.notice, result.reason_figures = notice, why.get("figures") if result.abstained else None
        if on_token is not None and kind == "extractive" and not (stream and stream.raw):
            on_token(result.answer)
        return result

    def article_text(self, article_id: str) -> str | None:
        page, _ = self.store.scroll("article", m.Filters(article_ids=[article_id]), limit=1)
        return page[0].payload.get("text") if page else None
