"""Hypothesis strategies and checks shared by the citation property tests: generated articles, sentences,
questions and answers with awkward characters, and the citation contract they must keep.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from rag.answer.evidence import Evidence
from rag.answer.verify import DraftClaim
from rag.models import Citation
from rag.text.numbers import normalize_number

PROPS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FEWER = settings(PROPS, max_examples=100)  # the real components: an embedding per unmatched name or claim

NAMES = ["Siria", "Iraq", "Stati Uniti", "Gli Stati Uniti", "Lampedusa", "Roma", "NBC", "İstanbul", "Erdoğan",
         "ÜBER", "Città del Vaticano", "Stato Islamico", "Σωκράτης", "ﬁat", "Kelvin", "KELVIN"]  # fmt: skip
WORDS = ["truppe", "soldati", "migranti", "coalizione", "formata", "sbarcati", "hanno", "nel", "e", "la", "in",
         "di", "vicina", "dispiegate", "ha", "detto", "è", "stata", "circa", "l’emergenza", "dell'Isis", "per",
         "cento", "anni", "mentre", "ma", "contro", "governo", "ıi", "ǅ", "ﬀ"]  # fmt: skip
NUMBERS = ["900", "2.500", "2500", "2,500", "3,5", "3.5", "1.234,56", "2014", "60", "12%", "12 %", "3 per cento",
           "5 milioni", "0,5", "007", "1999", "2023", "19th", "2013-14", "[3]", "1.", "10.30"]  # fmt: skip
DATES = ["21 novembre 2023", "marzo 2014", "1 gennaio", "May 2020", "12 MARZO 1999", "settembre 2001"]
ODD = ["\u200b", "\u00a0", "\t", "e\u0301", "😀", "👍🏽", "«", "»", "“", "”", "(", ")", ",", ";", ":", "-", "…",
       "İİİ", "ẞ", "ß", "ŉ", "\u0130stanbul"]  # fmt: skip
ENDS = [".", ".", "!", "?", "…", ".»", "?”", ""]
SEPARATORS = [" "] * 6 + ["\n", "\n\n", "\r\n", "  ", "\t", "\u2028", ""]

token = st.one_of(
    *[st.sampled_from(x) for x in (NAMES, WORDS, WORDS, NUMBERS, NUMBERS, DATES, ODD)], st.text(max_size=3)
)
sentence = st.tuples(st.lists(token, min_size=1, max_size=14), st.sampled_from(ENDS), st.sampled_from(SEPARATORS)).map(
    lambda t: " ".join(t[0]) + t[1] + t[2]
)
article_text = st.one_of(
    st.lists(sentence, min_size=1, max_size=8).map("".join),
    st.text(min_size=1, max_size=120),
).filter(lambda t: not t.isspace())
QUESTIONS = [
    "Quante {w} ci sono in {n}?", "Quanti {w} {w} {n}?", "Quando è stata {w} la {n}?", "In che anno {n} {w}?",
    "How many {w} are in {n}?", "When did {n} {w}?", "What percentage of {w} {n}?", "Chi è {n}?",
    "Quanti {w} nel {x}?", "{n} {w} {x}?", "{t}",
]  # fmt: skip
question = st.builds(
    lambda q, n, w, x, t: q.format(n=n, w=w, x=x, t=t),
    st.sampled_from(QUESTIONS),
    st.sampled_from(NAMES),
    st.sampled_from(WORDS),
    st.sampled_from(NUMBERS + DATES),
    st.text(max_size=40),
)
language = st.sampled_from(["it", "en"])


def cuts_a_word(text: str, a: int, b: int) -> bool:
    """Whether ``text[a:b]`` starts or ends inside a word or a number (``900`` of ``2.900``)."""

    def glued(ch: str) -> bool:
        return ch.isalnum() or unicodedata.category(ch).startswith("M")

    return (
        (a > 0 and glued(text[a - 1]) and glued(text[a]))
        or (b < len(text) and glued(text[b - 1]) and glued(text[b]))
        or (text[a].isdigit() and re.search(r"\d[.,]\Z", text[:a]) is not None)
        or (text[b - 1].isdigit() and re.match(r"[.,]\d", text[b:]) is not None)
    )


def quoted_whole(quote: str, text: str) -> bool:
    """Whether ``text`` holds ``quote`` somewhere without cutting a word or number."""
    return bool(quote) and any(
        not cuts_a_word(text, m.start(), m.start() + len(quote)) for m in re.finditer(f"(?={re.escape(quote)})", text)
    )


def assert_answer_span(answer: str, sentence: str, span: tuple[int, int] | None) -> None:
    """``span`` lies inside ``sentence`` and holds ``answer`` as whole words or numbers, the same
    text up to case (Unicode case folding) or the same number written another way."""
    if span is None:
        return
    a, b = span
    assert isinstance(a, int) and isinstance(b, int)
    assert 0 <= a < b <= len(sentence), (span, len(sentence))
    want = answer.strip().strip(".")
    got = sentence[a:b]
    assert got.casefold() == want.casefold() or normalize_number(got) == normalize_number(want), (got, want)
    assert not cuts_a_word(sentence, a, b), (sentence, a, b)


def assert_key_span(sentence: str, span: tuple[int, int]) -> None:
    """A whole number or date of the sentence (every form has digits), nothing around it."""
    a, b = span
    assert 0 <= a < b <= len(sentence), (span, len(sentence))
    key = sentence[a:b]
    assert any(ch.isdigit() for ch in key) and key[0].isalnum() and (key[-1].isalnum() or key[-1] == "%"), key
    assert not cuts_a_word(sentence, a, b), (sentence, key)


def answer_in(sentence_text: str, period: bool = True) -> st.SearchStrategy[str]:
    """An answer taken from the sentence (any case, a number written another way) or made up."""
    n = len(sentence_text)
    piece = st.tuples(st.integers(0, n), st.integers(0, n)).map(lambda t: sentence_text[min(t) : max(t)])
    numbers = re.findall(r"\d+(?:[.,]\d+)*", sentence_text)
    variants = [piece, piece.map(str.upper), piece.map(str.lower), piece.map(str.swapcase), st.text(max_size=8)]
    if numbers:
        variants.append(st.sampled_from(numbers).map(normalize_number))
    answers = st.one_of(*variants)
    return answers.map(lambda s: s + ".") if period else answers  # a trailing period is dropped by locate


def assert_contract(
    citations: list[Citation],
    per_claim: list[list[int]],
    claims: Sequence[DraftClaim],
    evidence: Sequence[Evidence],
    article_text: Callable[[str], str | None],
) -> None:
    """Every citation keeps the contract; claims cite only their own evidence sentence."""
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    assert len({c.sentence_id for c in citations}) == len(citations)
    by_n = {c.n: c for c in citations}
    highlighted: set[int] = set()
    for claim, numbers in zip(claims, per_claim, strict=True):
        assert len(numbers) <= 1 and all(n in by_n for n in numbers)
        for n in numbers:
            ev = evidence[claim.evidence]
            c = by_n[n]
            assert (c.article_id, c.sentence_id, c.title, c.source) == (
                ev.sentence.article_id, ev.sentence.sentence_id, ev.title, ev.source,
            )  # fmt: skip
            if n not in highlighted:  # the first claim citing a sentence gives its highlight, if inside it
                highlighted.add(n)
                span = claim.span
                inside = span is not None and 0 <= span[0] < span[1] <= len(c.quote)
                assert c.highlight == ([c.start + span[0], c.start + span[1]] if span and inside else None)
                if span and inside:
                    assert c.quote[span[0] : span[1]] == ev.sentence.text[span[0] : span[1]]
    assert highlighted == set(by_n)  # no citation that no claim uses
    for c in citations:
        text = article_text(c.article_id)
        assert text is not None
        assert 0 <= c.start < c.end <= len(text), (c.start, c.end, len(text))
        assert text[c.start : c.end] == c.quote
        if c.highlight is not None:
            h0, h1 = c.highlight
            assert c.start <= h0 < h1 <= c.end, (c.highlight, c.start, c.end)
