"""Answer pipelines: extractive (answerer) or LLM (prompt builder -> chat generator -> verifier)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from haystack import Pipeline
from haystack.core.serialization import allow_deserialization_module

from rag.answer.checker import IndexChecker, index_checker
from rag.answer.extractive_answerer import ExtractiveAnswerer
from rag.answer.gate import EvidenceGate
from rag.answer.generators import make_generator
from rag.answer.llm_verifier import AnswerVerifier
from rag.answer.prompt_builder import AnswerPromptBuilder
from rag.answer.reader_answerer import ReaderAnswerer
from rag.settings import Settings
from rag.store.document_store import NewsDocumentStore

# Haystack 3 deserializes only classes from modules it was told to trust (Pipeline.from_dict / loads).
allow_deserialization_module("rag")

if TYPE_CHECKING:
    from rag.llm.supervisor import LocalLLM


def build_answer_pipeline(
    settings: Settings,
    store: NewsDocumentStore,
    model: str,
    kind: str,
    *,
    local: LocalLLM | None = None,
    support: IndexChecker | None = None,
) -> Pipeline:
    """``support``: the engine's one support checker, shared by every component that checks support
    (a new one when not given)."""
    support = support or index_checker(settings, store, model)
    a = settings.answer
    p = Pipeline()
    reads = kind == "extractive" and uses_reader(settings)
    gated = reader_gate(settings)
    if not reads or gated:
        names_only = reads and gated == "names"  # the reader's selector weighs similarity itself
        bars = (0.0, 0.0) if names_only else (a.min_similarity, a.min_similarity_cross)
        gate = EvidenceGate(
            support,
            corpus_language=settings.retrieval.corpus_language,
            min_similarity=bars[0],
            min_similarity_cross=bars[1],
        )
        p.add_component("gate", gate)
    if reads:
        p.add_component("answerer", make_reader_answerer(settings, store, model))
        if gated:
            p.connect("gate.evidence", "answerer.evidence")
        return p
    if kind == "extractive":
        p.add_component("answerer", ExtractiveAnswerer(support, max_claims=a.extractive_claims))
        p.connect("gate.evidence", "answerer.evidence")
        return p
    p.add_component("prompt", AnswerPromptBuilder(max_evidence=a.llm_evidence))
    p.add_component("llm", make_generator(settings, kind, local))
    reads = llm_reads(settings)
    checked = (model, str(settings.embedding.cache_dir), None) if reads else None
    p.add_component("verifier", AnswerVerifier(support, reader=checked))
    if reads:  # the LLM gets the reader's ranked evidence and answer, and must say what the reader reads
        p.add_component("reader", make_reader_answerer(settings, store, model))
        p.connect("gate.evidence", "reader.evidence")
        p.connect("reader.evidence", "prompt.evidence")
        p.connect("reader.claims", "prompt.reader_claims")
        p.connect("reader.claims", "verifier.reader_claims")
    else:
        p.connect("gate.evidence", "prompt.evidence")
    p.connect("prompt.evidence", "verifier.evidence")
    p.connect("prompt.messages", "llm.messages")
    p.connect("llm.replies", "verifier.replies")
    return p


def make_reader_answerer(settings: Settings, store: NewsDocumentStore, model: str) -> ReaderAnswerer:
    """The extractive answerer over the trained reader, as the settings (or the manifest) shape it."""
    a = settings.answer
    return ReaderAnswerer(
        store,
        model,
        str(settings.embedding.cache_dir),
        backend=a.reader_backend,
        passages=a.reader_passages,
        min_confidence=a.reader_min_confidence,
        bm25_language=settings.retrieval.bm25_language,
    )


def uses_reader(settings: Settings) -> bool:
    """Whether the extractive answerer is the trained reader (its weights ship with the package)."""
    from rag.answer import reader

    return settings.answer.reader and reader.available()


def llm_reads(settings: Settings) -> bool:
    """Whether the LLM answerers get the reader's answer and their claims are verified by reading."""
    return settings.answer.llm_reads and uses_reader(settings)


def reader_gate(settings: Settings) -> bool | str:
    """The evidence gate before the reader: the setting (the whole gate or none), else as calibrated
    (manifest): True, False or "names" (its name check alone, without the similarity bars)."""
    from rag.answer import reader

    if settings.answer.reader_gate is not None:
        return settings.answer.reader_gate
    gate: bool | str = reader.calibrated("gate", True)
    return gate


def reader_passages(settings: Settings) -> int:
    """How many chunks the reader reads: the setting, else as calibrated (manifest)."""
    from rag.answer import reader

    if settings.answer.reader_passages is not None:
        return settings.answer.reader_passages
    return int(reader.calibrated("passages", 5))


def answer_inputs(
    kind: str,
    *,
    question: str,
    standalone: str,
    language: str,
    evidence: list[Any],
    hits: list[Any] | None = None,
    scored: list[Any] | None = None,
    terms: list[int] | None = None,
    settings: Settings | None = None,
    history: list[tuple[str, str]] | None = None,
    streaming_callback: Any = None,
) -> dict[str, dict[str, Any]]:
    inputs: dict[str, dict[str, Any]] = {
        "gate": {"focus_question": question, "language": language, "evidence": evidence}
    }
    if kind == "extractive" and settings is not None and uses_reader(settings):
        inputs["answerer"] = {"question": standalone, "hits": hits or [], "scored": scored or [], "terms": terms}
        if not reader_gate(settings):
            del inputs["gate"]
            inputs["answerer"]["evidence"] = evidence
        return inputs
    if kind == "extractive":
        inputs["answerer"] = {"question": standalone, "focus_question": question, "language": language}
        return inputs
    inputs["prompt"] = {"question": question, "language": language, "history": history}
    inputs["verifier"] = {"language": language, "question": standalone}
    if settings is not None and llm_reads(settings):
        inputs["reader"] = {"question": standalone, "hits": hits or [], "scored": scored or [], "terms": terms}
    if streaming_callback is not None:
        inputs["llm"] = {"streaming_callback": streaming_callback}
    return inputs
