"""The extractive answerer: the trained reader reads the retrieved passages and answers with a span.

Each of the best ``passages`` chunks is read with the question, and every sentence in them gets the
reader's best span inside it. The selector (rag/answer/selector.py) weighs those spans with search's
own sentence scores and picks the sentence; the answer is its span, verbatim, and the citation that
stored sentence with the span highlighted. Below the calibrated confidence the answerer abstains and
says so. Every setting left unset comes from the reader's manifest (calibrated on held-out articles).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from haystack import component

from rag.answer.evidence import Evidence
from rag.answer.reader import Reader, calibrated
from rag.answer.selector import Candidate, candidates
from rag.answer.span_ranker import TOP
from rag.answer.spans import needs_reasoning
from rag.answer.verify import DraftClaim
from rag.models import EvidenceSentence, Filters, SearchHit
from rag.store.document_store import NewsDocumentStore
from rag.text.negation import denial

_READERS: dict[tuple[str, str, str], Reader] = {}
_READERS_LOCK = threading.Lock()


def shared_reader(base_dir: str, cache_dir: str, backend: str) -> Reader:
    """One reader per (model, cache, backend) in the process, shared by every pipeline."""
    key = (base_dir, cache_dir, backend)
    with _READERS_LOCK:
        if key not in _READERS:
            _READERS[key] = Reader(Path(base_dir), Path(cache_dir), backend)
        return _READERS[key]


def article_sentences(store: NewsDocumentStore, article_id: str) -> list[tuple[int, int]]:
    """The stored article's sentence offsets (none when it is gone)."""
    page, _ = store.store.scroll("article", Filters(article_ids=[article_id]), limit=1)
    return [(int(a), int(b)) for a, b in (page[0].payload.get("sentence_spans") or [])] if page else []


@component
class ReaderAnswerer:
    def __init__(
        self,
        document_store: NewsDocumentStore,
        model: str,
        cache_dir: str,
        *,
        backend: str = "openvino-bf16",
        passages: int | None = None,
        min_confidence: float | None = None,
        bm25_language: str = "italian",
    ) -> None:
        if passages is not None and passages < 1:
            raise ValueError(f"passages must be >= 1, got {passages}")
        self.document_store = document_store
        self.model = model
        self.cache_dir = str(cache_dir)
        self.backend = backend
        self.passages = passages
        self.min_confidence = min_confidence
        self.bm25_language = bm25_language
        self._reader: Reader | None = None

    def warm_up(self) -> None:
        if self._reader is None:
            self._reader = shared_reader(self.model, self.cache_dir, self.backend)

    @property
    def reader(self) -> Reader:
        self.warm_up()
        assert self._reader is not None
        return self._reader

    def choose(
        self,
        question: str,
        hits: list[SearchHit],
        scored: list[EvidenceSentence] | None = None,
        terms: list[int] | None = None,
    ) -> tuple[Candidate, float, float] | None:
        """(the answer's sentence, its confidence, the confidence it must reach), or ``None`` when
        no sentence of the first chunks holds a span. ``terms``: the question's BM25 terms in the
        archive's language (search's query vector); with them the span ranker, when the manifest has
        one, picks the span inside the chosen sentence."""
        reader = self.reader
        ranker = reader.span_ranker if terms is not None else None
        seen: dict[str, list[tuple[int, int]]] = {}

        def spans(article_id: str) -> list[tuple[int, int]]:
            if article_id not in seen:
                seen[article_id] = article_sentences(self.document_store, article_id)
            return seen[article_id]

        shown = hits[: self.passages or calibrated("passages", 5)]
        keep = TOP if ranker is not None else 1
        found = [c for c in candidates(reader.read_sentences, question, shown, scored or [], spans, keep) if c.span]
        if not found:
            return None
        selector = reader.selector
        if selector is None:  # a manifest without a selector: the reader's margin alone
            best = max(found, key=lambda c: c.features["reader_margin"])
            bar = reader.threshold if self.min_confidence is None else self.min_confidence
            confidence = best.features["reader_margin"]
        else:
            best = max(found, key=selector.probability)
            bar = selector.min_probability if self.min_confidence is None else self.min_confidence
            confidence = selector.probability(best)
        if ranker is not None and len(best.spans) > 1:  # a ranker only when there are terms
            local = [(a - best.start, b - best.start, score) for a, b, score in best.spans]
            i = ranker.pick(question, best.text, local, set(terms or ()), self.bm25_language)
            best = replace(best, span=best.spans[i][:2])
        return best, confidence, bar

    @component.output_types(claims=list[DraftClaim], evidence=list[Evidence], reason=str, figures=dict[str, float])
    def run(
        self,
        question: str,
        hits: list[SearchHit],
        evidence: list[Evidence],
        scored: list[EvidenceSentence] | None = None,
        terms: list[int] | None = None,
    ) -> dict[str, Any]:
        """``claims`` cite ``evidence`` (the reader's sentence first); ``reason`` when it abstains.
        ``scored``: search's evidence sentences with their scores (the selector weighs them);
        ``terms``: the question's BM25 terms in the archive's language (the span ranker uses them)."""
        derived = needs_reasoning(question)
        if derived is not None:  # "Sì"/"Roma" is derived from a sentence, never a span of it
            why = f"a {derived} question: no passage states its answer as a span (ask an LLM answerer)"
            return {"claims": [], "evidence": evidence, "reason": why}
        found = self.choose(question, hits, scored, terms)
        if found is None:
            return {"claims": [], "evidence": evidence, "reason": "nothing in the archive matches the question"}
        cand, confidence, bar = found
        if confidence < bar:
            why = "no sentence found states the answer clearly enough to cite it"
            figures = {"confidence": round(confidence, 4), "needed": round(bar, 4)}
            return {"claims": [], "evidence": evidence, "reason": why, "figures": figures}
        assert cand.span is not None
        hit = hits[cand.hit]
        sentence = EvidenceSentence(hit.article_id, cand.sentence_id, cand.start, cand.end, cand.text, confidence)
        cited = Evidence(sentence, hit.title, hit.source, hit.date, hit.url)
        rest = [ev for ev in evidence if ev.sentence.sentence_id != cand.sentence_id]
        a, b = cand.span[0] - cand.start, cand.span[1] - cand.start
        raw = cand.text[a:b]
        span_text = raw.strip()
        a += len(raw) - len(raw.lstrip())
        if not any(ch.isalnum() for ch in span_text):
            return {"claims": [], "evidence": evidence, "reason": "the best guess in the sentences found holds no word"}
        cue = denial(cand.text, a, a + len(span_text))
        if cue is not None:  # "Non è vero che costerà 99 milioni": the sentence names the value to deny it
            why = f"the sentence that names «{span_text}» denies it («{cue}…»), and none states the answer"
            return {"claims": [], "evidence": [cited, *rest], "reason": why}
        claim = DraftClaim(span_text, 0, (a, a + len(span_text)), ["reader"])
        return {"claims": [claim], "evidence": [cited, *rest]}
