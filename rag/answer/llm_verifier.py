"""Verifies an LLM's reply against the evidence; never trusts the model's citation number as given.

The reply is JSON (``{"answer", "evidence"}``). Each sentence of the answer is a claim that must be
supported by one evidence sentence: the sentence the model pointed to is tried first, then the others
in evidence order. A claim no sentence supports is dropped; with none left the answer abstains.

With the reader (``reader`` given), support must be *read*, not matched: a sentence that merely
contains a name or a number of the claim does not count. A claim is kept when it states the reader's
answer (then it cites the reader's sentence, span highlighted), or when the claim is found in a
sentence and the reader, reading that sentence for the question, points into it. Answers to yes/no
and comparison questions, which no span states, are kept when their sentence passes the term and
similarity checks. When every claim falls, the reader's own answer stands in (support ``reader``).
"""

from __future__ import annotations

from typing import Any

from haystack import component
from haystack.dataclasses import ChatMessage

from rag.answer.checker import IndexChecker
from rag.answer.evidence import Evidence
from rag.answer.verify import DraftClaim, clean_claim, locate, parse_reply
from rag.text.negation import denial, denies_anything
from rag.text.sentences import split_sentences


@component
class AnswerVerifier:
    def __init__(self, support: IndexChecker, *, reader: tuple[str, str, float | None] | None = None) -> None:
        """``support``: the engine's support checker (rag/answer/checker.py)."""
        self.support = support
        #: (base model folder, cache folder, min margin or None) of the reader, or None (match only)
        self.reader: tuple[str, str, float | None] | None = (
            (str(reader[0]), str(reader[1]), reader[2]) if reader is not None else None  # a list after a round trip
        )

    def warm_up(self) -> None:
        self.support.warm_up()

    @component.output_types(claims=list[DraftClaim], raw=str)
    def run(
        self,
        replies: list[ChatMessage],
        language: str,
        evidence: list[Evidence],
        question: str = "",
        reader_claims: list[DraftClaim] | None = None,
    ) -> dict[str, Any]:
        raw = (replies[0].text or "") if replies else ""
        answer, picked = parse_reply(raw)
        if self.reader is not None:
            read = self._read(answer, picked, language, evidence, question, reader_claims or [])
            return {"claims": read, "raw": raw}
        checker = self.support.checker
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
                if span is not None and denial(sentence, *span) and not denies_anything(claim):
                    continue  # the sentence names the claim's words to deny them
                if span is not None:
                    claims.append(DraftClaim(claim, i, span, ["quote"]))
                    break
                support = checker.check(claim, sentence, language, similarity=None, context=evidence[i].title)
                if support.supported:
                    claims.append(DraftClaim(claim, i, None, support.passed))
                    break
        return {"claims": claims, "raw": raw}

    # -- verification that reads ----------------------------------------------------------------------
    def _read(
        self,
        answer: str | None,
        picked: int | None,
        language: str,
        evidence: list[Evidence],
        question: str,
        reader_claims: list[DraftClaim],
    ) -> list[DraftClaim]:
        from rag.answer.reader_answerer import shared_reader
        from rag.answer.spans import needs_reasoning

        assert self.reader is not None
        base, cache, min_margin = self.reader
        reader = shared_reader(base, cache, "openvino-bf16")
        bar = reader.threshold if min_margin is None else min_margin
        own = reader_claims[0] if reader_claims and 0 <= reader_claims[0].evidence < len(evidence) else None
        if not answer or not evidence:
            return []
        order = list(range(len(evidence)))
        if picked is not None and 1 <= picked <= len(evidence):
            order.remove(picked - 1)
            order.insert(0, picked - 1)
        derived = needs_reasoning(question) is not None
        claims: list[DraftClaim] = []
        text = clean_claim(answer)
        for a, b in split_sentences(text) or [(0, len(text))]:
            claim = text[a:b]
            if own is not None and locate(own.text, claim) is not None:  # it states the reader's answer
                claims.append(DraftClaim(claim, own.evidence, own.span, ["reader"]))
                continue
            for i in order:
                sentence = evidence[i].sentence.text
                span = locate(claim, sentence)
                if span is not None and denial(sentence, *span) and not denies_anything(claim):
                    continue  # the sentence names the claim's words to deny them
                if span is not None:
                    (guess,) = reader.read(question, [sentence])
                    if guess is not None and guess.margin >= bar and guess.start < span[1] and span[0] < guess.end:
                        claims.append(DraftClaim(claim, i, span, ["quote", "reader"]))
                        break
                    continue
                if derived:
                    support = self.support.checker.check(
                        claim, sentence, language, similarity=None, context=evidence[i].title
                    )
                    if support.supported and {"terms", "similarity"} & set(support.passed):
                        claims.append(DraftClaim(claim, i, None, support.passed))
                        break
        if not claims and own is not None and not derived:
            return [own]  # the LLM's answer was not stated by its evidence: the reader's answer stands
        return claims
