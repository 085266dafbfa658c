"""Bad input end to end: every kind of bad file next to a good article, through one real ``Engine.ingest``.

Each kind gets its own folder holding one good article (``good.txt``) and the bad item(s). The whole tree is
ingested ONCE into a real index (a real embedder costs ~27 sentences/s on this machine, so one ingest per
kind would take minutes); the assertions stay per kind: the kind's good article is indexed, each bad item is
skipped with a message naming its file (and line, for JSONL) and the problem, or it is ingested as expected,
and nothing of a skipped item reaches the index (its marker word is in no stored point).

The message checked is the one users see: ``"<origin>: <reason>"``, as the CLI and the UI print it.
The file size limit is lowered to 3 MB for the ingest (``RAG_INGEST__MAX_FILE_MB=3``, the variable the
message tells users to set) so a file over it costs 4 MB, not 50. The 10 MB article is checked through the
real loader and splitter, not embedded (about 100,000 sentences: an hour of embedding here).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rag.loaders.inputs import UNEXPECTED
from rag.models import Article, Skipped
from tests.conftest import ROOT, make_settings
from tests.loaders.helpers import encrypted_pdf, make_pdf

LIMIT_MB = 3
MB = 1024 * 1024

LATIN1 = "Perché il sindaco è così contento? Ha vinto la città, dicono «tutti»."
CP1252 = "L’euro è salito a 1,08 € – “stabile”, secondo gli analisti."
UTF16 = "Il sindaco è arrivato in ritardo. Ha parlato a lungo della città."
NO_PUNCT_LINES = [
    "Il sindaco ha inaugurato il nuovo ponte sul fiume",
    "La cerimonia si è svolta alla presenza del prefetto e dei cittadini",
    "Il traffico tornerà regolare da lunedì mattina",
]
MIXED = (  # an Italian article quoting an English and a German speaker
    "Il vertice di Bruxelles si è chiuso ieri sera con un accordo sulle nuove misure economiche per le famiglie.\n\n"
    "«We have done our job, now the governments must do theirs», ha detto il commissario irlandese.\n\n"
    "Il ministro tedesco ha risposto in conferenza stampa: «Wir werden die Regeln sorgfältig prüfen».\n\n"
    "Secondo il governo italiano le misure entreranno in vigore all'inizio del prossimo anno."
)
EMOJI_RAW = (
    "Il sindaco 🎉 ha detto: «grazie» 👍🏽.\x07 Poi è uscito.\x1b[0m\nSeconda riga\x0cterza riga 🇮🇹.\x7f\x85Fine."
)
EMOJI_STORED = "Il sindaco 🎉 ha detto: «grazie» 👍🏽. Poi è uscito.[0m\nSeconda riga\nterza riga 🇮🇹.\nFine."
PAGE = """<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Pagina con script</title>
<style>body { color: red } .STYLEMARK { display: none }</style>
<script>var secret = "SCRIPTMARK"; document.write("SCRIPTMARK2");</script>
<script type="application/ld+json">{"headline": "JSONLDMARK"}</script>
</head><body><nav>NAVMARK menu</nav>
<article><h1>Il ponte riapre</h1>
<p>Il ponte sul fiume riapre oggi dopo due anni di lavori.</p>
<script>console.log("INLINESCRIPTMARK")</script><style>p { margin: 0 } /* INLINESTYLEMARK */</style>
<noscript>NOSCRIPTMARK attiva JavaScript</noscript>
<p>Lo ha annunciato il sindaco in conferenza stampa.</p></article>
<footer>FOOTERMARK copyright</footer></body></html>"""
PAGE_TEXT = (
    "Il ponte riapre\n\nIl ponte sul fiume riapre oggi dopo due anni di lavori.\n\n"
    "Lo ha annunciato il sindaco in conferenza stampa."
)
PAGE_MARKS = ["STYLEMARK", "SCRIPTMARK", "JSONLDMARK", "NAVMARK", "INLINESCRIPTMARK", "INLINESTYLEMARK"]
PAGE_MARKS += ["NOSCRIPTMARK", "FOOTERMARK"]
HUGE_LINE = ("HUGELINE " + "parola " * 300_000)[: 2 * MB]
UNICODE_NAME = "Notizia del giorno – città ü 🎉 (copia).txt"


def _sysfs_write_only() -> Path | None:
    """A kernel attribute that even root cannot open for reading (sysfs answers EACCES), if there is one."""
    for candidate in ("/sys/bus/pci/rescan", "/sys/bus/cpu/drivers_probe", "/sys/bus/platform/drivers_probe"):
        path = Path(candidate)
        try:
            path.open("rb").close()
        except PermissionError:
            return path
        except OSError:
            continue
    return None


IS_ROOT = os.geteuid() == 0
SYSFS_LOCKED = _sysfs_write_only() if IS_ROOT else None


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


def _build_unreadable(folder: Path) -> None:
    if not IS_ROOT:
        w(folder, "locked.txt", "Testo LOCKMARK che nessuno può leggere.")
        (folder / "locked.txt").chmod(0)
    elif SYSFS_LOCKED is not None:
        (folder / "locked.txt").symlink_to(SYSFS_LOCKED)


def _build_pdf_named_txt(folder: Path) -> None:
    w(folder, "report.txt", make_pdf([["Testo PDFTXTMARK in un PDF."]]))


def _build_huge_jsonl(folder: Path) -> None:
    big = {"id": "huge-rec", "text": "HUGERECMARK " + "parola " * (LIMIT_MB * MB // 7 + 10_000)}
    w(folder, "feed.jsonl", jl(big, good_record("dopo-record-enorme")))


CASES: list[Case] = [
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
    Case(
        "html-scripts",
        "HTML with scripts and styles",
        "`page.html`: `<script>`, `<style>`, JSON-LD, `<noscript>`, nav, footer",
        lambda f: w(f, "page.html", PAGE),
        ingested={"page.html": text_is(PAGE_TEXT)},
        marks=PAGE_MARKS,
    ),
    Case(
        "html-only-script",
        "HTML that is only script and style",
        "`app.html`: `<script>` + `<style>`, empty body",
        lambda f: w(
            f,
            "app.html",
            "<html><head><style>.ONLYSTYLEMARK{}</style></head><body><script>ONLYSCRIPTMARK()</script></body></html>",
        ),
        {"app.html": ["no readable text in the page", "only scripts, styles"]},
        marks=["ONLYSTYLEMARK", "ONLYSCRIPTMARK"],
    ),
    Case(
        "html-bogus-charset",
        "HTML declaring a charset that is not a text encoding",
        '`old.html`: `<meta charset="base64">`',
        lambda f: w(f, "old.html", '<html><head><meta charset="base64"></head><body><p>CHARSETMARK</p></body></html>'),
        {"old.html": ["charset 'base64' declared in the page is not a text encoding"]},
        marks=["CHARSETMARK"],
    ),
    Case(
        "pdf-encrypted",
        "encrypted PDF",
        "`locked.pdf`: RC4-128, user password",
        lambda f: w(f, "locked.pdf", encrypted_pdf(["Testo ENCMARK segreto."])),
        {"locked.pdf": ["encrypted PDF", "needs a password"]},
        marks=["ENCMARK"],
    ),
    Case(
        "pdf-no-text",
        "PDF without a text layer",
        "`scan.pdf`: one page, no text",
        lambda f: w(f, "scan.pdf", make_pdf([[]])),
        {"scan.pdf": ["no extractable text in the PDF", "OCR"]},
    ),
    Case(
        "pdf-empty",
        "zero-byte PDF",
        "`zero.pdf`, 0 bytes",
        lambda f: w(f, "zero.pdf", b""),
        {"zero.pdf": ["empty file", "0 bytes"]},
    ),
    Case(
        "pdf-damaged",
        "damaged PDF",
        "`broken.pdf`: a PDF header, then text",
        lambda f: w(f, "broken.pdf", b"%PDF-1.4\nDAMAGEDMARK not really a PDF\n"),
        {"broken.pdf": ["unreadable PDF", "damaged, or not a PDF"]},
        marks=["DAMAGEDMARK"],
    ),
    Case(
        "pdf-as-txt",
        "a .txt that is a PDF",
        "`report.txt` holding a PDF",
        _build_pdf_named_txt,
        {"report.txt": ["a PDF document, not text", "give it the .pdf extension"]},
        marks=["PDFTXTMARK"],
    ),
    Case(
        "gzip-as-txt",
        "a .txt that is gzip",
        "`notizie.txt` gzip-compressed",
        lambda f: w(f, "notizie.txt", gzip.compress(b"Testo GZIPMARK compresso.")),
        {"notizie.txt": ["gzip-compressed data, not text", "decompress it first"]},
    ),
    Case(
        "front-matter-only",
        "Markdown with front matter and no body",
        "`draft.md`: `---`/`title: FMMARK`/`---`",
        lambda f: w(f, "draft.md", "---\ntitle: FMMARK\n---\n\n"),
        {"draft.md": ["no text after the front matter"]},
        marks=["FMMARK"],
    ),
    Case(
        "unsupported",
        "unsupported file type",
        "`tabella.csv`",
        lambda f: w(f, "tabella.csv", "a,b\nCSVMARK,2\n"),
        {"tabella.csv": ["unsupported file type '.csv'", "supported: .txt"]},
        marks=["CSVMARK"],
    ),
    Case(
        "symlink-loop-folder",
        "symlink loop (folder)",
        "`loop` -> `.` (its own folder)",
        lambda f: (f / "loop").symlink_to("."),
        {"loop": ["link to a folder already read", "loop"]},
    ),
    Case(
        "symlink-loop-file",
        "symlink loop (file)",
        "`self.txt` -> `self.txt`",
        lambda f: (f / "self.txt").symlink_to("self.txt"),
        {"self.txt": ["symbolic link loop", "fix or remove the link"]},
    ),
    Case(
        "symlink-dangling",
        "dangling symlink",
        "`gone.txt` -> `missing.txt`",
        lambda f: (f / "gone.txt").symlink_to("missing.txt"),
        {"gone.txt": ["broken symbolic link", "missing.txt does not exist"]},
    ),
    Case(
        "fifo",
        "named pipe with a .txt name",
        "`pipe.txt`, a FIFO (reading it would block forever)",
        lambda f: os.mkfifo(f / "pipe.txt"),
        {"pipe.txt": ["not a regular file", "named pipe"]},
    ),
    Case(
        "unreadable",
        "unreadable file (permissions)",
        "`locked.txt`: chmod 000 (non-root); as root a link to a sysfs write-only file, which even root "
        "cannot open for reading",
        _build_unreadable,
        {"locked.txt": ["cannot read the file: Permission denied", "check its permissions"]},
        marks=["LOCKMARK"],
        unavailable=None
        if (not IS_ROOT or SYSFS_LOCKED is not None)
        else "running as root and no write-only sysfs file to link to: root reads any chmod-000 file",
    ),
    Case(
        "no-punctuation",
        "text without sentence punctuation",
        "`nopunct.txt`: three lines, no `.!?`",
        lambda f: w(f, "nopunct.txt", "\n".join(NO_PUNCT_LINES)),
        ingested={"nopunct.txt": lambda p: _check_no_punct(p)},
    ),
    Case(
        "mixed-language",
        "mixed-language article",
        "`mixed.txt`: Italian with English and German quotes",
        lambda f: w(f, "mixed.txt", MIXED),
        ingested={"mixed.txt": lambda p: _check_mixed(p)},
    ),
    Case(
        "emoji-controls",
        "emoji and control characters",
        "`emoji.txt`: emoji, skin tone, flag; BEL, ESC, DEL, form feed, NEL",
        lambda f: w(f, "emoji.txt", EMOJI_RAW),
        ingested={"emoji.txt": text_is(EMOJI_STORED)},
    ),
    Case(
        "unicode-name",
        "file name with spaces and Unicode",
        f"`{UNICODE_NAME}`",
        lambda f: w(f, UNICODE_NAME, "Il mercato coperto riapre sabato. Lo ha deciso la giunta."),
        ingested={UNICODE_NAME: lambda p: None},
    ),
]


def _check_huge_line(payload: dict[str, Any]) -> None:
    assert payload["text"] == HUGE_LINE.strip()
    assert payload["n_sentences"] == 1


def _check_no_punct(payload: dict[str, Any]) -> None:
    assert payload["text"] == "\n".join(NO_PUNCT_LINES)
    assert payload["n_sentences"] == len(NO_PUNCT_LINES)  # a line break ends a sentence


def _check_mixed(payload: dict[str, Any]) -> None:
    assert payload["text"] == MIXED
    assert payload["language"] == "it"
    assert payload["n_sentences"] == 4


# --- the one ingest -----------------------------------------------------------------------------


@dataclass
class Ingested:
    root: Path
    skipped: list[Skipped]
    points: dict[str, list[dict[str, Any]]]  # kind -> payloads
    seconds: float

    def articles_in(self, folder: Path) -> dict[str, dict[str, Any]]:
        prefix = str(folder) + os.sep
        return {p["origin"][len(prefix) :]: p for p in self.points["article"] if str(p["origin"]).startswith(prefix)}

    def skipped_in(self, folder: Path) -> dict[str, Skipped]:
        prefix = str(folder) + os.sep
        return {s.origin[len(prefix) :]: s for s in self.skipped if s.origin.startswith(prefix)}


def _all_points(engine: Any, kind: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = None
    while True:
        page, offset = engine.store.scroll(kind, None, limit=500, offset=offset)
        out.extend(r.payload for r in page)
        if offset is None:
            return out


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    from rag.engine import Engine

    base = tmp_path_factory.mktemp("bad_inputs")
    root = base / "in"
    for case in CASES:
        folder = root / case.id
        folder.mkdir(parents=True)
        w(folder, "good.txt", f"Articolo di controllo del caso {case.id}. Il consiglio comunale ha votato il bilancio.")
        case.build(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_INGEST__MAX_FILE_MB", str(LIMIT_MB))
        started = time.perf_counter()
        with Engine(make_settings(base / "index")) as engine:
            report = engine.ingest([root])
            points = {kind: _all_points(engine, kind) for kind in ("article", "chunk", "sentence", "term")}
    result = Ingested(root, report.skipped, points, time.perf_counter() - started)
    if os.environ.get("RAG_BAD_INPUTS_REPORT"):  # the outcomes, for docs/reliability.md
        _dump(result, Path(os.environ["RAG_BAD_INPUTS_REPORT"]))
    return result


def _dump(result: Ingested, path: Path) -> None:
    rows = []
    for case in CASES:
        folder = result.root / case.id
        rows.append(
            {
                "id": case.id,
                "kind": case.kind,
                "example": case.example,
                "skipped": {k: v.reason for k, v in sorted(result.skipped_in(folder).items())},
                "ingested": {
                    k: {"chars": len(p["text"]), "sentences": p["n_sentences"], "language": p["language"]}
                    for k, p in sorted(result.articles_in(folder).items())
                    if k != "good.txt"
                },
            }
        )
    path.write_text(json.dumps({"seconds": round(result.seconds, 1), "cases": rows}, ensure_ascii=False, indent=1))


# --- the checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_kind(ingested: Ingested, case: Case) -> None:
    if case.unavailable:
        pytest.skip(case.unavailable)
    folder = ingested.root / case.id
    stored = ingested.articles_in(folder)
    skipped = ingested.skipped_in(folder)

    # the good article next to the bad item is indexed, once
    assert "good.txt" in stored, f"the good article of {case.id} was not indexed"
    # exactly the expected items are skipped, each with a message naming the file (and line) and the problem
    assert set(skipped) == set(case.skipped), {k: s.reason for k, s in skipped.items()}
    for rel, words in case.skipped.items():
        s = skipped[rel]
        message = f"{s.origin}: {s.reason}"  # what `rag ingest` and the UI print
        name, _, line = rel.partition(":")
        assert name in message
        if line:  # the origin names it as file:line; the loaders' own reasons also say "line N"
            assert f"{name}:{line}: " in message
        for word in words:
            assert word in s.reason, f"{word!r} not in {s.reason!r}"
    # exactly the expected articles are stored, as expected
    assert set(stored) == {"good.txt", *case.ingested}, sorted(stored)
    for rel, check in case.ingested.items():
        check(stored[rel])
    # nothing of a skipped item (or of a page's scripts and styles) is anywhere in the index
    for mark in case.marks:
        for kind, payloads in ingested.points.items():
            hits = [p for p in payloads if mark in str(p.get("text", "")) or mark in str(p.get("title", ""))]
            assert not hits, f"{mark} stored in a {kind} point"


def test_no_loader_failed_unexpectedly(ingested: Ingested) -> None:
    assert [s for s in ingested.skipped if s.reason.startswith(UNEXPECTED)] == []


def test_every_stored_span_points_at_its_sentence_and_no_control_characters_are_stored(ingested: Ingested) -> None:
    texts = {p["article_id"]: p["text"] for p in ingested.points["article"]}
    sentences = ingested.points["sentence"]
    assert len(sentences) >= len(texts)
    for s in sentences:
        assert texts[s["article_id"]][s["start"] : s["end"]] == s["text"]
    for p in ingested.points["article"]:
        article_id, text = p["article_id"], p["text"]
        for a, b in p["sentence_spans"]:
            assert text[a:b].strip() == text[a:b] != ""
        bad = [
            c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or "\ud800" <= c <= "\udfff"
        ]
        assert bad == [], f"{article_id}: control characters {bad[:5]!r}"


def test_the_table_has_enough_kinds() -> None:
    assert len({c.kind for c in CASES}) >= 22


# --- kinds not sent through the embedder --------------------------------------------------------


def test_ten_megabyte_article_loads_and_splits_with_exact_spans(tmp_path: Path) -> None:
    """10 MB in one article: the real loader and the indexing pipeline's splitter, spans exact, in seconds."""
    from rag.components.ingest.article_splitter import ArticleSplitter
    from rag.loaders import iter_inputs

    paragraph = "".join(
        f"Il consiglio comunale di Roma ha approvato il piano numero {i} per la mobilità urbana. " for i in range(6)
    )
    repeats = 10 * MB // len(paragraph.encode()) + 1
    path = tmp_path / "enorme.txt"
    path.write_text((paragraph.strip() + "\n\n") * repeats, encoding="utf-8")
    assert path.stat().st_size >= 10 * MB
    started = time.perf_counter()
    [item] = list(iter_inputs([path]))  # the default 50 MB limit
    assert isinstance(item, Article)
    out = ArticleSplitter(8, 2, 1500).run([item])
    seconds = time.perf_counter() - started
    sentences, chunks = out["sentences"], out["chunks"]
    assert len(sentences) == 6 * repeats
    assert all(item.text[d.meta["start"] : d.meta["end"]] == d.content for d in sentences)
    assert all(item.text[d.meta["start"] : d.meta["end"]] == d.content for d in chunks)
    assert max(len(d.content or "") for d in chunks) <= 1500
    assert seconds < 60, f"{seconds:.1f}s"


def test_default_size_limit_is_50_mb_and_named_in_the_message(tmp_path: Path) -> None:
    from rag.loaders import iter_inputs

    big = tmp_path / "archivio.txt"
    with big.open("wb") as fh:  # sparse: 51 MB on paper, nothing on disk
        fh.truncate(51 * MB)
    [item] = list(iter_inputs([big]))
    assert item == Skipped(
        str(big), "file is 51.0 MB, over the 50 MB limit (raise it with RAG_INGEST__MAX_FILE_MB, or split the file)"
    )


def test_size_limit_follows_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.loaders import iter_inputs

    path = tmp_path / "medio.txt"
    path.write_text("Un articolo di media lunghezza. " * 40_000, encoding="utf-8")  # 1.2 MB
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_MB", "1")
    [item] = list(iter_inputs([path]))
    assert isinstance(item, Skipped) and "over the 1 MB limit" in item.reason
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_MB", "2")
    [item] = list(iter_inputs([path]))
    assert isinstance(item, Article)


def test_chmod_000_file_is_skipped_for_a_user_without_access() -> None:
    """A real permission denial: as root the loader runs in a child process that drops to user nobody."""
    folder = Path(tempfile.mkdtemp(prefix="rag-perm-"))
    try:
        folder.chmod(0o755)
        locked = folder / "locked.txt"
        locked.write_text("Testo che nessuno può leggere.", encoding="utf-8")
        locked.chmod(0)
        code = (
            "import os, sys\nfrom pathlib import Path\nfrom rag.loaders import iter_inputs\n"
            "if os.geteuid() == 0:\n    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "print('\\n'.join(f'{s.origin}|{s.reason}' for s in iter_inputs([Path(sys.argv[1])], max_file_mb=50)))\n"
        )
        run = subprocess.run(
            [sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == f"{locked}|cannot read the file: Permission denied (check its permissions)"
    finally:
        shutil.rmtree(folder)
