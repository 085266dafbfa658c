"""PDF: the text layer extracted with pypdf, pages joined with blank lines, one article per file."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from rag.loaders.base import make_article, unreadable
from rag.models import Article, Skipped

_TERMINAL = re.compile(r"[.!?…:;\"»”)]$")
ENCRYPTED = "encrypted PDF (needs a password); save a copy without the password to ingest it"
#: The most text a PDF may expand to: this many characters per byte of file, plus a base. Text in a PDF
#: is compressed a few times at most; a 4.9 KB file whose 10 pages draw one shared stream gave 4.2
#: million characters (and a 100-second answer).
EXPANSION, EXPANSION_BASE = 50, 1_000_000
#: A line at least this long that does not end a sentence is taken as hard-wrapped prose.
_WRAPPED_LINE_CHARS = 50


def load_pdf(path: Path) -> Article | Skipped:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    origin = str(path)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable files warn a lot
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return Skipped(origin, ENCRYPTED)
        pages: list[str] = []
        limit = EXPANSION * path.stat().st_size + EXPANSION_BASE
        for page in reader.pages:  # stop as soon as the text outgrows what such a file can hold
            pages.append(page.extract_text() or "")
            if (chars := sum(map(len, pages))) > limit:
                return Skipped(origin, expands(chars, path.stat().st_size))
        info = reader.metadata
        title = info.title if info is not None else None
    except FileNotDecryptedError:
        return Skipped(origin, ENCRYPTED)
    except OSError as err:
        return Skipped(origin, unreadable(err))
    except Exception as err:  # pypdf raises many kinds of errors on damaged files
        detail = " ".join(str(err).split())[:200]
        return Skipped(origin, f"unreadable PDF ({type(err).__name__}: {detail}); is it damaged, or not a PDF?")
    text = "\n\n".join(p for p in (unwrap_lines(page) for page in pages) if p)
    if not text:
        return Skipped(origin, "no extractable text in the PDF (scanned images?); run OCR on it first, e.g. ocrmypdf")
    return make_article(
        text,
        origin=origin,
        title=title if isinstance(title, str) else None,
        default_title=path.stem,
    )


def expands(chars: int, size: int) -> str:
    return (
        f"its text expands to over {chars:,} characters from a {size / 1024:.1f} KB file (more than "
        f"{EXPANSION} per byte plus {EXPANSION_BASE:,}: pages that repeat one stream?); not ingested"
    )


def unwrap_lines(page: str) -> str:
    """Join hard-wrapped lines back into paragraphs so each line of the result is a paragraph.

    A line is joined to the next when it does not end a sentence and either is long (wrapped prose),
    ends with a comma or hyphen, or the next line starts in lowercase. Short lines without final
    punctuation (headings) stay on their own. A word split by a hyphen at the line end is rejoined.
    """
    lines: list[str] = []
    for raw in page.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            if lines and lines[-1]:
                lines.append("")
            continue
        prev = lines[-1] if lines else ""
        joins = prev and not _TERMINAL.search(prev)
        joins = joins and (len(prev) >= _WRAPPED_LINE_CHARS or prev[-1] in ",-–" or line[0].islower())
        if joins and prev.endswith("-") and line[0].islower() and len(prev) > 1 and prev[-2].isalpha():
            lines[-1] = prev[:-1] + line
        elif joins:
            lines[-1] = f"{prev} {line}"
        else:
            lines.append(line)
    return "\n".join(lines).strip()
