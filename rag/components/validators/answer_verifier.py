"""Verifies an LLM's reply against the evidence; never trusts the model's citation number as given.

The reply is JSON (``{"answer", "evidence"}``). Each sentence of the answer is a claim that must be
supported by one evidence sentence (all passed the gate, so they mention the question's names):
the sentence the model pointed to is tried first, then the others in evidence order. A claim no sentence supports is
dropped; with none left the answer abstains.
"""

from __future__ import annotations

from typing import Any

from haystack import component
from haystack.dataclasses import ChatMessage

from rag.answer.checker import CheckerComponent
from rag.answer.evidence import Evidence
from rag.answer.verify import DraftClaim, clean_claim, locate, parse_reply
from rag.store.document_store import NewsDocumentStore
from rag.text.sentences import split_sentences


@component
class AnswerVerifier(CheckerComponent):
    def __init__(
        self,
        document_store: NewsDocumentStore,
        model: str,
        *,
        query_prompt: str = "query: ",
        corpus_language: str = "it",
        bm25_language: str = "italian",
        min_claim_similarity: float = 0.85,
        backend: str = "torch",
    ) -> None:
        self._init_checker(
            document_store,
            model,
            query_prompt=query_prompt,
            corpus_language=corpus_language,
            bm25_language=bm25_language,
            min_claim_similarity=min_claim_similarity,
            backend=backend,
        )

    def to_dict(self) -> dict[str, Any]:
        return self._to_dict()

    @component.output_types(claims=list[DraftClaim], raw=str)
    def run(self, replies: list[ChatMessage], language: str, evidence: list[Evidence]) -> dict[str, Any]:
        checker = self.checker
        raw = (replies[0].text or "") if replies else ""
        answer, picked = parse_reply(raw)
        if not answer or not evidence:
            return {"claims": [], "raw": raw}
        eligible = list(range(len(evidence)))
        if picked is not None and 1 <= picked <= len(evidence):
            eligible.remove(picked - 1)
            eligible.insert(0, picked - 1)
        claims: list[DraftClaim] = []
        answer = clean_claim(answer)
        for a, b in split_sentences(answer) or [(0, len(answer))]:
            claim = answer[a:b]
            for i in eligible:
                sentence = evidence[i].sentence.text
                span = locate(claim, sentence)
                if span is not None:
                    claims.append(DraftClaim(claim, i, span, ["quote"]))
                    break
                support = checker.check(claim, sentence, language, similarity=None, context=evidence[i].title)
                if support.supported:
                    claims.append(DraftClaim(claim, i, None, support.passed))
                    break
        return {"claims": claims, "raw": raw}
