"""Property tests (hypothesis) of the citation contract (see ``test_citation_properties.py``) on the real parts:

- the real :class:`ExtractiveAnswerer` and :class:`AnswerVerifier` components (real support checker
  and embedder, built once for the module) on generated articles, questions and LLM replies;
- the real ``Engine`` (``ask`` with the extractive answerer, ``search`` evidence, ``cite``) over an
  index built once for the module from four small articles with awkward characters (``İ``, ``\\r\\n``,
  U+2028, NEL, NBSP, zero-width space, combining accent, emoji, final sigma, ``ß``).

Bounded and derandomized (100 examples for the components, 40 for the engine): the run is reproducible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from haystack.dataclasses import ChatMessage
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rag.answer.evidence import Evidence
from rag.answer.extractive_answerer import ExtractiveAnswerer
from rag.answer.llm_verifier import AnswerVerifier
from rag.answer.verify import build_citations
from rag.engine import Engine
from rag.errors import RagError
from rag.models import Article, EvidenceSentence
from rag.text.sentences import make_sentences
from tests.answer.citation_strategies import (
    FEWER,
    PROPS,
    answer_in,
    article_text,
    assert_answer_span,
    assert_contract,
    assert_key_span,
    language,
    question,
    quoted_whole,
)
from tests.conftest import make_settings

# -- the real components and the engine, on a small index ------------------------------------------

SYRIA = (
    "Gli Stati Uniti hanno 2.500 truppe dispiegate in Iraq e 900 nella vicina Siria, nel tentativo di "
    "prevenire la rinascita dei militanti dello Stato Islamico."
)
ARCHIVE = [
    Article(
        "syria",
        SYRIA + " La coalizione fu formata nel 2014 e contava 60 paesi.\n\nIl Pentagono conferma.",
        title="Truppe USA in Siria",
        date="2024-01-10",
    ),
    Article(
        "awk1",
        "İstanbul, 12 marzo 2014. İİ Erdoğan ha detto che 900 soldati sono in Siria.\r\nIl Sig. Rossi no.",
        title="Turchia",
    ),
    Article(
        "awk2",
        "\u200bLa Fiat S.p.A. ha 2.500 dipendenti\u00a0a Roma… «Sì» — e poi?\n\n\tNel 2023 erano 3,5 mila. 😀 Fine.",
        title="Fiat",
    ),
    Article(
        "awk3",
        "Gli U.S.A. hanno speso 5 milioni.\u2028ΣΟΦΙΑ ΟΔΟΣ 12.\x85Kelvin: 300 K!  E\u0301 tutto. Straße 1.",
        title="Varie",
    ),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An index of the articles above, built once for the module (a few seconds)."""
    with Engine(make_settings(tmp_path_factory.mktemp("props") / "index")) as eng:
        eng.ingest_articles(ARCHIVE)
        yield eng


@pytest.fixture(scope="module")
def components(engine: Engine) -> tuple[ExtractiveAnswerer, AnswerVerifier]:
    """The sentence-level extractive answerer (``answer.reader=false``) and the LLM answer verifier as
    ``Engine.ask`` builds them: the real support checker and embedder, over the module's index (its
    term vectors). The reader's spans have their own property test in tests/answer/test_reader.py."""
    from rag.answer.checker import index_checker

    s = engine.settings
    support = index_checker(s, engine.doc_store, engine.model)  # one checker, shared, as Engine.ask does
    answerer = ExtractiveAnswerer(support, max_claims=s.answer.extractive_claims)
    answerer.warm_up()
    verifier = AnswerVerifier(support)
    verifier.warm_up()
    return answerer, verifier


def _articles(bodies: list[str]) -> list[Article]:
    return [Article(f"art{i}", body, title=f"T art{i}") for i, body in enumerate(bodies)]


def _pick_evidence(data: st.DataObject, articles: list[Article]) -> list[Evidence]:
    pool = [(a, s) for a in articles for s in make_sentences(a)]
    picks = data.draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=5, unique=True), label="picks")
    out = []
    for k, i in enumerate(picks):
        a, s = pool[i]
        ev = EvidenceSentence(a.article_id, s.sentence_id, s.start, s.end, s.text, 1.0 - k / 10, 0.9)
        out.append(Evidence(ev, a.title, "agenzia", None, None))
    return out


def _texts(articles: list[Article]) -> Callable[[str], str | None]:
    by_id = {a.article_id: a.text for a in articles}
    return by_id.get


@FEWER
@given(st.data(), st.lists(article_text, min_size=1, max_size=3), question, question, language)
def test_extractive_answers_cite_their_sentence_and_point_inside_it(
    components: tuple[ExtractiveAnswerer, AnswerVerifier],
    data: st.DataObject,
    bodies: list[str],
    q: str,
    focus: str,
    lang: str,
) -> None:
    answerer, _ = components
    articles = _articles(bodies)
    evidence = _pick_evidence(data, articles)
    focus_question = data.draw(st.sampled_from([q, focus]), label="focus")
    claims = answerer.run(question=q, focus_question=focus_question, language=lang, evidence=evidence)["claims"]
    for claim in claims:
        sentence_text = evidence[claim.evidence].sentence.text
        if claim.span is None:
            assert claim.text == sentence_text
        else:
            assert_key_span(sentence_text, claim.span)
            assert claim.text == sentence_text[claim.span[0] : claim.span[1]]
    event("key span" if any(c.span for c in claims) else "whole sentence")
    citations, per_claim = build_citations(claims, evidence, _texts(articles))
    assert all(per_claim)  # evidence straight from the splitter is always citable
    assert_contract(citations, per_claim, claims, evidence, _texts(articles))
    for c in citations:
        if c.highlight:
            assert_key_span(c.quote, (c.highlight[0] - c.start, c.highlight[1] - c.start))


def _reply(data: st.DataObject, evidence: list[Evidence]) -> str:
    """A model's JSON reply: 1-3 answer sentences copied, recased, renumbered or made up, any evidence number."""
    parts = [
        data.draw(st.one_of(answer_in(ev.sentence.text), question, st.just(ev.sentence.text)), label="part")
        for ev in data.draw(st.lists(st.sampled_from(evidence), min_size=1, max_size=3), label="cited")
    ]
    marks = data.draw(
        st.lists(st.sampled_from(["", " [1]", " [ 7 ]", "[2]"]), min_size=len(parts), max_size=len(parts))
    )
    answer = " ".join(p + m for p, m in zip(parts, marks, strict=True))
    n = data.draw(st.one_of(st.none(), st.integers(-1, len(evidence) + 1), st.just("2")), label="evidence number")
    return json.dumps({"answer": answer, "evidence": n}, ensure_ascii=data.draw(st.booleans(), label="ascii"))


@FEWER
@given(st.data(), st.lists(article_text, min_size=1, max_size=3), language)
def test_verified_llm_answers_cite_a_sentence_and_locate_their_span_exactly(
    components: tuple[ExtractiveAnswerer, AnswerVerifier], data: st.DataObject, bodies: list[str], lang: str
) -> None:
    _, verifier = components
    articles = _articles(bodies)
    evidence = _pick_evidence(data, articles)
    raw = _reply(data, evidence)
    claims = verifier.run(replies=[ChatMessage.from_assistant(raw)], language=lang, evidence=evidence)["claims"]
    for claim in claims:
        assert 0 <= claim.evidence < len(evidence)
        assert any(ch.isalnum() for ch in claim.text), claim  # a claim of punctuation alone cites nothing
        sentence_text = evidence[claim.evidence].sentence.text
        assert_answer_span(claim.text, sentence_text, claim.span)
        if claim.span is None and "quote" in claim.support:  # quoted, though not found by locate
            assert quoted_whole(claim.text.strip(), sentence_text)
    for claim in claims:
        event("located" if claim.span else f"supported: {'+'.join(claim.support)}")
    event(f"{len(claims)} claims")
    citations, per_claim = build_citations(claims, evidence, _texts(articles))
    assert all(per_claim)
    assert_contract(citations, per_claim, claims, evidence, _texts(articles))


@pytest.fixture(scope="module")
def engine_words(engine: Engine) -> list[str]:
    """The words and numbers of the stored articles, to ask about."""
    words: set[str] = set()
    for article in engine.list_articles(limit=50)[0]:
        stored = engine.get_article(article["article_id"])
        assert stored is not None
        words.update(re.findall(r"[^\W\d_]{3,}|\d+(?:[.,]\d+)*", stored["text"]))
    return sorted(words)


@settings(PROPS, max_examples=40)
@given(st.data(), question)
def test_engine_citations_keep_the_contract(
    engine: Engine, engine_words: list[str], data: st.DataObject, template: str
) -> None:
    words = data.draw(st.lists(st.sampled_from(engine_words), min_size=1, max_size=4), label="words")
    q = data.draw(
        st.sampled_from([template, " ".join(words) + "?", f"Quanti {' '.join(words)}?", f"Quando {words[0]}?"])
    )
    stored: dict[str, dict[str, Any]] = {}

    def text_of(article_id: str) -> str:
        if article_id not in stored:
            article = engine.get_article(article_id)
            assert article is not None
            stored[article_id] = article
        return str(stored[article_id]["text"])

    def span_of(article_id: str, sentence_id: str) -> tuple[int, int]:
        text_of(article_id)
        spans = {s["sentence_id"]: (s["start"], s["end"]) for s in stored[article_id]["sentences"]}
        return spans[sentence_id]

    if not q.strip():
        with pytest.raises(RagError, match="the question is empty"):
            engine.ask(q, answerer="extractive")
        return
    result = engine.ask(q, answerer="extractive")
    event("highlighted" if any(c.highlight for c in result.citations) else "cited" if result.citations else "abstained")
    for c in result.citations:
        text = text_of(c.article_id)
        assert 0 <= c.start < c.end <= len(text) and text[c.start : c.end] == c.quote
        assert (c.start, c.end) == span_of(c.article_id, c.sentence_id)  # the span of the sentence it names
        if c.highlight is not None:
            assert c.start <= c.highlight[0] < c.highlight[1] <= c.end
    found = engine.search(q)
    for hit in found.hits:
        assert text_of(hit.article_id)[hit.start : hit.end] == hit.text
    for ev in found.evidence:
        assert 0 <= ev.start < ev.end <= len(text_of(ev.article_id))
        assert text_of(ev.article_id)[ev.start : ev.end] == ev.text
        assert (ev.start, ev.end) == span_of(ev.article_id, ev.sentence_id)
    for cite in engine.cite(q, top_k=3):
        assert text_of(cite.article_id)[cite.start : cite.end] == cite.quote
        assert (cite.start, cite.end) == span_of(cite.article_id, cite.sentence_id)
