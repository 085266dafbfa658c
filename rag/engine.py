"""The library's front door: one object that owns the index and its pipelines.

CLI, API and UI are thin shells over :class:`Engine`.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from haystack import Pipeline

from rag import __version__
from rag.answer import prompts
from rag.answer.dates import event_claim, holds_date, wants_date
from rag.answer.evidence import select_evidence
from rag.answer.followup import Conversation, Turn, resolve
from rag.answer.lookup import CANDIDATES, CiteHit, CiteLookup, build_lookup, compare_candidates, judge
from rag.answer.values import english_value
from rag.answer.verdict import Comparison, shipped_model
from rag.answer.verify import DraftClaim, build_citations
from rag.components.preprocessors.article_splitter import content_hash
from rag.embedding.identity import model_checksum
from rag.errors import IndexStoreError, LLMError, RagError
from rag.loaders import iter_inputs
from rag.loaders.floods import FloodCounter
from rag.models import AnswerResult, Article, Citation, Claim, EvidenceSentence, SearchHit, Skipped
from rag.pipelines.ask import answer_inputs, build_answer_pipeline, reader_passages
from rag.pipelines.embedders import model_path
from rag.pipelines.indexing import build_indexing_pipeline
from rag.pipelines.query import build_cite_pipeline, build_search_pipeline, query_inputs
from rag.settings import LEGACY_BACKEND, SCHEMA_VERSION, Settings
from rag.store.base import Filters
from rag.store.document_store import NewsDocumentStore, point_id
from rag.store.factory import open_store
from rag.store.filter_check import resolve_sources, undated_notice
from rag.text.sentences import sentence_id

if TYPE_CHECKING:
    from rag.llm.supervisor import LocalLLM

log = logging.getLogger(__name__)

#: Settings that shape stored vectors: an index remembers them and re-applies them when opened.
SHAPING = (
    "embedding.model",
    "embedding.backend",
    "embedding.passage_prompt",
    "embedding.query_prompt",
    "embedding.meta_fields_to_embed",
    "chunking.sentences",
    "chunking.overlap",
    "chunking.max_chars",
    "retrieval.bm25_language",
)


@dataclass
class IngestReport:
    files: int = 0
    articles: int = 0
    unchanged: int = 0
    replaced: int = 0
    sentences: int = 0
    chunks: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    #: ids of articles an interrupted ingest left unfinished (removed when the index opened) that this
    #: run wrote again
    resumed: list[str] = field(default_factory=list)
    #: groups of look-alike articles (numbers aside) of this ingest, largest first: {"count", "example"}
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)
    #: files whose encoding was guessed, not declared: {"origin", "encoding"} ("Windows-1252")
    decoded: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResult:
    query: str
    language: str
    hits: list[SearchHit]
    evidence: list[EvidenceSentence]
    seconds: float
    #: The question's BM25 terms in the archive's language (its query vector's indices): the reader's
    #: span ranker finds the question's words in a sentence by them. Not part of the JSON.
    terms: list[int] = field(default_factory=list, repr=False)
    #: What a reader must know about these results, e.g. how many undated articles a date range left out.
    notice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["terms"]
        return out


def _origin_file(origin: str) -> str:
    """``path`` or ``path:line`` (JSONL) -> ``path``."""
    return re.sub(r":\d+$", "", origin)


def _get(settings: Settings, dotted: str) -> Any:
    section, name = dotted.split(".")
    return getattr(getattr(settings, section), name)


_SUMMARY_FIELDS = ("article_id", "title", "source", "date", "url", "language", "origin", "n_sentences", "n_chunks")


def _summary(payload: dict[str, Any]) -> dict[str, Any]:
    out = {k: payload.get(k) for k in _SUMMARY_FIELDS}
    out["chars"] = len(payload.get("text") or "")
    return out


def _render(claim: DraftClaim, numbers: list[int], evidence: list[Any], rendered: str | None = None) -> str:
    """``rendered``: the claim's value in the question's language (rag/answer/values.py), if any."""
    marks = "".join(f"[{n}]" for n in numbers)
    if rendered:
        return f"{rendered} {marks}"
    text = claim.text.strip()
    if claim.span is None and "quote" in claim.support and text == evidence[claim.evidence].sentence.text:
        return f"«{text}» {marks}"
    return f"{text} {marks}"


def _reader_info(settings: Settings) -> dict[str, Any] | None:
    """What the extractive answerer reads with (``rag stats``): the shipped reader, or None."""
    from rag.answer import reader

    if not (settings.answer.reader and reader.available()):
        return None
    info = reader.manifest()
    return {
        "weights": f"{reader.WEIGHTS.name} sha256 {info['sha256'][:12]}",
        "backend": settings.answer.reader_backend,
        "min_confidence": settings.answer.reader_min_confidence
        if settings.answer.reader_min_confidence is not None
        else (info.get("selector") or {}).get("min_probability", info.get("threshold")),
        "trained": info.get("calibration", ""),
    }


def adopt_index_settings(settings: Settings, meta: dict[str, Any] | None, where: str = "the index") -> Settings:
    """An existing index decides how queries are embedded: take its shaping settings.

    A shaping setting given explicitly (an RAG_* variable, an option) that differs from the index's
    is refused: the index's vectors were made another way, and mixing them is never done. Indexes
    built before ``embedding.backend`` existed do not name one: they were built with torch."""
    if not meta or "settings" not in meta:
        return settings
    stored = {"embedding.backend": LEGACY_BACKEND, **meta["settings"]}
    data = settings.model_dump()
    clashes = []
    for dotted in SHAPING:
        section, name = dotted.split(".")
        if dotted not in stored:
            continue
        mine = data[section][name]
        if name in getattr(settings, section).model_fields_set and _same(mine) != _same(stored[dotted]):
            clashes.append(f"{dotted} is {mine!r} here but {stored[dotted]!r} in the index")
        data[section][name] = stored[dotted]
    if clashes:
        raise IndexStoreError(
            f"{where} was built with other settings: " + "; ".join(clashes),
            hint="rebuild it from its stored articles with these settings: rag reindex --index "
            f"{settings.index_dir()} (or unset the setting to use the index as it is)",
        )
    return Settings(**data)


def _same(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.store = open_store(settings)
        try:
            meta = self.store.get_meta()
            if meta and meta.get("schema") != SCHEMA_VERSION:
                raise IndexStoreError(
                    f"index {settings.index_dir()} has schema {meta.get('schema')}, this version uses {SCHEMA_VERSION}",
                    hint=f"rebuild it from its stored articles: rag reindex --index {settings.index_dir()}",
                )
            self.settings = adopt_index_settings(settings, meta, f"the index {settings.index_dir()}")
        except BaseException:
            self.store.close()
            raise
        self.doc_store = NewsDocumentStore(self.store, self.settings)
        self.recovered = self.recover() if self.store.exists() else []
        self._model: str | None = None
        self._indexing: Pipeline | None = None
        self._search: Pipeline | None = None
        self._cite: Pipeline | None = None
        self._answer: dict[str, Pipeline] = {}
        self._local: LocalLLM | None = None

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
            from rag.llm.generators import warm_messages
            from rag.llm.supervisor import make_local

            self._local = make_local(self.settings, warm_messages)
        return self._local

    @property
    def model(self) -> str:
        """The embedding model's local path; refuses a model whose weights differ from the index's."""
        if self._model is None:
            path = model_path(self.settings)
            built = (self.store.get_meta() or {}).get("model_sha256")
            have = model_checksum(path)
            if built and have and built != have:
                raise IndexStoreError(
                    f"the index {self.settings.index_dir()} was built with other weights of "
                    f"{self.settings.embedding.model} (checksum {built[:12]}…, here {have[:12]}…): "
                    "its vectors would not match new ones",
                    hint=f"rebuild it from its stored articles: rag reindex --index {self.settings.index_dir()}",
                )
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

    def _ensure_collection(self) -> None:
        if self.store.get_meta():
            return
        dense = self.indexing_pipeline.get_component("dense")
        dim = int(dense.embedding_backend.model.get_embedding_dimension())  # type: ignore[attr-defined]
        self.store.ensure_collection(dim)
        self.store.set_meta(
            {
                "schema": SCHEMA_VERSION,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "rag_version": __version__,
                "dim": dim,
                "model_path": self.model,
                "model_sha256": model_checksum(self.model),
                "settings": {dotted: _get(self.settings, dotted) for dotted in SHAPING},
            }
        )

    # -- ingest ----------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        batch_size: int = 64,
        on_progress: Callable[[int, IngestReport], None] | None = None,
        origin_base: Path | None = None,
        origin_label: str = "",
        optimize: bool = True,
    ) -> IngestReport:
        """Ingest files/folders; ``on_progress(articles_done_in_batch, report)`` after each batch.

        ``origin_base``: origins under this folder are recorded relative to it, after ``origin_label``
        (uploads are recorded by their file name, not by where the service keeps them). ``optimize=False``:
        leave it to the caller (the service optimizes in the background: rag/store/maintenance.py)."""
        base = str(origin_base) + os.sep if origin_base is not None else None
        report = IngestReport()
        started = time.perf_counter()
        self._ensure_collection()
        files: set[str] = set()
        floods = FloodCounter()
        batch: list[Article] = []
        for item in iter_inputs(paths, max_file_mb=self.settings.ingest.max_file_mb):
            if base and item.origin.startswith(base):
                origin = origin_label + item.origin[len(base) :]
                item = Skipped(origin, item.reason) if isinstance(item, Skipped) else replace(item, origin=origin)
            if isinstance(item, Skipped):
                report.skipped.append(item)
                files.add(_origin_file(item.origin))
                continue
            files.add(_origin_file(item.origin))
            if item.decoded_as and not any(d["origin"] == item.origin for d in report.decoded):
                report.decoded.append({"origin": item.origin, "encoding": item.decoded_as})
            floods.observe(item)
            batch.append(item)
            if len(batch) >= batch_size:
                self._ingest_batch(batch, report, on_progress)
                batch = []
        if batch:
            self._ingest_batch(batch, report, on_progress)
        if optimize and (report.articles or report.replaced):
            self.store.optimize()  # builds HNSW; after replacements also makes BM25 statistics exact again
        report.files = len(files)
        report.near_duplicates = floods.groups()
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def ingest_articles(self, articles: Iterable[Article]) -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        self._ensure_collection()
        self._ingest_batch(list(articles), report, None)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _ingest_batch(
        self, batch: list[Article], report: IngestReport, on_progress: Callable[[int, IngestReport], None] | None
    ) -> None:
        self._journal([[a.article_id, content_hash(a)] for a in batch])
        out = self.indexing_pipeline.run({"router": {"articles": batch}}, include_outputs_from={"router", "splitter"})
        self._journal([])
        routed, split = out["router"], out["splitter"]
        report.articles += len(routed["new"])
        if self.recovered:  # articles an interrupted ingest left unfinished, written again now: once
            resumed = {a.article_id for a in routed["new"]} & set(self.recovered)
            report.resumed.extend(a for a in self.recovered if a in resumed)
            self.recovered = [a for a in self.recovered if a not in resumed]
        report.unchanged += len(routed["unchanged"])
        report.replaced += len(routed["replaced"])
        report.skipped.extend(routed["superseded"])
        report.sentences += len(split["sentences"])
        report.chunks += len(split["chunks"])
        if on_progress:
            on_progress(len(batch), report)

    # -- crash safety ----------------------------------------------------------------------------
    def _journal(self, pending: list[list[str]]) -> None:
        """Records (in the index manifest) the [article id, content hash] pairs a batch is writing;
        cleared when it is done."""
        meta = self.store.get_meta() or {}
        if not pending and not meta.get("pending"):
            return
        self.store.set_meta({**meta, "pending": pending})

    def recover(self) -> list[str]:
        """After a crash mid-batch, each article of the batch ends as one complete version: a version
        whose record (written last) exists is kept and any other version of that article removed; an
        incomplete version is removed (an older complete one, if any, stays). Returns the ids of the
        articles left unfinished (the next ingest writes them again)."""
        meta = self.store.get_meta() or {}
        pending = list(meta.get("pending") or [])
        cleaned = []
        for entry in pending:
            if isinstance(entry, str):  # journals written before versions were recorded
                unfinished = self.store.count("article", Filters(article_ids=[entry])) == 0
                if unfinished and self.store.delete_article(entry):
                    cleaned.append(entry)
                continue
            article_id, version = entry
            if self.store.retrieve([point_id(f"{article_id}@{version}")]):
                self.store.delete_article(article_id, version, keep=True)  # an old version left by a swap
            else:
                self.store.delete_article(article_id, version)  # whatever of it was written
                cleaned.append(article_id)
        if pending:
            self.store.set_meta({**meta, "pending": []})
            self.store.flush()
        return cleaned

    # -- articles --------------------------------------------------------------------------------
    def list_articles(
        self, *, filters: Filters | None = None, limit: int = 50, offset: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of article summaries (no text), in id order, and the offset of the next page."""
        page, next_offset = self.store.scroll("article", filters, limit=limit, offset=offset)
        return [_summary(r.payload) for r in page], next_offset

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        """The stored article: text, metadata and its sentences' spans (for highlighting)."""
        page, _ = self.store.scroll("article", Filters(article_ids=[article_id]), limit=1)
        if not page:
            return None
        p = page[0].payload
        spans = p.get("sentence_spans") or []
        return {
            **_summary(p),
            "text": p.get("text", ""),
            "sentences": [
                {"sentence_id": sentence_id(article_id, i), "start": a, "end": b} for i, (a, b) in enumerate(spans)
            ],
        }

    def delete_article(self, article_id: str, *, optimize: bool = True) -> int:
        """Removes every point of the article (record, chunks, sentences); returns how many."""
        removed = self.store.delete_article(article_id)
        if removed and optimize:
            self.store.optimize()  # vacuum: BM25 statistics count live points only again
        return removed

    # -- queries ---------------------------------------------------------------------------------
    def search(
        self, query: str, *, top_k: int | None = None, filters: Filters | None = None, read: bool | None = None
    ) -> SearchResult:
        """``read``: put the sentence holding the reader's answer first (default: ``retrieval.read_evidence``;
        answers read for themselves)."""
        started = time.perf_counter()
        filters = resolve_sources(self.store, filters)
        inputs: dict[str, dict[str, Any]] = query_inputs(query)
        inputs["retriever"] = {"filters": filters, "top_k": top_k or self.settings.retrieval.top_k}
        with self.store.rw.reading():  # never between the two halves of an article's replacement
            out = self.search_pipeline.run(inputs, include_outputs_from={"language", "bm25"})
            hits, evidence = out["evidence"]["hits"], out["evidence"]["evidence"]
            if (self.settings.retrieval.read_evidence if read is None else read) and hits:
                terms = list(out["bm25"]["sparse_embedding"].indices)
                evidence = self._read_first(query, hits, evidence, terms)
        return SearchResult(
            query=query,
            language=out["language"]["language"],
            hits=hits,
            evidence=evidence,
            seconds=round(time.perf_counter() - started, 4),
            terms=list(out["bm25"]["sparse_embedding"].indices),
            notice=undated_notice(self.store, filters),
        )

    def _nearest(self, evidence: list[Any], n: int = 3) -> list[Citation]:
        """The first ``n`` evidence sentences as citations that support nothing (``support`` empty),
        each checked against its article's text."""
        out: list[Citation] = []
        for ev in evidence[:n]:
            s = ev.sentence
            text = self.article_text(s.article_id)
            if text is None or text[s.start : s.end] != s.text:
                continue
            out.append(
                Citation(len(out) + 1, s.article_id, ev.title, ev.source, s.sentence_id, s.start, s.end, s.text,
                         ev.date, ev.url)
            )  # fmt: skip
        return out

    def _read_first(
        self, query: str, hits: list[SearchHit], evidence: list[EvidenceSentence], terms: list[int]
    ) -> list[Any]:
        """The evidence with the sentence that holds the reader's answer first (when it finds one)."""
        from rag.pipelines.ask import make_reader_answerer, uses_reader

        if not uses_reader(self.settings):
            return evidence
        found = make_reader_answerer(self.settings, self.doc_store, self.model).choose(query, hits, evidence, terms)
        if found is None or found[1] < found[2]:
            return evidence
        c = found[0]
        first = EvidenceSentence(hits[c.hit].article_id, c.sentence_id, c.start, c.end, c.text, score=found[1])
        return [first, *[ev for ev in evidence if ev.sentence_id != c.sentence_id]]

    def cite(self, claim: str, *, top_k: int = 5, filters: Filters | None = None) -> list[CiteHit]:
        return self.lookup(claim, top_k=top_k, filters=filters).citations

    def lookup(self, claim: str, *, top_k: int = 5, filters: Filters | None = None) -> CiteLookup:
        """Citation lookup with a verdict (rag/answer/verdict.py): the sentences most likely to state
        the claim, best first, each judged, and whether the archive supports it, states it with
        another value, or does not say it."""
        docs, comparisons = self.cite_candidates(claim, k=max(top_k, CANDIDATES), filters=filters)
        return build_lookup(claim, docs, judge(comparisons, shipped_model()), top_k)

    def cite_candidates(
        self, claim: str, *, k: int = CANDIDATES, filters: Filters | None = None
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
        meta = self.store.get_meta() or {}
        return {
            "index": str(self.settings.index.qdrant_url or self.settings.index_dir()),
            "backend": "qdrant-server" if self.settings.index.qdrant_url else "qdrant-edge",
            "articles": self.store.count("article"),
            "chunks": self.store.count("chunk"),
            "sentences": self.store.count("sentence"),
            "terms": self.store.count("term"),
            "sources": self.store.facet("source", "article") if meta else {},
            "languages": self.store.facet("language", "article") if meta else {},
            "built_with": meta,
            "reader": _reader_info(self.settings),
        }

    # -- answers ---------------------------------------------------------------------------------
    def answer_pipeline(self, kind: str) -> Pipeline:
        if kind not in self._answer:
            local = self.local_llm if kind == "local" else None
            pipeline = build_answer_pipeline(self.settings, self.doc_store, self.model, kind, local=local)
            pipeline.warm_up()
            self._answer[kind] = pipeline
        return self._answer[kind]

    def ask(
        self,
        question: str,
        *,
        answerer: str | None = None,
        filters: Filters | None = None,
        conversation: Conversation | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> AnswerResult:
        """A short answer whose every claim cites a supporting sentence, or an abstention."""
        from rag.llm.generators import choose_answerer

        if not question.strip():
            raise RagError("the question is empty", hint="ask something, e.g. 'How many US troops are in Syria?'")
        started = time.perf_counter()
        kind = choose_answerer(self.settings, answerer)
        standalone = resolve(question, conversation)
        found = self.search(
            standalone,
            top_k=max(self.settings.answer.top_k, reader_passages(self.settings)),
            filters=filters,
            read=False,
        )
        language = found.language
        evidence = select_evidence(found.hits, found.evidence, self.settings.answer.evidence)
        timings = {"search_ms": round(1000 * found.seconds, 1)}

        # an English question over the Italian archive reads its values in English ("13 billion euros")
        translate = language == "en" and self.settings.retrieval.corpus_language == "it"

        def finish(claims: list[DraftClaim], reason: str | None) -> AnswerResult:
            citations, numbers = build_citations(claims, evidence, self.article_text) if claims else ([], [])
            kept = [(c, ns) for c, ns in zip(claims, numbers, strict=True) if ns]
            shown = [english_value(c.text) if c.span is not None and translate else None for c, _ in kept]
            text = " ".join(_render(c, ns, evidence, r) for (c, ns), r in zip(kept, shown, strict=True))
            abstained = not kept
            result = AnswerResult(
                question=question,
                answer=prompts.abstain_text(language) if abstained else text,
                abstained=abstained,
                language=language,
                citations=citations if not abstained else [],
                answerer=kind,
                timings={**timings, "total_ms": round(1000 * (time.perf_counter() - started), 1)},
                claims=[Claim(c.text, ns, r) for (c, ns), r in zip(kept, shown, strict=True)],
                standalone_question=standalone if standalone != question else None,
                reason=(reason or "no cited sentence supports an answer") if abstained else None,
                nearest=self._nearest(evidence) if abstained else [],
            )
            if conversation is not None:
                conversation.add(Turn(question, standalone, result.answer))
            return result

        t0 = time.perf_counter()
        stream = None
        if on_token is not None and kind != "extractive":
            from rag.llm.stream import AnswerStream

            stream = AnswerStream(on_token)
        inputs = answer_inputs(
            kind,
            question=question,
            standalone=standalone,
            language=language,
            evidence=evidence,
            hits=found.hits,
            scored=found.evidence,
            terms=found.terms,
            settings=self.settings,
            history=conversation.history() if conversation else None,
            streaming_callback=(lambda chunk: stream.feed(chunk.content or "")) if stream else None,
        )
        notice = None
        try:
            if kind == "local":
                self.local_llm.ensure_ready()
            out = self.answer_pipeline(kind).run(inputs, include_outputs_from={"gate", "prompt", "reader"})
            if kind == "local":
                self.local_llm.report_success()
        except Exception as err:  # the LLM backend: connection refused, timeout, bad reply, a crash
            failure = self._llm_failure(kind, err)
            if kind != "local":
                raise failure from err
            # the local LLM is down (it is being restarted): answer extractively and say so
            notice = f"{failure.message}. Answered extractively, without the LLM."
            log.warning("%s", failure)
            kind = "extractive"
            inputs = answer_inputs(
                kind,
                question=question,
                standalone=standalone,
                language=language,
                evidence=evidence,
                hits=found.hits,
                scored=found.evidence,
                terms=found.terms,
                settings=self.settings,
            )
            out = self.answer_pipeline(kind).run(inputs, include_outputs_from={"gate", "prompt"})
        timings["answer_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        final = out.get("answerer") or out.get("verifier") or {}
        reason = out.get("gate", {}).get("reason") or final.get("reason")
        if reason is None and not final.get("claims"):
            reason = out.get("reader", {}).get("reason")  # what the reader found (or did not) beside the LLM
        claims = final.get("claims", []) if reason is None else []
        # claims number the evidence their answerer saw: the reader's, the gate's, or the LLM's part
        evidence = final.get("evidence") or out.get("prompt", out.get("gate", {})).get("evidence", evidence)
        dated = self._dated_evidence(standalone, claims, evidence)
        if dated is not None:  # "when?" answered by the date of the article whose sentence states the event
            claims, reason = [DraftClaim(evidence[dated].sentence.text, dated, None, ["quote"])], None
        result = finish(claims, reason)
        if dated is not None and result.claims:
            words = prompts.article_date_text(language, evidence[dated].date)
            result.claims[0].rendered = words
            marks = "".join(f"[{n}]" for n in result.claims[0].citations)
            result.answer = f"{words}: «{result.claims[0].text}» {marks}"
        if found.notice:
            notice = f"{notice} {found.notice}" if notice else found.notice
        result.notice = notice
        if on_token is not None and kind == "extractive" and not (stream and stream.raw):
            on_token(result.answer)
        return result

    def _dated_evidence(self, question: str, claims: list[DraftClaim], evidence: list[Any]) -> int | None:
        """For a "when" question whose answer holds no date: the first of the top evidence sentences
        that holds none either, comes from a dated article, and states the question's event
        (citation lookup's verdict); None otherwise."""
        if not wants_date(question) or any(holds_date(c.text) for c in claims):
            return None
        event = event_claim(question)
        for i, ev in enumerate(evidence[:3]):
            if not ev.date or holds_date(ev.sentence.text):
                continue
            only = Filters(article_ids=[ev.sentence.article_id])
            docs, comparisons = self.cite_candidates(event, filters=only)
            for d, j in zip(docs, judge(comparisons, shipped_model()), strict=True):
                if d.meta["sentence_id"] == ev.sentence.sentence_id and j.verdict == "supported":
                    return i
        return None

    def _llm_failure(self, kind: str, err: Exception) -> RagError:
        """What an answer pipeline's error means: a ``RagError`` that is not the LLM's is re-raised;
        a failure of the local LLM's process is diagnosed (and the process replaced) by its supervisor."""
        if isinstance(err, LLMError):
            return err
        component = getattr(err, "component_name", None)
        if isinstance(err, RagError) or (component is not None and component != "llm"):
            raise err
        while err.__cause__ is not None and type(err).__name__ == "PipelineRuntimeError":
            err = err.__cause__  # type: ignore[assignment]
        if kind == "local":
            return self.local_llm.report_failure(err)
        return LLMError.from_backend(kind, self.settings.llm.base_url, err)

    def article_text(self, article_id: str) -> str | None:
        page, _ = self.store.scroll("article", Filters(article_ids=[article_id]), limit=1)
        return page[0].payload.get("text") if page else None
