"""Shared pieces of the loaders: reading text files, ids, dates, language, building an Article."""

from __future__ import annotations

import codecs
import datetime
import hashlib
import logging
import re
from pathlib import Path

from rag.models import Article, Skipped
from rag.text.language import LANGUAGES, detect

#: Languages the detector chooses from; anything else would be noise for an Italian news archive.
DETECTABLE_LANGUAGES = LANGUAGES
DEFAULT_LANGUAGE = "it"
#: Below this many letters the detector is not trusted and the default language is used.
MIN_LETTERS_TO_DETECT = 40
_DETECT_CHARS = 1000


#: Default largest file (``ingest.max_file_mb``); a .jsonl file is held to it line by line instead.
DEFAULT_MAX_FILE_MB = 50.0
MB = 1024 * 1024
#: How much of a file is sniffed for its kind (byte-order mark, magic number, binary content).
_HEAD_BYTES = 8192

EMPTY = "empty file (0 bytes; nothing to ingest)"
BLANK = "empty file (only whitespace; nothing to ingest)"

_BOMS = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"%PDF-", "a PDF document, not text (give it the .pdf extension to ingest it)"),
    (b"\x1f\x8b", "gzip-compressed data, not text (decompress it first, e.g. with gunzip)"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.odt/.epub), not text (extract or export the text first)"),
    (b"\x89PNG", "a PNG image, not text"),
    (b"\xff\xd8\xff", "a JPEG image, not text"),
    (b"GIF8", "a GIF image, not text"),
    (b"\x7fELF", "an executable program, not text"),
    (b"{\\rtf", "an RTF document, not plain text (save it as .txt or .html first)"),
)
#: A well-formed multi-byte UTF-8 sequence: its presence means the file was meant to be UTF-8.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
#: Control characters that end a line (the sentence splitter breaks on them too): stored as ``\n``.
_LINE_CONTROLS = re.compile("[\v\f\x1c-\x1e\x85\u2028\u2029]")
#: Other C0/C1 control characters (tab and newline are kept) and lone surrogates (not encodable
#: as UTF-8): removed / replaced by U+FFFD.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")

log = logging.getLogger(__name__)


def too_large(size: int, limit_mb: float, what: str = "file") -> str:
    return (
        f"{what} is {size / MB:.1f} MB, over the {limit_mb:g} MB limit "
        f"(raise it with RAG_INGEST__MAX_FILE_MB, or split the file)"
    )


def unreadable(err: OSError, what: str = "file") -> str:
    """Why an OSError stopped reading a file or folder, and what to do."""
    problem = err.strerror or str(err)
    if isinstance(err, PermissionError):
        return f"cannot read the {what}: {problem} (check its permissions)"
    return f"cannot read the {what}: {problem}"


def read_bytes(path: Path) -> bytes | Skipped:
    try:
        return path.read_bytes()
    except OSError as err:
        return Skipped(str(path), unreadable(err))


def sniff(head: bytes) -> tuple[str, str | None]:
    """The first bytes of a file -> (encoding to read it with, or the problem that stops it being text).

    A byte-order mark picks UTF-8/16/32; a known magic number (PDF, gzip, ZIP, images) or NUL bytes
    and many control characters mean it is not text."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, None
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return "utf-8-sig", what
    if b"\x00" in head:
        if _looks_utf16(head):
            return "utf-8-sig", "UTF-16 text without a byte-order mark (save it as UTF-8)"
        return "utf-8-sig", f"binary file, not text (NUL byte at offset {head.index(0)})"
    if looks_binary(head):
        return "utf-8-sig", "binary file, not text (many control characters)"
    return "utf-8-sig", None


def _looks_utf16(head: bytes) -> bool:
    """Mostly-ASCII UTF-16 without a BOM: every other byte is NUL, the others never are."""
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return any(zeros.count(0) >= 0.9 * len(zeros) and 0 not in other for zeros, other in ((even, odd), (odd, even)))


def guessed_encoding(data: bytes) -> str | None:
    """``"Windows-1252"`` when :func:`decode_text` reads these bytes by that guess (they are not
    UTF-8 and carry no byte-order mark), else ``None``."""
    encoding, problem = sniff(data[:_HEAD_BYTES])
    if problem or encoding not in ("utf-8", "utf-8-sig"):
        return None
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return "Windows-1252"
    return None


def decode_text(data: bytes, origin: str) -> str | Skipped:
    """Text of a file: UTF-8 (with or without BOM), UTF-16/32 with a BOM, or Windows-1252/Latin-1
    when the bytes are not UTF-8 and hold no UTF-8 sequence at all; line endings normalised.
    A Skipped says why the bytes are not text."""
    if not data:
        return Skipped(origin, EMPTY)
    encoding, problem = sniff(data[:_HEAD_BYTES])
    if problem:
        return Skipped(origin, problem)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        if encoding in ("utf-16", "utf-32"):
            return Skipped(origin, f"not valid {encoding.upper()} (at byte offset {err.start}); save it as UTF-8")
        bad = f"byte 0x{data[err.start]:02x} at offset {err.start}"
        if _UTF8_MULTIBYTE.search(data):
            return Skipped(origin, f"not valid UTF-8 ({bad}: UTF-8 mixed with other bytes); save it as UTF-8")
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return Skipped(origin, f"not valid UTF-8 ({bad}) nor Windows-1252/Latin-1 text; save it as UTF-8")
        log.info("%s: not UTF-8, read as Windows-1252 (Latin-1)", origin)
    return checked_text(text, origin)


def checked_text(text: str, origin: str) -> str | Skipped:
    """Decoded text with a leading BOM dropped and line endings normalised; Skipped if it holds a NUL
    (binary data) or nothing but whitespace."""
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        return Skipped(origin, f"binary file, not text (NUL character at offset {text.index(chr(0))})")
    text = normalize_newlines(text)
    if not text.strip():
        return Skipped(origin, BLANK)
    return text


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control characters in the first 8 KB."""
    head = data[:_HEAD_BYTES]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) // 20


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and ``\\r`` become ``\\n``; a leading BOM is dropped. Nothing else changes."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def clean_text(text: str) -> str:
    """Stored text is printable: line endings normalised, line-ending controls (form feed, vertical tab,
    U+2028...) become ``\\n``, other control characters are removed, lone surrogates become U+FFFD."""
    text = _LINE_CONTROLS.sub("\n", normalize_newlines(text))
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


def content_id(text: str) -> str:
    """Id of an article that came without one: the same text always gets the same id."""
    return "a" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "gennaio gen genn january jan",
            "febbraio feb febbr february",
            "marzo mar march",
            "aprile apr april",
            "maggio mag may",
            "giugno giu june jun",
            "luglio lug july jul",
            "agosto ago august aug",
            "settembre set sett september sep sept",
            "ottobre ott october oct",
            "novembre nov november",
            "dicembre dic december dec",
        ],
        start=1,
    )
    for name in names.split()
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?!\d)")
_D_MONTH_Y = re.compile(r"(?<!\d)(\d{1,2})\s*[°º]?\s+([^\W\d_]+)\.?,?\s+(\d{4})(?!\d)")
_MONTH_D_Y = re.compile(r"\b([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})(?!\d)")


def parse_date(value: object) -> str | None:
    """ISO ``YYYY-MM-DD`` from an ISO date/datetime, ``21/11/2026``, ``21 novembre 2026`` (or English
    month names); None when the value is missing or cannot be read as a real date."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for pattern, order in ((_ISO, "ymd"), (_YMD, "ymd"), (_DMY, "dmy")):
        m = pattern.search(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            return _iso(parts["y"], parts["m"], parts["d"])
    m = _D_MONTH_Y.search(text)
    if m and m.group(2).lower() in _MONTHS:
        return _iso(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    m = _MONTH_D_Y.search(text)
    if m and m.group(1).lower() in _MONTHS:
        return _iso(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def normalize_language(value: object) -> str | None:
    """``"it"``, ``"IT"``, ``"it-IT"``, ``"it_IT"`` -> ``"it"``; None when not a language code."""
    if not isinstance(value, str):
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def detect_language(text: str) -> str:
    """Language of the first ~1000 characters among DETECTABLE_LANGUAGES; the default when too short."""
    return detect(text[:_DETECT_CHARS], default=DEFAULT_LANGUAGE, min_letters=MIN_LETTERS_TO_DETECT)


def make_article(
    text: str,
    *,
    origin: str,
    article_id: str | None = None,
    title: str | None = None,
    date: str | None = None,
    source: str | None = None,
    url: str | None = None,
    language: str | None = None,
    default_title: str = "",
    decoded_as: str | None = None,
) -> Article | Skipped:
    """Build an Article from already-normalised text: control characters are cleaned out (``clean_text``)
    of it and of every field, and the text is stripped at both ends. Skipped when no text is left."""
    text = clean_text(text).strip()
    if not text:
        return Skipped(origin, "no text left once control characters are removed")
    article_id = clean_text(article_id).strip() if article_id else None
    return Article(
        article_id=article_id or content_id(text),
        text=text,
        title=_field(title) or _field(default_title),
        date=parse_date(date),
        source=_field(source),
        url=web_url(url),
        language=normalize_language(language) or detect_language(text),
        origin=origin,
        decoded_as=decoded_as,
    )


def web_url(value: str | None) -> str | None:
    """An article's link, kept only when it is an http(s) URL: a ``javascript:`` or ``data:`` "link"
    stored as given would reach every API client that shows it."""
    url = _field(value)
    if not url:
        return None
    if not re.match(r"https?://[^\s/]+", url, flags=re.IGNORECASE):
        log.info("dropped a link that is not http(s): %r", url[:80])
        return None
    return url


#: Invisible characters that reorder or hide what a title or source shows (bidi overrides and isolates,
#: zero-width spaces and joiners, the BOM): "‮txt.exe" reads as "exe.txt" in a list.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _field(value: str | None) -> str:
    """A metadata value: control and invisible formatting characters cleaned out, stripped at both ends."""
    return _INVISIBLE.sub("", clean_text(value)).strip() if value else ""
