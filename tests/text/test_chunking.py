"""Chunks: windows of whole sentences, overlap, max_chars, full coverage, exact text."""

from __future__ import annotations

import pytest

from rag.models import Article, Chunk, Sentence
from rag.text.chunking import make_chunks
from rag.text.sentences import make_sentences


def article_with(n: int, *, words: int = 5, article_id: str = "a1") -> Article:
    sentences = [f"Frase numero {i} " + " ".join(["parola"] * words) + "." for i in range(n)]
    # mixed separators: spaces and paragraph breaks
    text = "".join(s + ("\n\n" if i % 3 == 2 else " ") for i, s in enumerate(sentences)).strip()
    return Article(article_id=article_id, text=text)


def indices(chunk: Chunk) -> list[int]:
    return [int(sid.rsplit("#s", 1)[1]) for sid in chunk.sentence_ids]


def check_invariants(
    article: Article, sentences: list[Sentence], chunks: list[Chunk], size: int, overlap: int, max_chars: int
) -> None:
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [c.chunk_id for c in chunks] == [f"{article.article_id}#c{i}" for i in range(len(chunks))]
    covered: set[int] = set()
    prev: list[int] = []
    for chunk in chunks:
        idx = indices(chunk)
        assert idx == list(range(idx[0], idx[-1] + 1))  # consecutive, in order
        assert 1 <= len(idx) <= size
        assert chunk.start == sentences[idx[0]].start and chunk.end == sentences[idx[-1]].end
        assert chunk.text == article.text[chunk.start : chunk.end]
        assert len(idx) == 1 or chunk.end - chunk.start <= max_chars
        if prev:
            assert idx[0] > prev[0] and idx[-1] > prev[-1]  # progress, never contained in the previous window
            assert len(set(idx) & set(prev)) <= overlap
            assert idx[0] <= prev[-1] + 1  # no gap
        covered.update(idx)
        prev = idx
    assert covered == set(range(len(sentences)))


def test_windows_with_overlap() -> None:
    article = article_with(10)
    sentences = make_sentences(article)
    assert len(sentences) == 10
    chunks = make_chunks(article, sentences, size=4, overlap=1, max_chars=10_000)
    assert [indices(c) for c in chunks] == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    check_invariants(article, sentences, chunks, 4, 1, 10_000)


def test_last_window_covers_the_end_without_a_contained_tail() -> None:
    article = article_with(8)
    sentences = make_sentences(article)
    chunks = make_chunks(article, sentences, size=4, overlap=2, max_chars=10_000)
    assert [indices(c) for c in chunks] == [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]


def test_no_overlap() -> None:
    article = article_with(7)
    sentences = make_sentences(article)
    chunks = make_chunks(article, sentences, size=3, overlap=0, max_chars=10_000)
    assert [indices(c) for c in chunks] == [[0, 1, 2], [3, 4, 5], [6]]


def test_max_chars_cuts_windows_short() -> None:
    article = article_with(9)
    sentences = make_sentences(article)
    two = sentences[1].end - sentences[0].start  # room for exactly two sentences
    chunks = make_chunks(article, sentences, size=4, overlap=1, max_chars=two)
    assert all(len(indices(c)) <= 2 for c in chunks)
    check_invariants(article, sentences, chunks, 4, 1, two)


def test_sentence_longer_than_max_chars_is_a_chunk_of_its_own() -> None:
    article = article_with(3, words=50)
    sentences = make_sentences(article)
    chunks = make_chunks(article, sentences, size=4, overlap=1, max_chars=20)
    assert [indices(c) for c in chunks] == [[0], [1], [2]]


def test_single_sentence_and_empty() -> None:
    article = Article(article_id="x", text="Una sola frase.")
    sentences = make_sentences(article)
    [chunk] = make_chunks(article, sentences, size=4, overlap=1, max_chars=1500)
    assert chunk.text == "Una sola frase." and chunk.sentence_ids == ("x#s0",)
    assert make_chunks(Article(article_id="e", text=""), [], size=4, overlap=1, max_chars=1500) == []


def test_deterministic() -> None:
    article = article_with(12)
    sentences = make_sentences(article)
    assert make_chunks(article, sentences, 5, 2, 300) == make_chunks(article, make_sentences(article), 5, 2, 300)


@pytest.mark.parametrize(("size", "overlap", "max_chars"), [(0, 0, 100), (3, 3, 100), (3, -1, 100), (3, 1, 0)])
def test_invalid_parameters(size: int, overlap: int, max_chars: int) -> None:
    article = article_with(3)
    with pytest.raises(ValueError):
        make_chunks(article, make_sentences(article), size, overlap, max_chars)


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # hypothesis is a dev extra

    def test_chunk_invariants_random() -> None:
        pytest.skip("hypothesis not installed")

else:

    @settings(max_examples=300, deadline=None)
    @given(
        lengths=st.lists(st.integers(min_value=1, max_value=80), min_size=1, max_size=40),
        size=st.integers(min_value=1, max_value=8),
        overlap_frac=st.floats(min_value=0, max_value=0.99),
        max_chars=st.integers(min_value=1, max_value=400),
    )
    def test_chunk_invariants_random(lengths: list[int], size: int, overlap_frac: float, max_chars: int) -> None:
        overlap = int(overlap_frac * size)
        text = " ".join("x" * (n - 1) + "." for n in lengths)
        article = Article(article_id="r", text=text)
        sentences, pos = [], 0
        for i, n in enumerate(lengths):
            sentences.append(Sentence(f"r#s{i}", i, pos, pos + n, text[pos : pos + n]))
            pos += n + 1
        chunks = make_chunks(article, sentences, size, overlap, max_chars)
        check_invariants(article, sentences, chunks, size, overlap, max_chars)
