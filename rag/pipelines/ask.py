"""Answer pipelines: extractive (answerer) or LLM (prompt builder -> chat generator -> verifier)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from haystack import Pipeline

from rag.components.builders.answer_prompt_builder import AnswerPromptBuilder
from rag.components.generators.extractive_answerer import ExtractiveAnswerer
from rag.components.routers.evidence_gate import EvidenceGate
from rag.components.validators.answer_verifier import AnswerVerifier
from rag.llm.generators import make_generator
from rag.settings import Settings
from rag.store.document_store import NewsDocumentStore

if TYPE_CHECKING:
    from rag.llm.supervisor import LocalLLM


def build_answer_pipeline(
    settings: Settings, store: NewsDocumentStore, model: str, kind: str, *, local: LocalLLM | None = None
) -> Pipeline:
    common: dict[str, Any] = {
        "query_prompt": settings.embedding.query_prompt,
        "corpus_language": settings.retrieval.corpus_language,
        "bm25_language": settings.retrieval.bm25_language,
        "min_claim_similarity": settings.answer.min_claim_similarity,
        "backend": settings.embedding.backend,
    }
    a = settings.answer
    p = Pipeline()
    p.add_component(
        "gate",
        EvidenceGate(
            store, model, min_similarity=a.min_similarity, min_similarity_cross=a.min_similarity_cross, **common
        ),
    )
    if kind == "extractive":
        p.add_component("answerer", ExtractiveAnswerer(store, model, max_claims=a.extractive_claims, **common))
        p.connect("gate.evidence", "answerer.evidence")
        return p
    p.add_component("prompt", AnswerPromptBuilder(max_evidence=a.llm_evidence))
    p.add_component("llm", make_generator(settings, kind, local))
    p.add_component("verifier", AnswerVerifier(store, model, **common))
    p.connect("gate.evidence", "prompt.evidence")
    p.connect("prompt.evidence", "verifier.evidence")
    p.connect("prompt.messages", "llm.messages")
    p.connect("llm.replies", "verifier.replies")
    return p


def answer_inputs(
    kind: str,
    *,
    question: str,
    standalone: str,
    language: str,
    evidence: list[Any],
    history: list[tuple[str, str]] | None = None,
    streaming_callback: Any = None,
) -> dict[str, dict[str, Any]]:
    inputs: dict[str, dict[str, Any]] = {
        "gate": {"focus_question": question, "language": language, "evidence": evidence}
    }
    if kind == "extractive":
        inputs["answerer"] = {"question": standalone, "focus_question": question, "language": language}
        return inputs
    inputs["prompt"] = {"question": question, "language": language, "history": history}
    inputs["verifier"] = {"language": language}
    if streaming_callback is not None:
        inputs["llm"] = {"streaming_callback": streaming_callback}
    return inputs
