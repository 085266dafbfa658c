"""Property tests (hypothesis): every citation the system can produce keeps the citation contract.

The contract (rag/models.py ``Citation``): a citation names an article, a sentence id, ``start``,
``end`` and ``quote``, with ``0 <= start < end <= len(article_text)`` and
``article_text[start:end] == quote``; its ``highlight`` (the answer's key span), when set, lies
inside the cited sentence and is exactly the text the answer points at.

Here the pure paths that make a citation, quote or span are driven with generated articles and evidence:

- :func:`rag.answer.spans.key_span` (the extractive answer's number/date) and
  :func:`rag.answer.verify.locate` (an LLM answer's span in a sentence), pure, with any input;
- :func:`rag.answer.verify.build_citations` (the only place a ``Citation`` is built, used by
  ``Engine.ask``), with evidence whose offsets may be stale or corrupt and claims with any span.

The real components and the engine are driven the same way in ``test_engine_citation_properties.py``.
The bugs these properties found are kept as explicit examples (``@example(...).via(what was wrong)``).
Bounded and derandomized (300 examples): the run is reproducible and takes well under a minute.
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from rag.answer.evidence import Evidence
from rag.answer.spans import key_span
from rag.answer.support import SupportChecker
from rag.answer.verify import DraftClaim, build_citations, locate
from rag.models import Article, EvidenceSentence
from rag.text.sentences import make_sentences
from tests.answer.citation_strategies import (
    PROPS,
    answer_in,
    article_text,
    assert_answer_span,
    assert_contract,
    assert_key_span,
    language,
    question,
    quoted_whole,
    sentence,
)

# -- pure span functions ----------------------------------------------------------------------------


@PROPS
@given(
    question,
    sentence,
    st.lists(st.tuples(st.integers(-5, 300), st.integers(-5, 300)).map(lambda t: (min(t), max(t))), max_size=4),
)
@example("Quante truppe ci sono in Siria?", "İİİ 2.500 truppe in Iraq e 900 in Siria.", [(34, 39)]).via(
    "guard: dotted capital I before the numbers, an anchor on Siria"
)
@example("Quando è stata truppe la Siria?", "3,5 marzo 2014.", []).via(
    "found by Hypothesis: a date's day must not start inside the number 3,5"
)
def test_key_span_lies_inside_its_sentence_and_is_a_number(
    question: str, sentence: str, anchors: list[tuple[int, int]]
) -> None:
    span = key_span(question, sentence, anchors)
    if span is not None:
        assert_key_span(sentence, span)


@PROPS
@given(sentence.flatmap(lambda text: st.tuples(st.just(text), answer_in(text))))
@example(("İ 900.", "900.")).via("a capital dotted I lowers to two characters: every later span shifted")
@example(("İİİ 2.500 truppe in Iraq e 900 in Siria.", "iraq")).via("the shifted span ran past the sentence")
@example(("Ci sono 2.900 soldati.", "900")).via("an answer found inside a longer number")
@example(("Ci sono 12.900 soldati.", "2900")).via("guard: a renumbered answer inside a longer number")
@example(("Straße 12.", "STRASSE")).via("guard: case folding that makes the text longer (ß -> ss)")
@example(("«Sì» disse.", "«")).via("an answer of punctuation alone was located")
def test_locate_returns_the_exact_span_of_the_answer(pair: tuple[str, str]) -> None:
    text, answer = pair
    span = locate(answer, text)
    assert_answer_span(answer, text, span)
    if span is not None:
        assert any(ch.isalnum() for ch in text[span[0] : span[1]])  # something to point at
    want = answer.strip().strip(".")
    if any(ch.isalnum() for ch in want) and quoted_whole(want, text):  # copied from the sentence: always found
        assert span is not None


@PROPS
@given(sentence.flatmap(lambda text: st.tuples(answer_in(text, period=False), st.just(text))), language)
@example(("900", "Ci sono 2.900 soldati."), "it").via("a claim quoted part of a number")
@example(("Roma", "La Romania vota."), "it").via("a claim quoted part of a word")
@example((".", "Siria. "), "it").via("a claim of punctuation alone was supported as a quote")
def test_a_quote_is_supported_only_as_whole_words(pair: tuple[str, str], lang: str) -> None:
    claim, text = pair
    support = SupportChecker().check(claim, text, lang)
    if "quote" in support.passed:
        assert quoted_whole(claim.strip(), text), (claim, text)
        assert any(ch.isalnum() for ch in claim), (claim, text)
    elif quoted_whole(claim.strip(), text) and any(ch.isalnum() for ch in claim):
        raise AssertionError(f"{claim!r} is quoted from {text!r} but not found as a quote")


# -- build_citations: the only place a Citation is made ---------------------------------------------


def _evidence(article: Article, picks: list[int], corrupt: list[tuple[int, int]] | None = None) -> list[Evidence]:
    sentences = make_sentences(article)
    out = []
    for k, i in enumerate(picks):
        s = sentences[i % len(sentences)]
        start, end = s.start, s.end
        if corrupt and k < len(corrupt):
            start, end = start + corrupt[k][0], end + corrupt[k][1]  # a stale or corrupt stored offset
        ev = EvidenceSentence(article.article_id, s.sentence_id, start, end, s.text, 1.0 - k / 10, 0.9)
        out.append(Evidence(ev, f"T {article.article_id}", "agenzia", "2024-01-01", None))
    return out


offset = st.one_of(st.just(0), st.just(0), st.integers(-3, 3), st.sampled_from([-10_000, 10_000]))


@PROPS
@given(
    article_text,
    st.lists(st.integers(0, 50), min_size=1, max_size=5),
    st.lists(st.tuples(offset, offset), max_size=5),
    st.lists(
        st.tuples(
            st.integers(-2, 6),  # the evidence it cites: out of range too
            st.one_of(st.none(), st.tuples(st.integers(-3, 200), st.integers(-3, 200))),
        ),
        max_size=6,
    ),
    st.sampled_from(["same", "edited", "gone"]),
)
@example("Abc.", [0], [(-10_000, 0)], [(0, None)], "same").via("a negative start sliced as a valid quote")
@example("Abc.", [0], [(0, 10_000)], [(0, None)], "same").via("an end past the text sliced as a valid quote")
@example("Abc 900.", [0], [], [(0, (4, 99))], "same").via("a key span past the sentence became the highlight")
@example("Abc. Xyz.", [0, 1], [], [(-1, None)], "same").via("a negative evidence number cited the last sentence")
def test_build_citations_keeps_the_contract_for_any_evidence_and_claims(
    text: str,
    picks: list[int],
    corrupt: list[tuple[int, int]],
    raw_claims: list[tuple[int, tuple[int, int] | None]],
    stored: str,
) -> None:
    article = Article("a1", text)
    evidence = _evidence(article, picks, corrupt)
    claims = [DraftClaim("claim", i, span, ["quote"]) for i, span in raw_claims]
    now = {"same": text, "edited": "Nuovo testo. " + text, "gone": None}[stored]

    def article_text_of(article_id: str) -> str | None:
        return now if article_id == "a1" else None

    citations, per_claim = build_citations(claims, evidence, article_text_of)
    assert len(per_claim) == len(claims)
    assert_contract(citations, per_claim, claims, evidence, article_text_of)
    for claim, numbers in zip(claims, per_claim, strict=True):
        if not 0 <= claim.evidence < len(evidence):
            assert numbers == []
            continue
        s = evidence[claim.evidence].sentence
        valid = now is not None and 0 <= s.start < s.end <= len(now) and now[s.start : s.end] == s.text
        assert bool(numbers) == valid  # cited exactly when the stored text still holds the sentence there
