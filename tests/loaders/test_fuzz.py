"""Fuzzing the readers through their public entry: ``iter_inputs`` on a temporary file of each extension.

Whatever the bytes, no exception escapes; every result is an Article or a Skipped with a reason (never the
loaders' last-resort "unexpected error"), and every Article's text and fields are non-empty-text strings
without NUL or other control characters that encode to UTF-8 (what the splitter, the store and the citation
spans need). Derandomized, no example database: the same examples run on every machine (200 per test,
RAG_FUZZ_EXAMPLES=5000 for a deeper local run).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.loaders import SUPPORTED_EXTENSIONS, iter_inputs
from rag.loaders.inputs import UNEXPECTED
from rag.models import Article, Skipped
from tests.loaders.helpers import make_pdf

FUZZ = settings(
    max_examples=int(os.environ.get("RAG_FUZZ_EXAMPLES", "200")),  # raise it for a longer local run
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Any code point, surrogates and control characters included.
ANY_CHAR = st.characters(exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=300)
PROSE = st.text(st.sampled_from("abcdeèéiìoòuù ABC.,;:!?«»\"'\n\t-0123456789"), max_size=300)


def check(ext: str, data: bytes) -> list[Article | Skipped]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{ext}"
        path.write_bytes(data)
        items = list(iter_inputs([path], max_file_mb=1))
    assert items, "no result at all"
    for item in items:
        if isinstance(item, Skipped):
            assert isinstance(item.reason, str) and item.reason.strip()
            assert not item.reason.startswith(UNEXPECTED), item.reason
            assert item.origin.startswith(str(path))
            continue
        assert isinstance(item, Article), item
        assert isinstance(item.text, str) and item.text.strip() == item.text != ""
        for value in (item.text, item.article_id, item.title, item.source, item.url or "", item.language):
            assert isinstance(value, str)
            assert not any(ord(c) < 32 and c not in "\n\t" for c in value), repr(value[:80])
            value.encode("utf-8")  # no lone surrogate: the splitter and the store hash the UTF-8 bytes
        assert item.article_id
    return items


# --- arbitrary bytes, every reader --------------------------------------------------------------


@pytest.mark.parametrize("ext", SUPPORTED_EXTENSIONS)
@FUZZ
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes(ext: str, data: bytes) -> None:
    check(ext, data)


# --- arbitrary text in several encodings --------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]


@pytest.mark.parametrize("ext", [".txt", ".md", ".html", ".jsonl"])
@FUZZ
@given(text=st.one_of(ANY_TEXT, PROSE), encoding=st.sampled_from(ENCODINGS))
def test_text_in_any_encoding(ext: str, text: str, encoding: str) -> None:
    # surrogates become invalid byte sequences in the UTF codecs; 8-bit codecs replace what they lack
    errors = "surrogatepass" if encoding.startswith("utf") else "replace"
    check(ext, text.encode(encoding, errors))


# --- structured-ish JSONL -----------------------------------------------------------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3), max_leaves=8
)
RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(ANY_TEXT, st.integers(), JSON_VALUES),
        "text": st.one_of(ANY_TEXT, PROSE, JSON_VALUES),
        "title": st.one_of(ANY_TEXT, JSON_VALUES),
        "date": st.one_of(st.dates().map(str), st.sampled_from(["21/11/2026", "31 febbraio 2026", "ieri"]), ANY_TEXT),
        "source": ANY_TEXT,
        "url": ANY_TEXT,
        "language": st.one_of(st.sampled_from(["it", "EN-us", "pt_BR", "xx", ""]), ANY_TEXT, JSON_VALUES),
    },
)
NASTY_LINES = st.sampled_from(
    [
        '{"id": 1' + "0" * 5000 + ', "text": "cifre"}',  # int longer than sys.get_int_max_str_digits()
        "[" * 50_000 + "]" * 50_000,  # deeper than the recursion limit
        '{"text": "rotto \\ud800 qui"}',  # lone surrogate escape
        '{"text": "\\u0000\\u0007\\u001b\\u2028\\u0085"}',  # only control characters
        '{"text": NaN, "id": Infinity}',
        '{"text": "a", "text": 3}',  # duplicate key: the last wins
        "\ufeff" + '{"text": "BOM a metà file"}',
        '{"text": "riga"',
        "",
        "   \t",
    ]
)
LINES = st.one_of(
    RECORDS.flatmap(lambda r: st.booleans().map(lambda ascii_only: json.dumps(r, ensure_ascii=ascii_only))),
    NASTY_LINES,
    ANY_TEXT,
)


@FUZZ
@given(
    lines=st.lists(LINES, min_size=1, max_size=6),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_jsonl_lines(lines: list[str], newline: str, encoding: str) -> None:
    items = check(".jsonl", newline.join(lines).encode(encoding, "surrogatepass"))
    for item in items:  # every bad line is reported with its line number
        if isinstance(item, Skipped) and item.origin.rpartition(":")[2].isdigit():
            assert item.reason.startswith(f"line {item.origin.rpartition(':')[2]}: ")


# --- structured-ish HTML ------------------------------------------------------------------------

CHARSETS = ["utf-8", "latin-1", "windows-1252", "utf-16", "base64", "rot13", "idna", "punycode", "zlib", "bogus"]
FRAGMENTS = st.one_of(
    ANY_TEXT,
    PROSE.map(lambda t: f"<p>{t}</p>"),
    st.sampled_from(["script", "style", "noscript", "nav", "article", "main", "template", "svg", "br", "div"]).flatmap(
        lambda tag: ANY_TEXT.map(lambda t: f"<{tag}>{t}</{tag}>")
    ),
    st.sampled_from(CHARSETS).map(lambda c: f'<meta charset="{c}">'),
    st.sampled_from(
        ['<meta property="og:title" content="', '<time datetime="', '<link rel="canonical" href="']
    ).flatmap(lambda head: ANY_TEXT.map(lambda t: f'{head}{t}">')),
    st.sampled_from(["<!--", "-->", "<![CDATA[", "&#0;", "&#xD800;", "&nbsp;", "<", ">", "</article>", "<html>"]),
)


@pytest.mark.parametrize("ext", [".html", ".htm"])
@FUZZ
@given(parts=st.lists(FRAGMENTS, max_size=8), encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_html_pages(ext: str, parts: list[str], encoding: str) -> None:
    check(ext, "".join(parts).encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace"))


# --- damaged PDFs -------------------------------------------------------------------------------

VALID_PDF = make_pdf([["Il governo ha approvato il decreto.", "Seconda riga del testo."], ["Pagina due."]], "Titolo")


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, len(VALID_PDF) - 1), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, len(VALID_PDF)),
    garbage=st.binary(max_size=64),
)
def test_damaged_pdfs(flips: list[tuple[int, int]], cut: int, garbage: bytes) -> None:
    data = bytearray(VALID_PDF)
    for at, value in flips:
        data[at] = value
    check(".pdf", bytes(data[:cut]) + garbage)


def test_valid_pdf_still_loads() -> None:
    """The damaged-PDF fuzzing starts from a PDF that loads."""
    [item] = check(".pdf", VALID_PDF)
    assert isinstance(item, Article) and item.title == "Titolo"


# --- text files with front matter ---------------------------------------------------------------


@pytest.mark.parametrize("ext", [".txt", ".md"])
@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["title", "date", "id", "source", "url", "language", "lang", "x-y"]), ANY_TEXT, max_size=5
    ),
    body=st.one_of(PROSE, ANY_TEXT),
)
def test_front_matter(ext: str, fields: dict[str, str], body: str) -> None:
    head = io.StringIO()
    head.write("---\n")
    for key, value in fields.items():
        head.write(f"{key}: {value}\n")
    head.write("---\n")
    check(ext, (head.getvalue() + body).encode("utf-8", "surrogatepass"))
