"""Shared pieces of the loaders: reading text files, ids, dates, language, building an Article."""

from __future__ import annotations

import datetime
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.models import Article, Skipped

#: Languages the detector chooses from; anything else would be noise for an Italian news archive.
DETECTABLE_LANGUAGES = ("it", "en", "fr", "de", "es", "pt")
DEFAULT_LANGUAGE = "it"
#: Below this many letters the detector is not trusted and the default language is used.
MIN_LETTERS_TO_DETECT = 40
_DETECT_CHARS = 1000


def read_bytes(path: Path) -> bytes | Skipped:
    try:
        return path.read_bytes()
    except OSError as err:
        return Skipped(str(path), f"cannot read the file: {err.strerror or err}")


def decode_text(data: bytes, origin: str) -> str | Skipped:
    """Decode UTF-8 (with or without BOM) and normalise line endings; a Skipped says why not."""
    if not data.strip():
        return Skipped(origin, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Skipped(origin, "UTF-16 text, not UTF-8; save it as UTF-8")
    if looks_binary(data):
        return Skipped(origin, "binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = f"byte 0x{data[err.start]:02x} at offset {err.start}"
        return Skipped(origin, f"not valid UTF-8 ({bad}); save it as UTF-8")
    text = normalize_newlines(text)
    if not text.strip():
        return Skipped(origin, "empty file")
    return text


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control characters in the first 8 KB."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) // 20


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and ``\\r`` become ``\\n``; a leading BOM is dropped. Nothing else changes."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


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


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(DETECTABLE_LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """Language of the first ~1000 characters among DETECTABLE_LANGUAGES; the default when too short."""
    head = text[:_DETECT_CHARS]
    if sum(ch.isalpha() for ch in head) < MIN_LETTERS_TO_DETECT:
        return DEFAULT_LANGUAGE
    language, _ = _identifier().classify(head)
    return str(language)


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
) -> Article:
    """Build an Article from already-normalised text; the text is only stripped at both ends."""
    text = text.strip()
    return Article(
        article_id=article_id if article_id else content_id(text),
        text=text,
        title=(title or "").strip() or default_title,
        date=parse_date(date),
        source=(source or "").strip(),
        url=(url or "").strip() or None,
        language=normalize_language(language) or detect_language(text),
        origin=origin,
    )
