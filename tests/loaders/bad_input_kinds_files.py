"""The bad-input kinds, part two: HTML, PDF, mislabelled and unsupported files, links, pipes, permissions,
and odd but valid text (no punctuation, mixed languages, emoji, a Unicode file name).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

from tests.loaders.bad_input_kinds import Case, text_is, w
from tests.loaders.helpers import encrypted_pdf, make_pdf

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


def _build_unreadable(folder: Path) -> None:
    if not IS_ROOT:
        w(folder, "locked.txt", "Testo LOCKMARK che nessuno può leggere.")
        (folder / "locked.txt").chmod(0)
    elif SYSFS_LOCKED is not None:
        (folder / "locked.txt").symlink_to(SYSFS_LOCKED)


def _build_pdf_named_txt(folder: Path) -> None:
    w(folder, "report.txt", make_pdf([["Testo PDFTXTMARK in un PDF."]]))


FILE_CASES: list[Case] = [
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


def _check_no_punct(payload: dict[str, Any]) -> None:
    assert payload["text"] == "\n".join(NO_PUNCT_LINES)
    assert payload["n_sentences"] == len(NO_PUNCT_LINES)  # a line break ends a sentence


def _check_mixed(payload: dict[str, Any]) -> None:
    assert payload["text"] == MIXED
    assert payload["language"] == "it"
    assert payload["n_sentences"] == 4
