"""Plain text and Markdown: one article per file, with optional front matter; Markdown is stored as
its text without markup (rag/loaders/markdown.py)."""

from __future__ import annotations

import re
from pathlib import Path

from rag.loaders.base import decode_text, guessed_encoding, make_article, read_bytes
from rag.loaders.markdown import markdown_text
from rag.models import Article, Skipped

#: A first line longer than this is a sentence, not a title.
MAX_TITLE_CHARS = 150
_FRONT_MATTER = re.compile(r"---[ \t]*\n((?:[ \t]*[A-Za-z_][\w-]*[ \t]*:.*\n|[ \t]*\n){1,20})---[ \t]*(?:\n|\Z)")
_FIELD = re.compile(r"[ \t]*([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
_MD_HEADING = re.compile(r"#{1,6}[ \t]+(.+?)[ \t#]*$")
_SENTENCE_END = re.compile(r"[.!?…:;,]$")


def load_text(path: Path) -> Article | Skipped:
    origin = str(path)
    data = read_bytes(path)
    if isinstance(data, Skipped):
        return data
    text = decode_text(data, origin)
    if isinstance(text, Skipped):
        return text
    meta, body = split_front_matter(text)
    if not body.strip():
        return Skipped(origin, "no text after the front matter")
    markdown = path.suffix.lower() == ".md"
    title = meta.get("title") or guess_title(body, markdown=markdown)
    if markdown:  # what is stored and cited is the text, never its markup ("# ", "**", "[..](..)")
        body = markdown_text(body)
        if not body:
            return Skipped(origin, "no text in the Markdown once its markup is removed")
    return make_article(
        body,
        origin=origin,
        article_id=meta.get("id"),
        title=title,
        date=meta.get("date"),
        source=meta.get("source"),
        url=meta.get("url"),
        language=meta.get("language") or meta.get("lang"),
        default_title=path.stem,
        decoded_as=guessed_encoding(data),
    )


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """``---`` / ``key: value`` lines / ``---`` at the very start -> (fields, rest of the text)."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in m.group(1).splitlines():
        field = _FIELD.match(line)
        if field:
            value = field.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            fields[field.group(1).lower()] = value
    return fields, text[m.end() :]


def guess_title(text: str, *, markdown: bool) -> str | None:
    """The first line when it looks like a title: a Markdown heading, or short with no final
    punctuation and more text after it. The text itself keeps the line."""
    first, _, rest = text.strip().partition("\n")
    first = first.strip()
    if markdown:
        heading = _MD_HEADING.match(first)
        if heading:
            return heading.group(1)
    if rest.strip() and len(first) <= MAX_TITLE_CHARS and not _SENTENCE_END.search(first):
        return first
    return None
