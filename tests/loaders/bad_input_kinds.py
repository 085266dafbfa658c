"""The bad-input kinds, part one: empty, binary and mis-encoded text, files over the size limit, JSONL records.

The ``Case`` table entries and their builders, used by ``test_bad_inputs.py`` (one real ingest of all kinds).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.text.sentences import split_sentences

LIMIT_MB = 3
MB = 1024 * 1024

LATIN1 = "Perché il sindaco è così contento? Ha vinto la città, dicono «tutti»."
CP1252 = "L’euro è salito a 1,08 € – “stabile”, secondo gli analisti."
UTF16 = "Il sindaco è arrivato in ritardo. Ha parlato a lungo della città."
HUGE_LINE = ("HUGELINE " + "parola " * 300_000)[: 2 * MB]


# --- the kinds ----------------------------------------------------------------------------------


def w(folder: Path, name: str, content: str | bytes) -> None:
    (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def jl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def good_record(tag: str) -> dict[str, str]:
    return {"id": f"ok-{tag}", "text": f"Il consiglio regionale ha approvato la legge {tag}. Entra in vigore domani."}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    example: str
    build: Callable[[Path], None]
    #: origin (relative to the kind's folder) -> words the reason must contain
    skipped: dict[str, list[str]] = field(default_factory=dict)
    #: origins (relative) that must be stored, with a check of the stored article payload
    ingested: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    #: strings only the bad item holds: never in any stored point
    marks: list[str] = field(default_factory=list)
    #: why this kind cannot be checked here (it is then skipped, saying so)
    unavailable: str | None = None


def text_is(expected: str) -> Callable[[dict[str, Any]], None]:
    def check(payload: dict[str, Any]) -> None:
        assert payload["text"] == expected

    return check


def _build_huge_jsonl(folder: Path) -> None:
    big = {"id": "huge-rec", "text": "HUGERECMARK " + "parola " * (LIMIT_MB * MB // 7 + 10_000)}
    w(folder, "feed.jsonl", jl(big, good_record("dopo-record-enorme")))


TEXT_CASES: list[Case] = [
    Case(
        "empty",
        "empty file",
        "`empty.txt`, 0 bytes",
        lambda f: w(f, "empty.txt", b""),
        {"empty.txt": ["empty file", "0 bytes"]},
    ),
    Case(
        "blank",
        "whitespace only",
        "`blank.md`: spaces, tabs, CRLF",
        lambda f: w(f, "blank.md", b" \n\t \r\n  "),
        {"blank.md": ["empty file", "only whitespace"]},
    ),
    Case(
        "binary",
        "binary file",
        "`data.txt`: bytes 0-255",
        lambda f: w(f, "data.txt", bytes(range(256)) * 8),
        {"data.txt": ["binary file, not text", "NUL byte"]},
    ),
    Case(
        "nul",
        "text with a NUL byte",
        "`nul.txt`: Italian prose with one `\\x00`",
        lambda f: w(f, "nul.txt", "Testo NULMARK con un byte nullo\x00 in mezzo."),
        {"nul.txt": ["binary file", "NUL byte at offset 31"]},
        marks=["NULMARK"],
    ),
    Case(
        "bad-utf8",
        "invalid UTF-8",
        "`broken.txt`: UTF-8 text with a stray `\\xff` byte",
        lambda f: w(f, "broken.txt", "La città BADUTF8MARK è ".encode() + b"\xff" + b" bella."),
        {"broken.txt": ["not valid UTF-8", "byte 0xff", "save it as UTF-8"]},
        marks=["BADUTF8MARK"],
    ),
    Case(
        "latin1",
        "Latin-1 text",
        "`latin1.txt`: ISO-8859-1 bytes",
        lambda f: w(f, "latin1.txt", LATIN1.encode("latin-1")),
        ingested={"latin1.txt": text_is(LATIN1)},
    ),
    Case(
        "cp1252",
        "Windows-1252 text",
        "`cp1252.txt`: curly quotes, €, en dash",
        lambda f: w(f, "cp1252.txt", CP1252.encode("cp1252")),
        ingested={"cp1252.txt": text_is(CP1252)},
    ),
    Case(
        "utf16-bom",
        "UTF-16 with BOM",
        "`utf16.txt`: UTF-16-LE with BOM",
        lambda f: w(f, "utf16.txt", UTF16.encode("utf-16")),
        ingested={"utf16.txt": text_is(UTF16)},
    ),
    Case(
        "utf16-nobom",
        "UTF-16 without BOM",
        "`utf16le.txt`: UTF-16-LE, no BOM",
        lambda f: w(f, "utf16le.txt", "Testo UTF16MARK senza BOM.".encode("utf-16-le")),
        {"utf16le.txt": ["UTF-16 text without a byte-order mark", "save it as UTF-8"]},
    ),
    Case(
        "huge-line",
        "huge single line",
        "`one_line.txt`: 2 MB, no newline, no punctuation",
        lambda f: w(f, "one_line.txt", HUGE_LINE),
        ingested={"one_line.txt": lambda p: _check_huge_line(p)},
    ),
    Case(
        "too-big",
        "file over the size limit",
        f"`big.txt`: 4 MB of text, limit {LIMIT_MB} MB",
        lambda f: w(f, "big.txt", "TOOBIGMARK " + "parola " * (4 * MB // 7)),
        {"big.txt": ["4.0 MB", f"over the {LIMIT_MB} MB limit", "RAG_INGEST__MAX_FILE_MB"]},
        marks=["TOOBIGMARK"],
    ),
    Case(
        "jsonl-huge-record",
        "JSONL record over the size limit",
        f"`feed.jsonl`: line 1 is a record of 3.2 million characters, limit {LIMIT_MB} MB",
        _build_huge_jsonl,
        {"feed.jsonl:1": ["line 1", f"over the {LIMIT_MB} MB limit", "RAG_INGEST__MAX_FILE_MB"]},
        ingested={"feed.jsonl:2": lambda p: None},
        marks=["HUGERECMARK"],
    ),
    Case(
        "jsonl-malformed",
        "malformed JSONL line",
        "`feed.jsonl` line 2: `{...` cut short",
        lambda f: w(f, "feed.jsonl", jl(good_record("malformed"), '{"id": "cut", "text": "MALFORMEDMARK', "")),
        {"feed.jsonl:2": ["line 2", "invalid JSON", 'one JSON object like {"text"']},
        ingested={"feed.jsonl:1": lambda p: None},
        marks=["MALFORMEDMARK"],
    ),
    Case(
        "jsonl-no-text",
        "JSONL line without text",
        '`feed.jsonl` line 1: `{"id", "title"}` only',
        lambda f: w(f, "feed.jsonl", jl({"id": "notext", "title": "NOTEXTMARK"}, good_record("no-text"))),
        {"feed.jsonl:1": ["line 1", 'missing "text"']},
        ingested={"feed.jsonl:2": lambda p: None},
        marks=["NOTEXTMARK"],
    ),
    Case(
        "jsonl-types",
        "JSONL wrong types",
        '`feed.jsonl`: `"text"` an array, `"title"` a number, `"id"` an object',
        lambda f: w(
            f,
            "feed.jsonl",
            jl(
                {"id": "t1", "text": ["TYPESMARK"]},
                {"id": "t2", "text": "Testo TYPESMARK2.", "title": 3},
                {"id": {"a": 1}, "text": "Testo TYPESMARK3."},
                good_record("types"),
            ),
        ),
        {
            "feed.jsonl:1": ["line 1", '"text" must be a string (got array)'],
            "feed.jsonl:2": ["line 2", '"title" must be a string (got number)'],
            "feed.jsonl:3": ["line 3", '"id" must be a string or an integer (got object)'],
        },
        ingested={"feed.jsonl:4": lambda p: None},
        marks=["TYPESMARK"],
    ),
    Case(
        "jsonl-not-object",
        "JSONL line that is an array or a number",
        "`feed.jsonl`: `[...]`, `42`, `null`",
        lambda f: w(f, "feed.jsonl", jl('["ARRAYMARK", 1]', "42", "null", good_record("not-object"))),
        {
            "feed.jsonl:1": ["line 1", "not a JSON object (got array)"],
            "feed.jsonl:2": ["line 2", "not a JSON object (got number)"],
            "feed.jsonl:3": ["line 3", "not a JSON object (got null)"],
        },
        ingested={"feed.jsonl:4": lambda p: None},
        marks=["ARRAYMARK"],
    ),
    Case(
        "jsonl-pathological",
        "JSONL numbers and nesting Python cannot parse",
        "`feed.jsonl`: a 5000-digit id; arrays nested 100,000 deep",
        lambda f: w(
            f,
            "feed.jsonl",
            jl(
                '{"id": 1' + "0" * 5000 + ', "text": "DIGITSMARK"}', "[" * 100_000 + "]" * 100_000, good_record("patho")
            ),
        ),
        {
            "feed.jsonl:1": ["line 1", "invalid JSON (a number with too many digits)"],
            "feed.jsonl:2": ["line 2", "invalid JSON (nested too deeply)"],
        },
        ingested={"feed.jsonl:3": lambda p: None},
        marks=["DIGITSMARK"],
    ),
    Case(
        "jsonl-bad-utf8",
        "JSONL line in Latin-1",
        "`feed.jsonl` line 2: Latin-1 bytes",
        lambda f: w(
            f,
            "feed.jsonl",
            jl(good_record("latin1-line")).encode() + '{"text": "LATINLINEMARK è"}\n'.encode("latin-1"),
        ),
        {"feed.jsonl:2": ["line 2", "not valid UTF-8", "byte 0xe8", "save the file as UTF-8"]},
        ingested={"feed.jsonl:1": lambda p: None},
        marks=["LATINLINEMARK"],
    ),
    Case(
        "jsonl-controls",
        "JSONL text with NUL, control characters and a lone surrogate",
        '`feed.jsonl`: `"\\u0000"`, `"\\u0007"`, `"\\ud800"` escapes',
        lambda f: w(
            f,
            "feed.jsonl",
            '{"id": "ctrl", "text": "Riga con NUL\\u0000 e campanello\\u0007.\\r\\nCarattere rotto \\ud800 qui."}\n',
        ),
        ingested={"feed.jsonl:1": text_is("Riga con NUL e campanello.\nCarattere rotto \ufffd qui.")},
    ),
    Case(
        "jsonl-dup-id",
        "JSONL duplicate id",
        '`feed.jsonl`: lines 1 and 2 both `"id": "dup"`, other text; line 3 repeats line 2',
        lambda f: w(
            f,
            "feed.jsonl",
            jl(
                {"id": "dup", "text": "Prima versione DUPFIRSTMARK dell'articolo."},
                {"id": "dup", "text": "Seconda versione dell'articolo, corretta."},
                {"id": "dup", "text": "Seconda versione dell'articolo, corretta."},
            ),
        ),
        {"feed.jsonl:1": ["'dup' comes again in this batch", "feed.jsonl:2", "other content", "later one is indexed"]},
        ingested={"feed.jsonl:2": text_is("Seconda versione dell'articolo, corretta.")},
        marks=["DUPFIRSTMARK"],
    ),
    Case(
        "dup-files",
        "duplicate files in one batch",
        "`a.txt` and `a copy.txt`, same bytes",
        lambda f: [w(f, n, "Notizia duplicata: il porto resta chiuso per il vento.") for n in ("a copy.txt", "a.txt")],
        {
            "a copy.txt": [
                "comes again in this batch",
                "a.txt",
                "the same text with other metadata",
                "later one is indexed",
            ]
        },
        ingested={"a.txt": text_is("Notizia duplicata: il porto resta chiuso per il vento.")},
    ),
]


def _check_huge_line(payload: dict[str, Any]) -> None:
    assert payload["text"] == HUGE_LINE.strip()
    # one "sentence" of 2 MB before issue 25 (a 5-minute answer); now pieces cut between words
    assert payload["n_sentences"] == len(split_sentences(payload["text"])) > 1700
