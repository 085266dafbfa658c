"""JSON Lines: one article per line, ``{"id"?, "title"?, "text", "date"?, "source"?, "url"?, "language"?}``.

The file is read line by line (it may be larger than memory); each line is held to the file size limit.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from rag.loaders.base import BLANK, DEFAULT_MAX_FILE_MB, MB, make_article, normalize_newlines, sniff, unreadable
from rag.models import Article, Skipped

_OPTIONAL_STRINGS = ("title", "date", "source", "url", "language")
#: What ``surrogateescape`` turns an undecodable byte into.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_FIX = ' (each line must be one JSON object like {"text": "..."})'


def load_jsonl(path: Path, max_line_mb: float = DEFAULT_MAX_FILE_MB) -> Iterator[Article | Skipped]:
    """One Article per valid line; a bad line yields a Skipped (origin ``path:line``) and the rest still load."""
    origin = str(path)
    try:
        fh = path.open("rb")
    except OSError as err:
        yield Skipped(origin, unreadable(err))
        return
    with fh:
        try:
            encoding, problem = sniff(fh.read(8192))
            if problem:
                yield Skipped(origin, problem)
                return
            fh.seek(0)
            stream = io.TextIOWrapper(fh, encoding=encoding, errors="surrogateescape", newline=None)
            yield from _lines(stream, origin, max_line_mb)
        except UnicodeDecodeError as err:  # only UTF-16/32 can fail: UTF-8 errors are escaped per line
            yield Skipped(origin, f"not valid {err.encoding.upper()} (at byte offset {err.start}); save it as UTF-8")
        except OSError as err:
            yield Skipped(origin, unreadable(err))


def _lines(stream: io.TextIOWrapper, origin: str, max_line_mb: float) -> Iterator[Article | Skipped]:
    limit = max(1, int(max_line_mb * MB))  # characters: at least as many bytes
    lineno = 0
    any_text = False
    while line := stream.readline(limit):
        lineno += 1
        where = f"{origin}:{lineno}"
        if len(line) >= limit and not line.endswith("\n"):
            size = len(line)
            while (more := stream.readline(limit)) and not more.endswith("\n"):
                size += len(more)
            size += len(more)
            any_text = True
            yield Skipped(where, f"line {lineno}: {_too_long(size, max_line_mb)}")
            continue
        line = line.removesuffix("\n")
        if not line.strip():
            continue
        any_text = True
        bad = _ESCAPED_BYTE.search(line)
        if bad:
            byte = ord(bad.group()) - 0xDC00
            at = f"byte 0x{byte:02x} at column {bad.start() + 1}"
            yield Skipped(where, f"line {lineno}: not valid UTF-8 ({at}); save the file as UTF-8")
            continue
        yield parse_line(line, lineno, where)
    if not any_text:
        yield Skipped(origin, BLANK)


def _too_long(chars: int, limit_mb: float) -> str:
    return (
        f"record of {chars / 1e6:.1f} million characters, over the {limit_mb:g} MB limit "
        "(raise it with RAG_INGEST__MAX_FILE_MB, or split the record)"
    )


def parse_line(line: str, lineno: int, origin: str) -> Article | Skipped:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        msg = err.msg.removesuffix(" at")  # "Invalid control character at"
        return Skipped(origin, f"line {lineno}: invalid JSON ({msg} at col {err.colno}){_FIX}")
    except RecursionError:
        return Skipped(origin, f"line {lineno}: invalid JSON (nested too deeply){_FIX}")
    except ValueError:  # the only other ValueError: an integer longer than sys.get_int_max_str_digits()
        return Skipped(origin, f"line {lineno}: invalid JSON (a number with too many digits){_FIX}")
    if not isinstance(record, dict):
        return Skipped(origin, f"line {lineno}: not a JSON object (got {_json_type(record)}){_FIX}")
    text = record.get("text")
    if text is None:
        return Skipped(origin, f'line {lineno}: missing "text" (the article text goes in a "text" field)')
    if not isinstance(text, str):
        return Skipped(origin, f'line {lineno}: "text" must be a string (got {_json_type(text)})')
    if not text.strip():
        return Skipped(origin, f'line {lineno}: empty "text" (nothing to ingest)')
    article_id = record.get("id")
    if article_id is not None and (isinstance(article_id, bool) or not isinstance(article_id, str | int)):
        return Skipped(origin, f'line {lineno}: "id" must be a string or an integer (got {_json_type(article_id)})')
    for key in _OPTIONAL_STRINGS:
        if record.get(key) is not None and not isinstance(record[key], str):
            return Skipped(origin, f'line {lineno}: "{key}" must be a string (got {_json_type(record[key])})')
    article = make_article(
        normalize_newlines(text),
        origin=origin,
        article_id=str(article_id).strip() if article_id is not None else None,
        title=record.get("title"),
        date=record.get("date"),
        source=record.get("source"),
        url=record.get("url"),
        language=record.get("language"),
    )
    if isinstance(article, Skipped):  # e.g. a text of control characters only
        return Skipped(origin, f"line {lineno}: {article.reason}")
    return article


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
