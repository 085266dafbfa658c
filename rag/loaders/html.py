"""HTML: the readable text of the page (no scripts, styles, menus, footers), one article per file."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

from rag.loaders.base import checked_text, decode_text, guessed_encoding, make_article, read_bytes, sniff
from rag.models import Article, Skipped

_SKIP = frozenset(
    ["script", "style", "noscript", "template", "nav", "footer", "aside", "form", "button", "select", "iframe"]
    + ["svg", "canvas", "object", "embed", "head"]
)
_BLOCK = frozenset(
    ["address", "article", "blockquote", "caption", "dd", "details", "dialog", "div", "dl", "dt", "fieldset"]
    + ["figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "ol"]
    + ["p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
)
_WHITESPACE = re.compile(r"\s+")
_PARAGRAPH = "\x00"  # marker between blocks while walking the tree
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)


def load_html(path: Path) -> Article | Skipped:
    origin = str(path)
    data = read_bytes(path)
    if isinstance(data, Skipped):
        return data
    html = decode_html(data, origin)
    if isinstance(html, Skipped):
        return html
    depth = nesting_depth(html)
    if depth > MAX_DEPTH:  # the parser's time grows with the square of it: 100k levels took 24 s
        return Skipped(origin, f"HTML nested {depth:,} levels deep (over {MAX_DEPTH:,}): not a page to read")
    tree = LexborHTMLParser(html)
    text = readable_text(tree)
    if not text:
        return Skipped(origin, "no readable text in the page (only scripts, styles, navigation or empty tags)")
    return make_article(
        text,
        origin=origin,
        title=_meta(tree, 'meta[property="og:title"]') or _text(tree, "title") or _text(tree, "h1"),
        date=_meta(tree, 'meta[property="article:published_time"]')
        or _meta(tree, 'meta[itemprop="datePublished"]')
        or _meta(tree, 'meta[name="date"]')
        or _attr(tree, "time[datetime]", "datetime"),
        source=_meta(tree, 'meta[property="og:site_name"]'),
        url=_attr(tree, 'link[rel="canonical"]', "href") or _meta(tree, 'meta[property="og:url"]'),
        default_title=path.stem,
        decoded_as=None if _META_CHARSET.search(data[:4096]) else guessed_encoding(data),
    )


#: Deeper than any page a person reads (a news page nests a few dozen levels).
MAX_DEPTH = 5_000
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>")
#: Never closed (void), or often left open (optional end tags): they do not deepen the count.
_UNCOUNTED = frozenset([
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "colgroup",
    "caption", "rb", "rt", "rtc", "rp",
])  # fmt: skip


def nesting_depth(html: str) -> int:
    """The deepest nesting of (closed) elements, counted from the tags alone, before parsing."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if self_closing or name.lower() in _UNCOUNTED:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def decode_html(data: bytes, origin: str) -> str | Skipped:
    """UTF-8, unless the page declares another charset in a ``<meta>`` tag (then that one); a byte-order
    mark wins over the declaration, and UTF-16/32 declared in the page itself is read as UTF-8, as
    browsers do (a page that can be read as ASCII to find the tag is not UTF-16)."""
    has_bom = data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    declared = None if has_bom else _META_CHARSET.search(data[:4096])
    if declared:
        _, problem = sniff(data[:8192])
        if problem:
            return Skipped(origin, problem)
        name = declared.group(1).decode("ascii").lower()
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            return Skipped(origin, f"unknown charset {name!r} declared in the page (fix its <meta charset>)")
        if codec in ("iso8859-1", "ascii"):
            codec = "cp1252"  # what browsers do with these labels
        if codec not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
            try:
                text = data.decode(codec)
            except LookupError:  # codecs.lookup also knows non-text codecs (base64, rot13, zlib...)
                return Skipped(origin, f"charset {name!r} declared in the page is not a text encoding")
            except (UnicodeError, ValueError) as err:
                where = f" at offset {err.start}" if isinstance(err, UnicodeDecodeError) else ""
                return Skipped(origin, f"not valid {name} as the page declares (bad byte{where}); save it as UTF-8")
            return checked_text(text, origin)  # lone surrogates (UTF-7 can make them) are cleaned later
    return decode_text(data, origin)


def readable_text(tree: LexborHTMLParser) -> str:
    """Text of the main content: blocks become paragraphs (blank line between), ``<br>`` a newline."""
    articles = tree.css("article")
    root = articles[0] if len(articles) == 1 else tree.css_first("main") or tree.body
    if root is None:
        return ""
    parts: list[str] = []
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag
        if leaving:
            parts.append(_PARAGRAPH)
        elif tag == "-text":
            parts.append(_WHITESPACE.sub(" ", node.text(deep=False)))  # source newlines are just spaces
        elif tag == "br":
            parts.append("\n")
        elif node.is_element_node and tag not in _SKIP:
            if tag in _BLOCK:
                parts.append(_PARAGRAPH)
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    paragraphs = []
    for block in "".join(parts).split(_PARAGRAPH):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _meta(tree: LexborHTMLParser, selector: str) -> str | None:
    return _attr(tree, selector, "content")


def _attr(tree: LexborHTMLParser, selector: str, name: str) -> str | None:
    node = tree.css_first(selector)
    value = node.attributes.get(name) if node is not None else None
    return (value.strip() or None) if value else None


def _text(tree: LexborHTMLParser, selector: str) -> str | None:
    node = tree.css_first(selector)
    return (" ".join(node.text().split()) or None) if node is not None else None
