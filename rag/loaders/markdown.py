"""Markdown to the plain text that is stored and cited: no markup reaches a sentence.

Headings, paragraphs and list items become lines of text (blocks separated by a blank line), links
and images keep their words (their text, their alt text), emphasis and inline code keep their
content, and raw HTML tags are dropped. Parsed with markdown-it-py (CommonMark).
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark")
#: Blocks after which a new line of text starts, and those after which a blank line follows.
_LINE_END = {"list_item_close"}
_BLOCK_END = {"paragraph_close", "heading_close", "blockquote_close", "bullet_list_close", "ordered_list_close"}


def _inline(children: list[Any]) -> str:
    out: list[str] = []
    for tok in children:
        if tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type == "softbreak" or tok.type == "hardbreak":
            out.append("\n")
        elif tok.type == "image":
            out.append(tok.content)  # its alt text
    return "".join(out)


def markdown_text(source: str) -> str:
    """The text of a Markdown document without its markup."""
    parts: list[str] = []
    tight = False  # inside a tight list item, a paragraph ends with a line break only
    for tok in _PARSER.parse(source):
        if tok.type == "inline":
            parts.append(_inline(tok.children or []))
        elif tok.type in ("fence", "code_block"):
            parts.append(tok.content.rstrip("\n") + "\n\n")
        elif tok.type == "list_item_open":
            tight = True
        elif tok.type in _LINE_END:
            tight = False
            parts.append("\n")
        elif tok.type == "paragraph_close" and tok.hidden:
            continue  # a tight list's paragraph: the item's end breaks the line
        elif tok.type in _BLOCK_END:
            parts.append("\n" if tight and tok.type == "paragraph_close" else "\n\n")
    lines = "".join(parts).split("\n")
    text = "\n".join(line.rstrip() for line in lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
