"""Loaders: .txt, .md and .jsonl, every bad input with its exact reason, ids, dates, languages, walking folders.

HTML and PDF are in ``test_html_pdf_loaders.py``.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path

import pytest

from rag.errors import InputFileError
from rag.loaders import SUPPORTED_EXTENSIONS, count_inputs, iter_inputs, list_files
from rag.loaders.base import parse_date
from rag.loaders.text import load_text
from rag.models import Article, Skipped
from tests.loaders.helpers import article, load, skipped, write

ROOT = Path(__file__).resolve().parents[2]
SQUAD_CORPUS = ROOT.parent / "shared" / "eval" / "squad_it" / "corpus.jsonl"

IT_TEXT = (
    "Il governo ha approvato ieri sera il decreto sulle nuove misure economiche per le famiglie.\n\n"
    "Lo ha annunciato il Presidente del Consiglio durante una conferenza stampa a Palazzo Chigi."
)
EN_TEXT = (
    "The government approved the decree on new economic measures for families last night.\n\n"
    "The Prime Minister announced it during a press conference in Rome on Thursday afternoon."
)


FIX = ' (each line must be one JSON object like {"text": "..."})'


def sha_id(text: str) -> str:
    return "a" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- .txt / .md -------------------------------------------------------------------------------


def test_txt_title_from_short_first_line(tmp_path: Path) -> None:
    text = "Decreto famiglie approvato\n" + IT_TEXT
    a = article(write(tmp_path / "news.txt", text))
    assert a.title == "Decreto famiglie approvato"
    assert a.text == text  # the title line stays in the text
    assert a.article_id == sha_id(text)
    assert (a.source, a.date, a.url, a.language) == ("", None, None, "it")
    assert a.origin == str(tmp_path / "news.txt")


def test_txt_without_title_line_uses_file_stem(tmp_path: Path) -> None:
    a = article(write(tmp_path / "000_abc.txt", IT_TEXT))
    assert a.title == "000_abc"
    assert a.text == IT_TEXT


def test_txt_normalizes_line_endings_bom_and_outer_whitespace(tmp_path: Path) -> None:
    raw = b"\xef\xbb\xbf\r\n  " + IT_TEXT.replace("\n", "\r\n").encode("utf-8") + b"\r\n\r\n"
    a = article(write(tmp_path / "crlf.txt", raw))
    assert a.text == IT_TEXT


def test_txt_front_matter_is_used_and_stripped(tmp_path: Path) -> None:
    content = (
        "---\ntitle: Nuove misure\ndate: 21 novembre 2026\nsource: ANSA\nurl: https://example.it/a\n---\n" + IT_TEXT
    )
    a = article(write(tmp_path / "fm.txt", content))
    assert (a.title, a.date, a.source, a.url) == ("Nuove misure", "2026-11-21", "ANSA", "https://example.it/a")
    assert a.text == IT_TEXT


def test_front_matter_only_is_skipped(tmp_path: Path) -> None:
    assert skipped(write(tmp_path / "fm.txt", "---\ntitle: X\n---\n\n")).reason == "no text after the front matter"


def test_md_heading_is_the_title_and_its_text_is_kept_without_the_mark(tmp_path: Path) -> None:
    content = "# Il decreto famiglie\n\n" + IT_TEXT
    a = article(write(tmp_path / "n.md", content))
    assert a.title == "Il decreto famiglie"
    assert a.text == "Il decreto famiglie\n\n" + IT_TEXT


def test_content_hash_id_is_stable(tmp_path: Path) -> None:
    first = article(write(tmp_path / "one" / "a.txt", IT_TEXT))
    second = article(write(tmp_path / "two" / "b.txt", IT_TEXT + "\n"))
    assert first.article_id == second.article_id == sha_id(IT_TEXT)
    assert article(tmp_path / "one" / "a.txt") == first


def test_language_detection(tmp_path: Path) -> None:
    assert article(write(tmp_path / "en.txt", EN_TEXT)).language == "en"
    assert article(write(tmp_path / "it.txt", IT_TEXT)).language == "it"
    assert article(write(tmp_path / "short.txt", "OK.")).language == "it"


# --- bad inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file (0 bytes; nothing to ingest)"),
        ("blank.txt", b"  \n\t\r\n ", "empty file (only whitespace; nothing to ingest)"),
        ("bom_only.md", b"\xef\xbb\xbf\n", "empty file (only whitespace; nothing to ingest)"),
        ("nul.txt", b"abc\x00def", "binary file, not text (NUL byte at offset 3)"),
        ("image.txt", bytes(range(256)) * 4, "binary file, not text (NUL byte at offset 0)"),
        ("ctrl.txt", bytes(range(1, 32)) * 40, "binary file, not text (many control characters)"),
        ("late_nul.txt", b"a" * 9000 + b"\x00", "binary file, not text (NUL character at offset 9000)"),
        (
            "utf16_nobom.txt",
            "Ciao a tutti".encode("utf-16-le"),
            "UTF-16 text without a byte-order mark (save it as UTF-8)",
        ),
        (
            "mixed.txt",
            "città".encode() + b" \xff",
            "not valid UTF-8 (byte 0xff at offset 7: UTF-8 mixed with other bytes); save it as UTF-8",
        ),
        (
            "undefined_cp1252.txt",
            b"caff\x81",
            "not valid UTF-8 (byte 0x81 at offset 4) nor Windows-1252/Latin-1 text; save it as UTF-8",
        ),
        ("bad_utf16.txt", codecs.BOM_UTF16_LE + b"\x00\xd8", "not valid UTF-16 (at byte offset 2); save it as UTF-8"),
        ("empty.jsonl", b"\n\n", "empty file (only whitespace; nothing to ingest)"),
        ("empty.html", b"", "empty file (0 bytes; nothing to ingest)"),
    ],
)
def test_bad_input_reasons(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    s = skipped(write(tmp_path / name, content))
    assert s == Skipped(str(tmp_path / name), reason)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("latin1.txt", "Perché è così, disse il sindaco: «va bene».".encode("latin-1")),
        ("cp1252.txt", "L’euro è a 1,08 € – “stabile”.".encode("cp1252")),
        ("utf16.txt", "Perché è così, disse il sindaco: «va bene».".encode("utf-16")),
        ("utf16be.md", codecs.BOM_UTF16_BE + "Perché è così.".encode("utf-16-be")),
        ("utf32.txt", "Perché è così.".encode("utf-32")),
    ],
)
def test_other_encodings_are_decoded(tmp_path: Path, name: str, content: bytes) -> None:
    """Windows-1252/Latin-1 (no UTF-8 sequence at all in the file) and UTF-16/32 with a BOM are read."""
    encoding = {"latin1": "latin-1", "cp1252": "cp1252"}.get(name.split(".")[0])
    expected = content.decode(encoding) if encoding else content.decode("utf-16-be" if "be" in name else name[:5])
    assert article(write(tmp_path / name, content)).text == expected.lstrip("\ufeff")


def test_latin1_jsonl_line_is_skipped_with_its_line(tmp_path: Path) -> None:
    """JSON is UTF-8 by definition: a line in another encoding is reported, the others load."""
    path = write(tmp_path / "feed.jsonl", b'{"text": "Primo."}\n' + '{"text": "è"}\n'.encode("latin-1"))
    first, second = load(path)
    assert isinstance(first, Article) and first.text == "Primo."
    assert second == Skipped(f"{path}:2", "line 2: not valid UTF-8 (byte 0xe8 at column 11); save the file as UTF-8")


def test_unsupported_extension(tmp_path: Path) -> None:
    s = skipped(write(tmp_path / "photo.JPG", b"\xff\xd8"))
    assert s.reason == f"unsupported file type '.jpg' (supported: {', '.join(SUPPORTED_EXTENSIONS)})"
    assert s.reason == "unsupported file type '.jpg' (supported: .txt, .md, .html, .htm, .jsonl, .pdf)"
    assert skipped(write(tmp_path / "README", "x")).reason.startswith("unsupported file type (no extension)")


def test_missing_path_raises_at_once(tmp_path: Path) -> None:
    write(tmp_path / "ok.txt", IT_TEXT)
    missing = tmp_path / "nope"
    with pytest.raises(InputFileError) as err:
        iter_inputs([tmp_path / "ok.txt", missing])  # raised by the call, before anything loads
    assert str(err.value) == f"{missing}: no such file or folder"
    assert err.value.path == str(missing)


def test_folder_walk_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "Testo B abbastanza lungo.")
    write(tmp_path / "a.txt", "Testo A abbastanza lungo.")
    write(tmp_path / "sub" / "c.md", "Testo C abbastanza lungo.")
    write(tmp_path / ".hidden.txt", "nascosto")
    write(tmp_path / ".git" / "d.txt", "nascosto")
    write(tmp_path / "z.csv", "a,b")
    items = load(tmp_path)
    assert [Path(i.origin).relative_to(tmp_path).as_posix() for i in items] == ["a.txt", "b.txt", "sub/c.md", "z.csv"]
    assert isinstance(items[-1], Skipped)


def test_links_pipes_and_loops_are_reported_not_followed(tmp_path: Path) -> None:
    """iter_inputs reports them (no hang on the pipe, no endless walk); list_files (used to upload files to a
    service) and count_inputs leave the unreadable ones out."""
    import os

    good = write(tmp_path / "a.txt", IT_TEXT)
    (tmp_path / "gone.txt").symlink_to("missing.txt")
    (tmp_path / "self.txt").symlink_to("self.txt")
    (tmp_path / "loop").symlink_to(".")
    os.mkfifo(tmp_path / "pipe.txt")
    reasons = {Path(i.origin).name: i.reason for i in load(tmp_path) if isinstance(i, Skipped)}
    assert reasons == {
        "gone.txt": "broken symbolic link: its target missing.txt does not exist (fix or remove the link)",
        "self.txt": "symbolic link loop (-> self.txt); fix or remove the link",
        "loop": "link to a folder already read (a symbolic link loop?); not read again",
        "pipe.txt": "not a regular file (a named pipe, socket or device); not read",
    }
    assert list_files([tmp_path]) == [good]
    assert count_inputs([tmp_path]) == 5  # an estimate for progress bars: one per reported item too


def test_files_and_folders_mixed(tmp_path: Path) -> None:
    single = write(tmp_path / "x" / "one.txt", IT_TEXT)
    write(tmp_path / "y" / "two.txt", EN_TEXT)
    items = load(single, tmp_path / "y")
    assert [i.text for i in items if isinstance(i, Article)] == [IT_TEXT, EN_TEXT]


# --- .jsonl -------------------------------------------------------------------------------------


def test_jsonl_articles_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "id": "n1",
                "title": "Primo",
                "text": IT_TEXT,
                "date": "2026-11-21T08:00:00Z",
                "source": "ANSA",
                "url": "https://e.it/1",
            }
        ),
        "",
        '{"id": "n2", "text": "manca una virgola" "title": "x"}',
        json.dumps(["non", "un", "oggetto"]),
        json.dumps({"id": "n4", "title": "senza testo"}),
        json.dumps({"id": "n5", "text": "   "}),
        json.dumps({"id": "n6", "text": 42}),
        json.dumps({"id": 7, "text": EN_TEXT, "language": "EN-us", "date": "21/11/2026"}),
        json.dumps({"text": "Testo senza id, con data strana.", "date": "ieri"}),
        json.dumps({"id": ["x"], "text": "id sbagliato"}),
        json.dumps({"text": "titolo sbagliato", "title": 3}),
        "   ",
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    items = load(path)
    by_line = {int(i.origin.rsplit(":", 1)[1]): i for i in items}
    assert sorted(by_line) == [1, 3, 4, 5, 6, 7, 8, 9, 10, 11]

    first = by_line[1]
    assert isinstance(first, Article)
    assert (first.article_id, first.title, first.date, first.source, first.url, first.text) == (
        "n1",
        "Primo",
        "2026-11-21",
        "ANSA",
        "https://e.it/1",
        IT_TEXT,
    )
    assert first.origin == f"{path}:1"

    reasons = {n: i.reason for n, i in by_line.items() if isinstance(i, Skipped)}
    assert reasons == {
        3: "line 3: invalid JSON (Expecting ',' delimiter at col 42)" + FIX,
        4: "line 4: not a JSON object (got array)" + FIX,
        5: 'line 5: missing "text" (the article text goes in a "text" field)',
        6: 'line 6: empty "text" (nothing to ingest)',
        7: 'line 7: "text" must be a string (got number)',
        10: 'line 10: "id" must be a string or an integer (got array)',
        11: 'line 11: "title" must be a string (got number)',
    }
    eighth = by_line[8]
    assert isinstance(eighth, Article)
    assert (eighth.article_id, eighth.language, eighth.date, eighth.title) == ("7", "en", "2026-11-21", "")
    ninth = by_line[9]
    assert isinstance(ninth, Article)
    assert ninth.article_id == sha_id("Testo senza id, con data strana.") and ninth.date is None


def test_jsonl_text_is_normalized_like_files(tmp_path: Path) -> None:
    path = write(tmp_path / "n.jsonl", json.dumps({"text": "\ufeff  Riga uno.\r\nRiga due.\r\n "}) + "\n")
    assert article(path).text == "Riga uno.\nRiga due."


@pytest.mark.skipif(not SQUAD_CORPUS.exists(), reason="../shared/eval/squad_it/corpus.jsonl not present")
def test_squad_it_corpus_ingests_as_is() -> None:
    records = [json.loads(line) for line in SQUAD_CORPUS.read_text(encoding="utf-8").splitlines()]
    items = load(SQUAD_CORPUS)
    assert all(isinstance(i, Article) for i in items)
    assert [i.article_id for i in items] == [r["id"] for r in records]
    assert [i.text for i in items] == [r["text"].strip() for r in records]
    assert [i.title for i in items] == [r["title"] for r in records]
    assert items[0].origin == f"{SQUAD_CORPUS}:1"
    assert {i.language for i in items} == {"it"}


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-21", "2026-11-21"),
        ("2026-11-21T10:00:00+01:00", "2026-11-21"),
        ("21/11/2026", "2026-11-21"),
        ("21.11.2026", "2026-11-21"),
        ("21 novembre 2026", "2026-11-21"),
        ("sabato 1° marzo 2025", "2025-03-01"),
        ("21 nov. 2026", "2026-11-21"),
        ("November 21, 2026", "2026-11-21"),
        ("31/02/2026", None),
        ("ieri", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: str | None) -> None:
    assert parse_date(value) == expected


def test_markdown_markup_never_reaches_the_stored_text(tmp_path: Path) -> None:
    from rag.text.sentences import split_sentences

    content = (
        "# Il nuovo ponte\n\nIl **sindaco** ha detto che il [ponte](https://x.it/p) è lungo *412* metri.\n\n"
        "## Dettagli\n\n- Il primo lotto costa `3` milioni.\n- Il secondo <b>lotto</b> ne costa 4.\n\n"
        "> Una citazione del sindaco.\n"
    )
    a = article(write(tmp_path / "p.md", content))
    assert a.title == "Il nuovo ponte"
    for mark in ("#", "**", "*", "`", "[", "](", "<b>", "> "):
        assert mark not in a.text, mark
    assert "Il sindaco ha detto che il ponte è lungo 412 metri." in a.text
    quotes = [a.text[s:e] for s, e in split_sentences(a.text)]
    assert "Il primo lotto costa 3 milioni." in quotes and "Il secondo lotto ne costa 4." in quotes
    only_markup = write(tmp_path / "empty.md", "# \n\n---\n\n<br>\n")
    assert isinstance(load_text(only_markup), Skipped)  # nothing but markup: nothing to store
