"""Yes/no questions, answered by citation lookup's verdict (rag/cite/verdict.py) on the question
made a claim: "Did the council approve the budget?" is looked up as "the council approve the budget".
*Supported* answers "Yes [1]", *conflicts* "No: the article says «…» [1]" (the sentence that states it
otherwise, cited), *not found* abstains. The extractive answerer has no span to give for these.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rag.answer import prompts
from rag.answer.evidence import Evidence
from rag.answer.spans import needs_reasoning
from rag.answer.verify import DraftClaim
from rag.models import AnswerResult, CiteLookup, EvidenceSentence

ASKING = re.compile(
    r"\b(?:how|what|who|whom|whose|when|where|which|why|quant[oaie]?|chi|cosa|che cosa|quando|dove|qual[ei]?|"
    r"come|perché|perche|in che|a che|di che|da che|che anno|che giorno|che mese|che ora)\b",
    re.IGNORECASE,
)
_AUXILIARY = re.compile(
    r"^\s*(?:is it true that|è vero che|did|does|do|is|are|was|were|has|have|had|can|could|will|would)\s+",
    re.IGNORECASE,
)
#: Below this probability the verdict does not answer yes or no.
MIN_PROBABILITY = 0.5
#: A question that compares ("more than ten", "fell compared with 2023") needs reasoning the verdict,
#: which matches a claim's words and values, cannot do: left to the usual path (which abstains).
_COMPARES = re.compile(
    r"\b(?:more|less|fewer|over|under|above|below|exceed\w*|rise|rose|fall|fell|increase\w*|decrease\w*|"
    r"più|meno|oltre|sotto|sopra|superato|supera\w*|salit\w*|sces\w*|aumentat\w*|diminuit\w*|calat\w*|"
    r"compared|rispetto|than)\b",
    re.IGNORECASE,
)


def is_yes_no(question: str) -> bool:
    """A question opening with an auxiliary or a verb ("Did …?", "È …?", "Ha …?", "È vero che …?") and no
    interrogative word. (Italian also asks yes/no without one, "Il Comune ha approvato il bilancio?",
    but so do translated questions that want a span: on SQuAD-it DEV that rule caught 178 of 4,955.)"""
    if _COMPARES.search(question) or ASKING.search(question):
        return False
    return needs_reasoning(question) == "yes/no" or question.strip().lower().startswith(("è vero che", "is it true"))


def as_claim(question: str) -> str:
    return _AUXILIARY.sub("", question.strip()).rstrip(" ?¿").strip()


def answer(
    question: str, lookup: Callable[[str], CiteLookup], finish: Callable[..., AnswerResult], language: str
) -> AnswerResult | None:
    """The yes/no answer, composed by ``finish`` (the engine's Composer.finish), or None when the verdict
    says neither (then the usual path abstains or answers)."""
    found = lookup(as_claim(question))
    if not found.citations or found.verdict == "not_found" or found.probability < MIN_PROBABILITY:
        return None
    hit = found.citations[0]
    sentence = EvidenceSentence(hit.article_id, hit.sentence_id, hit.start, hit.end, hit.quote, hit.score)
    evidence: list[Any] = [Evidence(sentence, hit.title, hit.source, hit.date, hit.url)]
    table = prompts.YES if found.verdict == "supported" else prompts.NO
    word = prompts.news_text(table, language)
    claim = DraftClaim(hit.quote, 0, None, ["verdict"])
    result = finish([claim], None, evidence, "extractive")
    if result.abstained or not result.claims:
        return None
    marks = "".join(f"[{n}]" for n in result.claims[0].citations)
    result.claims[0].rendered = word if found.verdict == "supported" else f"{word} «{hit.quote}»"
    result.answer = f"{result.claims[0].rendered} {marks}"
    return result
