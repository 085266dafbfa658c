"""HTML of the source browser: search hits whose titles open their article, and the article view with
its sentences (the opened one highlighted) and the places this chat cited it. Every piece of article
or user text is escaped; clickable items carry ``data-open`` (article id) and ``data-start`` /
``data-end`` (a span to highlight), which the page script hands to the server (ui/script.js)."""

from __future__ import annotations

from html import escape
from typing import Any

from ui.render import details

#: A hit's best sentence is highlighted when it scores at least this share of the results' best one: a
#: weak hit's best sentence (an unrelated article's only one) is no match worth marking.
HIGHLIGHT_SHARE = 0.5


def _details(source: str | None, date: str | None, url: str | None) -> str:
    """`` · source · date · link`` (what of them an article has), escaped; links only when http(s)."""
    return "".join(f" · {p}" for p in details(source, date, url))


def _open_attrs(article_id: str, start: int | None = None, end: int | None = None) -> str:
    attrs = f"data-open='{escape(article_id, quote=True)}'"
    if start is not None and end is not None:
        attrs += f" data-start='{int(start)}' data-end='{int(end)}'"
    return attrs


def search_html(result: dict[str, Any], titles: dict[str, str] | None = None) -> str:
    """Search hits, best first: the chunk with its best matching sentence highlighted, if it matches
    about as well as the results' best (highlighting every sentence search scored marked nearly all).
    A hit's title (the display title from ``titles``) and each matching sentence open the article there."""
    titles = titles or {}
    notice = f"<div class='filter-note'>{escape(result['notice'])}</div>" if result.get("notice") else ""
    if not result["hits"]:
        return f"{notice}<div class='results empty'>No matching articles.</div>"
    rows = []
    top = max((s.get("score") or 0.0 for hit in result["hits"] for s in hit["sentences"]), default=0.0)
    for rank, hit in enumerate(result["hits"], 1):
        aid = hit["article_id"]
        best = max(hit["sentences"], key=lambda s: s.get("score") or 0.0, default=None)
        first = (best["start"], best["end"]) if best else (hit["start"], hit["end"])
        marked = first if best and (best.get("score") or 0.0) >= HIGHLIGHT_SHARE * top else None
        spans = sorted((s["start"], s["end"]) for s in hit["sentences"])
        text = hit["text"]
        out, pos = [], 0
        for start, end in spans:  # only the best match is highlighted; every matched sentence opens
            a, b = start - hit["start"], end - hit["start"]
            if a < pos or a < 0 or b > len(text):
                continue
            tag, cls = ("mark", "cite-hl opens best") if (start, end) == marked else ("span", "opens")
            out.append(
                escape(text[pos:a]) + f"<{tag} class='{cls}' {_open_attrs(aid, start, end)} "
                f"title='open the article at this sentence'>{escape(text[a:b])}</{tag}>"
            )
            pos = b
        out.append(escape(text[pos:]))
        title = titles.get(aid) or hit.get("title") or aid
        opener = (
            f"<button type='button' class='open-article' {_open_attrs(aid, *first)} "
            f"title='read the whole article'>{escape(title)}</button>"
        )
        rest = _details(hit.get("source"), hit.get("date"), hit.get("url"))
        rows.append(
            f"<div class='result'><div class='result-head'><span class='rank'>{rank}</span> {opener}{rest}"
            f" <span class='score'>score {hit['score']:.3f}</span></div>"
            f"<div class='result-text'>{''.join(out)}</div></div>"
        )
    return notice + "<div class='results'>" + "".join(rows) + "</div>"


def _sentences(text: str, spans: list[tuple[int, int]], active: tuple[int, int] | None, cited: set[int]) -> str:
    """The text with each sentence a span; the sentence overlapping ``active`` marked as opened (the
    page scrolls to it), those overlapping a cited span (indexes in ``cited``) marked as cited."""
    out, pos = [], 0
    for i, (a, b) in enumerate(spans):
        if a < pos or b > len(text) or a >= b:
            continue
        out.append(escape(text[pos:a]))
        inner = escape(text[a:b])
        label = f"sentence {i + 1} · chars {a}–{b}"
        if active is not None and a < active[1] and active[0] < b:
            out.append(f"<mark class='cite-hl active browse-active sent' title='{label}'>{inner}</mark>")
        elif i in cited:
            out.append(f"<mark class='cite-hl sent cited' title='{label} · cited in this chat'>{inner}</mark>")
        else:
            out.append(f"<span class='sent' title='{label}'>{inner}</span>")
        pos = b
    out.append(escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def article_view(
    article: dict[str, Any] | None,
    cited: list[dict[str, Any]] | None = None,
    active: tuple[int, int] | None = None,
    empty: str = "Click an article in the table to read it here.",
) -> str:
    """An article opened in the browser: display title and metadata, the places this chat cited it
    (question, citation number and quote; each opens its sentence), then its sentences."""
    if not article:
        return f"<div class='sources empty'>{escape(empty)}</div>"
    aid = str(article["article_id"])
    cited = cited or []
    text = str(article.get("text") or "")
    spans = [(int(s["start"]), int(s["end"])) for s in article.get("sentences") or []]
    title = str(article.get("display_title") or article.get("title") or aid)
    head = f"<span class='src-title'>{escape(title)}</span>"
    head += _details(article.get("source"), article.get("date"), article.get("url"))
    stored = str(article.get("title") or "")
    file_note = f" · file {escape(stored)}" if stored and stored != title else ""
    head += f" · {len(spans)} sentences · id {escape(aid)}{file_note}"
    cited_idx = {i for i, (a, b) in enumerate(spans) for c in cited if a < c["end"] and c["start"] < b}
    if cited:
        items = "".join(
            f"<li class='cited-item' {_open_attrs(aid, c['start'], c['end'])} title='show this sentence'>"
            f"<span class='cited-q'>{escape(c['question'])}</span> "
            f"<span class='cite-n'>[{escape(str(c.get('n') or ''))}]</span> "
            f"<span class='quote'>«{escape(c['quote'])}»</span></li>"
            for c in cited
        )
        places = f"<div class='cited-label'>Cited in this chat ({len(cited)})</div><ul class='cited-list'>{items}</ul>"
    else:
        places = "<div class='cited-label none'>Not cited in this chat yet.</div>"
    body = _sentences(text, spans, active, cited_idx) if spans else escape(text).replace("\n", "<br>")
    return (
        f"<div class='browse' data-article='{escape(aid, quote=True)}'>"
        f"<div class='article-head'>{head}</div><div class='cited-in'>{places}</div>"
        f"<div class='article-view'><div class='article-text'>{body}</div></div></div>"
    )
