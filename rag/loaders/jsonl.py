"""JSON Lines: one article per line, ``{"id"?, "title"?, "text", "date"?, "source"?, "url"?, "language"?}``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from rag.loaders.base import decode_text, make_article, normalize_newlines, read_bytes
from rag.models import Article, Skipped

_OPTIONAL_STRINGS = ("title", "date", "source", "url", "language")


def load_jsonl(path: Path) -> Iterator[Article | Skipped]:
    """One Article per valid line; a bad line yields a Skipped (origin ``path:line``) and the rest still load."""
    origin = str(path)
    data = read_bytes(path)
    if isinstance(data, Skipped):
        yield data
        return
    content = decode_text(data, origin)
    if isinstance(content, Skipped):
        yield content
        return
    for lineno, line in enumerate(content.split("\n"), start=1):
        if line.strip():
            yield parse_line(line, lineno, f"{origin}:{lineno}")


def parse_line(line: str, lineno: int, origin: str) -> Article | Skipped:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return Skipped(origin, f"line {lineno}: invalid JSON ({err.msg} at col {err.colno})")
    if not isinstance(record, dict):
        return Skipped(origin, f"line {lineno}: not a JSON object (got {_json_type(record)})")
    text = record.get("text")
    if text is None:
        return Skipped(origin, f'line {lineno}: missing "text"')
    if not isinstance(text, str):
        return Skipped(origin, f'line {lineno}: "text" must be a string (got {_json_type(text)})')
    if not text.strip():
        return Skipped(origin, f'line {lineno}: empty "text"')
    article_id = record.get("id")
    if article_id is not None and (isinstance(article_id, bool) or not isinstance(article_id, str | int)):
        return Skipped(origin, f'line {lineno}: "id" must be a string or an integer (got {_json_type(article_id)})')
    for key in _OPTIONAL_STRINGS:
        if record.get(key) is not None and not isinstance(record[key], str):
            return Skipped(origin, f'line {lineno}: "{key}" must be a string (got {_json_type(record[key])})')
    return make_article(
        normalize_newlines(text),
        origin=origin,
        article_id=str(article_id).strip() if article_id is not None else None,
        title=record.get("title"),
        date=record.get("date"),
        source=record.get("source"),
        url=record.get("url"),
        language=record.get("language"),
    )


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
