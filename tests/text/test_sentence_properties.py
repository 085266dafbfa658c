"""Property tests (hypothesis): sentence spans tile any text; chunks are whole consecutive sentences.

What "tile" means here (rag/text/sentences.py: "Spans are code-point offsets into the original
string, stripped of surrounding whitespace"; a sentence "ends at every line break"):

- spans are ``(start, end)`` code-point offsets with ``0 <= start < end <= len(text)``, in order and
  non-overlapping (``end <= next start``);
- ``text[start:end]`` is the sentence: non-empty, with no whitespace (``str.isspace``) at either end;
- what lies between two spans, before the first and after the last, is whitespace only; so every
  non-whitespace character belongs to exactly one sentence, and a blank text has no sentence;
- no sentence holds a line break (``str.splitlines`` breaks: ``\\n``, ``\\r``, ``\\r\\n``, ``\\v``,
  ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028, U+2029);
- a sentence with no word character (``\\w``: a stray quote or dash) only stands alone at the start
  of the text or of a line; elsewhere it joins the sentence before it.

The texts mix Italian words, sentence punctuation (``. ! ? …``, ``« »`` and other quotes),
abbreviations (``Sig.``, ``dott.``, ``U.S.``, ``S.p.A.``), numbers with decimals and thousands,
line breaks of every kind and blank lines, tabs, NBSP, zero-width characters, combining marks,
emoji, very long tokens, and arbitrary unicode. Bounded and derandomized: the run is reproducible.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.splitter import ArticleSplitter
from rag.models import Article, Chunk, Sentence
from rag.text.chunking import make_chunks
from rag.text.sentences import make_sentences, split_sentences

PROPS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WORDS = [
    "il", "la", "governo", "Roma", "Italia", "Lampedusa", "è", "però", "perché", "città", "dell'Isis",
    "l’emergenza", "Stati", "Uniti", "soldati", "e", "poi", "ha", "detto", "che", "ecc", "nov", "sec", "XIX", "km",
    "art", "n", "pag", "J", "F", "Kennedy", "NBC", "Sant'Anna", "po'", "ÈCCO", "Über"
]  # fmt: skip
ABBREVIATIONS = [
    "Sig.", "sig.", "Sig.ra", "dott.", "Dott.ssa", "Prof.", "On.", "U.S.", "U.S.A.", "S.p.A.", "p.es.", "ecc.",
    "etc.", "art.", "n.", "pag.", "nov.", "sec.", "km.", "J.", "e.g.", "i.e.", "d.lgs.", "c.so"
]  # fmt: skip
NUMBERS = [
    "3.5", "3,5", "2.500", "1.234,56", "10.30", "2024", "21", "0,5%", "1.", "IV", "1999.", "2.", "900"
]  # fmt: skip
PUNCTUATION = [
    ".", "!", "?", "…", "...", "?!", ",", ";", ":", "«", "»", "“", "”", "‘", "’", '"', "'", "(", ")",
    "[", "]", "-", "–", "—", "/", "%", "·", ".»", "!»", "?”", '."', ".)", " »", "\u00a0»",
]  # fmt: skip
SPACES = [
    " ", " ", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\r\n\r\n", "\u00a0", "\u202f", "\u2009",
    "\u3000", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u2028", "\u2029", " \n ",
]  # fmt: skip
# zero-width characters, combining marks, emoji (with modifiers, flags, ZWJ sequences), other scripts
ODD = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u0301", "e\u0301", "\u0300", "😀", "👍🏽", "🇮🇹",
    "👨\u200d👩\u200d👧", "€", "°", "ª", "ß", "İ", "ﬁ", "Ω", "中文", "עברית", "_", "#", "@", "\x00", "\ud7ff",
]  # fmt: skip
FRAGMENTS = WORDS + ABBREVIATIONS + NUMBERS + PUNCTUATION + ODD

ENDS = [".", ".", ".", "!", "?", "…", "...", "?!", ".»", "!»", "?”", '."', ".)", " »", "\u00a0»", ":", ""]

long_token = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["a", "9", ".", "x.", "è", "😀", "-"]), st.integers(40, 300)
)
fragment = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.sampled_from(WORDS).map(str.capitalize),
    st.sampled_from(WORDS).map(str.upper),
    long_token,
    st.text(max_size=4),
)
plain = st.sampled_from(WORDS + [w.capitalize() for w in WORDS] + ABBREVIATIONS + NUMBERS)
word = st.one_of(plain, plain, plain, plain, plain, st.sampled_from(PUNCTUATION + ODD), fragment)
# Sentence-like runs: words separated by (mostly) spaces, closed by sentence punctuation, then any whitespace.
sentence = st.tuples(
    st.lists(st.tuples(word, st.sampled_from([" "] * 8 + ["", "\u00a0", "\t", "  "])), min_size=1, max_size=8),
    st.sampled_from(ENDS),
    st.sampled_from([" "] * 6 + SPACES + ["", " «", " (", " - "]),
).map(lambda t: "".join(w + sep for w, sep in t[0]).rstrip(" ") + t[1] + t[2])
prose = st.lists(sentence, max_size=12).map("".join)
# Fragments joined by any whitespace or glued together ("Roma.Il", "«Sì»").
joined = st.lists(st.tuples(fragment, st.one_of(st.sampled_from(SPACES), st.just(""))), max_size=60).map(
    lambda parts: "".join(f + s for f, s in parts)
)
texts = st.one_of(prose, joined, prose.map(lambda t: " \n\t" + t + "\r\n "), st.text(max_size=200))

_WORD = re.compile(r"\w")


def assert_tiles(text: str, spans: list[tuple[int, int]]) -> None:
    """The spans tile ``text`` (module docstring)."""
    prev_end = 0
    for k, (a, b) in enumerate(spans):
        assert isinstance(a, int) and isinstance(b, int)
        assert prev_end <= a < b <= len(text), (k, a, b, prev_end)
        gap = text[prev_end:a]
        assert gap.isspace() or not gap, (k, gap)
        piece = text[a:b]
        assert not piece[0].isspace() and not piece[-1].isspace(), (k, piece)
        assert_no_line_break_in(piece)
        if k > 0 and not _WORD.search(piece):  # a stray quote or dash stands alone only after a line break
            assert _has_line_break(text[spans[k - 1][1] : a]), (k, piece)
        prev_end = b
    tail = text[prev_end:]
    assert tail.isspace() or not tail
    assert sum(b - a for a, b in spans) <= len(text)
    assert (not spans) == (not text or text.isspace())


def assert_no_line_break_in(piece: str) -> None:
    assert piece.splitlines() == [piece], piece


def _has_line_break(gap: str) -> bool:
    return len(f"x{gap}x".splitlines()) > 1


@PROPS
@given(texts)
def test_sentence_spans_tile_any_text(text: str) -> None:
    spans = split_sentences(text)
    assert_tiles(text, spans)
    assert split_sentences(text) == spans  # deterministic


@PROPS
@given(texts, st.text(alphabet="abcz019#-_", min_size=1, max_size=12))
def test_sentences_are_exact_slices_with_ids(text: str, article_id: str) -> None:
    sentences = make_sentences(Article(article_id=article_id, text=text))
    assert [s.index for s in sentences] == list(range(len(sentences)))
    assert [s.sentence_id for s in sentences] == [f"{article_id}#s{i}" for i in range(len(sentences))]
    for s in sentences:
        assert text[s.start : s.end] == s.text
    assert_tiles(text, [(s.start, s.end) for s in sentences])


def _indices(chunk: Chunk) -> list[int]:
    return [int(sid.rsplit("#s", 1)[1]) for sid in chunk.sentence_ids]


def assert_chunks(
    article: Article, sentences: list[Sentence], chunks: list[Chunk], size: int, overlap: int, max_chars: int
) -> None:
    """Chunks are windows of whole consecutive sentences with exact spans, covering every sentence."""
    if not sentences:
        assert chunks == []
        return
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [c.chunk_id for c in chunks] == [f"{article.article_id}#c{i}" for i in range(len(chunks))]
    covered: set[int] = set()
    prev: list[int] = []
    for chunk in chunks:
        idx = _indices(chunk)
        assert idx == list(range(idx[0], idx[-1] + 1))  # whole consecutive sentences, in order
        assert list(chunk.sentence_ids) == [sentences[i].sentence_id for i in idx]
        assert 1 <= len(idx) <= size
        assert chunk.start == sentences[idx[0]].start and chunk.end == sentences[idx[-1]].end
        assert chunk.text == article.text[chunk.start : chunk.end]
        assert len(idx) == 1 or chunk.end - chunk.start <= max_chars
        if prev:
            assert idx[0] > prev[0] and idx[-1] > prev[-1]  # never contained in the window before
            assert idx[0] <= prev[-1] + 1  # no sentence skipped
            assert len(set(idx) & set(prev)) <= overlap
        covered.update(idx)
        prev = idx
    assert covered == set(range(len(sentences)))


chunk_params = st.integers(1, 6).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(0, size - 1), st.integers(1, 400))
)


@PROPS
@given(texts, chunk_params)
def test_chunks_are_whole_consecutive_sentences(text: str, params: tuple[int, int, int]) -> None:
    size, overlap, max_chars = params
    article = Article(article_id="a", text=text)
    sentences = make_sentences(article)
    chunks = make_chunks(article, sentences, size, overlap, max_chars)
    assert_chunks(article, sentences, chunks, size, overlap, max_chars)


@PROPS
@given(st.lists(texts, min_size=1, max_size=3), chunk_params)
def test_article_splitter_documents_point_into_the_article_text(
    bodies: list[str], params: tuple[int, int, int]
) -> None:
    size, overlap, max_chars = params
    articles = [Article(article_id=f"art{i}", text=t, title="T") for i, t in enumerate(bodies)]
    out = ArticleSplitter(sentences_per_chunk=size, overlap=overlap, max_chars=max_chars).run(articles)
    by_id = {a.article_id: a for a in articles}
    assert [d.meta["article_id"] for d in out["articles"]] == [a.article_id for a in articles]
    for art_doc in out["articles"]:
        article = by_id[art_doc.meta["article_id"]]
        assert art_doc.content == article.text
        sents = [d for d in out["sentences"] if d.meta["article_id"] == article.article_id]
        chunk_docs = [d for d in out["chunks"] if d.meta["article_id"] == article.article_id]
        spans = [(d.meta["start"], d.meta["end"]) for d in sents]
        assert_tiles(article.text, spans)
        assert art_doc.meta["sentence_spans"] == [list(s) for s in spans]
        assert art_doc.meta["n_sentences"] == len(sents) and art_doc.meta["n_chunks"] == len(chunk_docs)
        for d in sents + chunk_docs:
            assert article.text[d.meta["start"] : d.meta["end"]] == d.content
        sentences = [
            Sentence(d.meta["sentence_id"], d.meta["index"], d.meta["start"], d.meta["end"], d.content or "")
            for d in sents
        ]
        chunks = [
            Chunk(
                d.meta["chunk_id"],
                d.meta["index"],
                d.meta["start"],
                d.meta["end"],
                tuple(d.meta["sentence_ids"]),
                d.content or "",
            )
            for d in chunk_docs
        ]
        assert_chunks(article, sentences, chunks, size, overlap, max_chars)
    assert len({d.id for d in out["articles"] + out["chunks"] + out["sentences"]}) == (
        len(out["articles"]) + len(out["chunks"]) + len(out["sentences"])
    )
