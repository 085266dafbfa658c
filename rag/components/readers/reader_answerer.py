"""The extractive answerer: the trained reader reads the retrieved passages and answers with a span.

Each of the best ``passages`` chunks is read with the question; the span whose margin over "no
answer" (plus ``retrieval_weight`` times the chunk's reciprocal rank) is highest wins. The answer is
that span, verbatim; its citation is the stored sentence of the article that holds the span's start
(the span is cut at that sentence's end), with the span highlighted. When no span beats "no answer"
by the calibrated margin, the answerer abstains and says so.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from haystack import component

from rag.answer.evidence import Evidence
from rag.answer.reader import Reader
from rag.answer.reader_model import SpanGuess
from rag.answer.spans import needs_reasoning
from rag.answer.verify import DraftClaim
from rag.models import EvidenceSentence, SearchHit
from rag.store.base import Filters
from rag.store.document_store import NewsDocumentStore

_READERS: dict[tuple[str, str, str], Reader] = {}
_READERS_LOCK = threading.Lock()


def shared_reader(base_dir: str, cache_dir: str, backend: str) -> Reader:
    """One reader per (model, cache, backend) in the process, shared by every pipeline."""
    key = (base_dir, cache_dir, backend)
    with _READERS_LOCK:
        if key not in _READERS:
            _READERS[key] = Reader(Path(base_dir), Path(cache_dir), backend)
        return _READERS[key]


def sentence_at(store: NewsDocumentStore, article_id: str, start: int) -> tuple[str, int, int, str] | None:
    """(sentence id, start, end, text) of the stored article sentence holding offset ``start``."""
    page, _ = store.store.scroll("article", Filters(article_ids=[article_id]), limit=1)
    if not page:
        return None
    payload = page[0].payload
    text = payload.get("text") or ""
    for i, (a, b) in enumerate(payload.get("sentence_spans") or []):
        if a <= start < b:
            return f"{article_id}#s{i}", a, b, text[a:b]
    return None


@component
class ReaderAnswerer:
    def __init__(
        self,
        document_store: NewsDocumentStore,
        model: str,
        cache_dir: str,
        *,
        backend: str = "openvino-bf16",
        passages: int = 5,
        min_margin: float | None = None,
        retrieval_weight: float = 0.0,
    ) -> None:
        if passages < 1:
            raise ValueError(f"passages must be >= 1, got {passages}")
        self.document_store = document_store
        self.model = model
        self.cache_dir = str(cache_dir)
        self.backend = backend
        self.passages = passages
        self.min_margin = min_margin
        self.retrieval_weight = retrieval_weight
        self._reader: Reader | None = None

    def warm_up(self) -> None:
        if self._reader is None:
            self._reader = shared_reader(self.model, self.cache_dir, self.backend)

    @property
    def reader(self) -> Reader:
        self.warm_up()
        assert self._reader is not None
        return self._reader

    @property
    def threshold(self) -> float:
        return self.reader.threshold if self.min_margin is None else self.min_margin

    def pick(self, question: str, hits: list[SearchHit]) -> tuple[SearchHit, SpanGuess] | None:
        """The best (chunk, span) among the first ``passages`` hits, or ``None`` (nothing readable)."""
        shown = hits[: self.passages]
        guesses = self.reader.read(question, [h.text for h in shown])
        best: tuple[float, SearchHit, SpanGuess] | None = None
        for rank, (hit, guess) in enumerate(zip(shown, guesses, strict=True)):
            if guess is None:
                continue
            score = guess.margin + self.retrieval_weight / (rank + 1)
            if best is None or score > best[0]:
                best = (score, hit, guess)
        return (best[1], best[2]) if best else None

    def _sentence(self, hit: SearchHit, start: int) -> tuple[str, int, int, str] | None:
        return sentence_at(self.document_store, hit.article_id, start)

    @component.output_types(claims=list[DraftClaim], evidence=list[Evidence], reason=str)
    def run(self, question: str, hits: list[SearchHit], evidence: list[Evidence]) -> dict[str, Any]:
        """``claims`` cite ``evidence`` (the reader's sentence first); ``reason`` when it abstains."""
        derived = needs_reasoning(question)
        if derived is not None:  # "Sì"/"Roma" is derived from a sentence, never a span of it
            why = f"a {derived} question: no passage states its answer as a span (ask an LLM answerer)"
            return {"claims": [], "evidence": evidence, "reason": why}
        found = self.pick(question, hits)
        if found is None:
            return {"claims": [], "evidence": evidence, "reason": "nothing in the archive matches the question"}
        hit, guess = found
        if guess.margin < self.threshold:
            why = f"the reader finds no answer in the evidence (margin {guess.margin:.2f} < {self.threshold:.2f})"
            return {"claims": [], "evidence": evidence, "reason": why}
        a = hit.start + guess.start
        located = self._sentence(hit, a)
        if located is None:
            return {"claims": [], "evidence": evidence, "reason": "the answer's sentence is no longer stored"}
        sid, s, e, text = located
        b = min(hit.start + guess.end, e)
        sentence = EvidenceSentence(hit.article_id, sid, s, e, text, score=guess.margin, similarity=None)
        cited = Evidence(sentence, hit.title, hit.source, hit.date, hit.url)
        rest = [ev for ev in evidence if ev.sentence.sentence_id != sid]
        span_text = text[a - s : b - s].strip()
        lead = len(text[a - s : b - s]) - len(text[a - s : b - s].lstrip())
        span = (a - s + lead, a - s + lead + len(span_text))
        if not any(ch.isalnum() for ch in span_text):
            return {"claims": [], "evidence": evidence, "reason": "the reader's span holds no word"}
        claim = DraftClaim(span_text, 0, span, ["reader"])
        return {"claims": [claim], "evidence": [cited, *rest]}
