"""HTML for the UI. Every piece of article or user text goes through ``html.escape``: an article
holding ``<script>`` shows as text, never as markup."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any


def _meta(title: str, source: str | None, date: str | None, url: str | None) -> str:
    parts = [f"<span class='src-title'>{escape(title)}</span>"]
    if source:
        parts.append(f"<span class='src-source'>{escape(source)}</span>")
    if date:
        parts.append(f"<span class='src-date'>{escape(date)}</span>")
    if url and url.startswith(("http://", "https://")):
        parts.append(f"<a class='src-link' href='{escape(url, quote=True)}' target='_blank' rel='noopener'>link</a>")
    return " · ".join(parts)


def _meta_of(c: dict[str, Any]) -> str:
    return _meta(c.get("title") or c["article_id"], c.get("source"), c.get("date"), c.get("url"))


def answer_html(result: dict[str, Any]) -> str:
    """The answer with its citation marks as clickable chips (handled by the page script)."""
    notice = result.get("notice")
    notice = f"<div class='answer-notice' role='status'>{escape(notice)}</div>" if notice else ""
    if result["abstained"]:
        reason = f"<div class='abstain-reason'>{escape(result.get('reason') or '')}</div>"
        return (
            f"<div class='answer abstain' data-abstained='true'><b>{escape(result['answer'])}</b>{reason}{notice}</div>"
        )
    return f"<div class='answer'>{_claims_html(result)}{notice}</div>"


def _chip(n: int) -> str:
    return f"<span class='cite' data-cite='{int(n)}' title='show source'>[{int(n)}]</span>"


def _claims_html(result: dict[str, Any]) -> str:
    """Each claim's text, escaped and as text, then chips for the citations the answerer gave it: a
    ``[2]`` inside a quoted sentence stays text (only the answerer's own marks are citations)."""
    claims = result.get("claims") or []
    if not claims:
        return escape(result["answer"])
    answer = result["answer"]
    parts = []
    for claim in claims:
        text = str(claim["text"]).strip()
        shown = f"«{text}»" if f"«{text}»" in answer else text
        rendered = claim.get("rendered")
        if rendered:  # the answer in the question's language, the source's own words beside it
            said = f"{escape(str(rendered))} <span class='source-words' title='the source says'>({escape(text)})</span>"
        else:
            said = escape(shown)
        parts.append(f"{said} {''.join(_chip(n) for n in claim['citations'])}")
    return " ".join(parts)


def status(text: str, kind: str = "info") -> str:
    """A status line for an HTML pane: every character of ``text`` (file names, ids and reasons from
    uploaded files among them) escaped, line breaks kept."""
    lines = "<br>".join(escape(line) for line in text.splitlines())
    return f"<div class='status {escape(kind, quote=True)}'>{lines}</div>"


def job_report(rep: dict[str, Any], shown: int = 20) -> str:
    """An ingest job's outcome: counts, then the skipped files and lines (escaped), the first ``shown``."""
    skipped = rep.get("skipped", [])
    total = int(rep.get("skipped_total", len(skipped)))
    head = (
        f"Done: {rep.get('articles', 0)} new articles, {rep.get('unchanged', 0)} unchanged, "
        f"{rep.get('replaced', 0)} replaced, {total} skipped."
    )
    items = "".join(f"<li>skipped {escape(s['origin'])}: {escape(s['reason'])}</li>" for s in skipped[:shown])
    more = f"<li>… and {total - min(shown, len(skipped))} more</li>" if total > min(shown, len(skipped)) else ""
    floods = "".join(
        f"<li class='flood'>{int(g['count'])} look-alike articles (only their numbers differ), e.g. "
        f"«{escape(str(g['example']))}»: they can crowd other articles out of the answers</li>"
        for g in rep.get("near_duplicates") or []
    )
    decoded = "".join(
        f"<li class='decoded'>decoded as {escape(str(d.get('encoding', '')))}: {escape(str(d.get('origin', '')))} "
        "(not UTF-8; if its accents look wrong, save it as UTF-8 and upload it again)</li>"
        for d in rep.get("decoded") or []
    )
    return f"<div class='status done'>{escape(head)}<ul>{floods}{decoded}{items}{more}</ul></div>"


def sources_html(result: dict[str, Any] | None, active: int | None, articles: dict[str, str]) -> str:
    """The cited sentences as cards; the active one opened in its article, highlighted."""
    if not result or not result.get("citations"):
        if result and result.get("abstained"):
            head = "<div class='sources empty'>No source supports an answer to this question.</div>"
            near = result.get("nearest") or []
            if not near:
                return head
            items = "".join(
                f"<div class='source-card nearest'><span class='quote'>«{escape(c['quote'])}»</span>"
                f"<div class='src-meta'>{_meta_of(c)} · chars {c['start']}–{c['end']}</div></div>"
                for c in near
            )
            label = "<div class='nearest-label'>Nearest sentences found: not enough to answer</div>"
            return f"<div class='sources'>{head}{label}{items}</div>"
        return "<div class='sources empty'>Sources of the answer appear here. Click a citation mark to open it.</div>"
    cards = []
    for c in result["citations"]:
        on = " active" if c["n"] == active else ""
        cards.append(
            f"<div class='source-card{on}' data-cite='{c['n']}'><span class='cite-n'>[{c['n']}]</span> "
            f"<span class='quote'>«{escape(c['quote'])}»</span>"
            f"<div class='src-meta'>{_meta_of(c)}"
            f" · chars {c['start']}–{c['end']}</div></div>"
        )
    body = "".join(cards)
    chosen = next((c for c in result["citations"] if c["n"] == active), None)
    if chosen is not None and chosen["article_id"] in articles:
        text = articles[chosen["article_id"]]
        others = [c for c in result["citations"] if c["article_id"] == chosen["article_id"] and c is not chosen]
        body += (
            f"<div class='article-view' data-article='{escape(chosen['article_id'], quote=True)}'>"
            f"<div class='article-head'>{_meta_of(chosen)}</div>"
            f"<div class='article-text'>{highlight(text, chosen, others)}</div></div>"
        )
    return f"<div class='sources'>{body}</div>"


def article_html(article: dict[str, Any] | None) -> str:
    """A stored article opened from the Library: its metadata and its whole text, escaped."""
    if not article:
        return "<div class='sources empty'>Click an article in the table to read it here.</div>"
    body = escape(article.get("text", "")).replace("\n", "<br>")
    head = f"{_meta_of(article)} · {len(article.get('sentences', []))} sentences · {escape(article['article_id'])}"
    return (
        f"<div class='article-view library-article' data-article='{escape(article['article_id'], quote=True)}'>"
        f"<div class='article-head'>{head}</div><div class='article-text'>{body}</div></div>"
    )


def highlight(text: str, chosen: dict[str, Any], others: list[dict[str, Any]]) -> str:
    """The article with the chosen sentence (id ``active-cite``) and other cited ones marked."""
    spans = sorted([(c["start"], c["end"], c is chosen, c.get("highlight")) for c in [chosen, *others]])
    out, pos = [], 0
    for start, end, is_active, key in spans:
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        inner = escape(text[start:end])
        if is_active and key and start <= key[0] < key[1] <= end:
            inner = (
                escape(text[start : key[0]])
                + f"<b class='key-span'>{escape(text[key[0] : key[1]])}</b>"
                + escape(text[key[1] : end])
            )
        attrs = "id='active-cite' class='cite-hl active'" if is_active else "class='cite-hl'"
        out.append(f"<mark {attrs}>{inner}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def search_html(result: dict[str, Any]) -> str:
    notice = f"<div class='filter-note'>{escape(result['notice'])}</div>" if result.get("notice") else ""
    if not result["hits"]:
        return f"{notice}<div class='results empty'>No matching articles.</div>"
    rows = []
    for rank, hit in enumerate(result["hits"], 1):
        marks = [(s["start"] - hit["start"], s["end"] - hit["start"]) for s in hit["sentences"]]
        text = hit["text"]
        out, pos = [], 0
        for a, b in sorted(marks):
            if a < pos or a < 0 or b > len(text):
                continue
            out.append(escape(text[pos:a]) + f"<mark class='cite-hl'>{escape(text[a:b])}</mark>")
            pos = b
        out.append(escape(text[pos:]))
        rows.append(
            f"<div class='result'><div class='result-head'><span class='rank'>{rank}</span> "
            f"{_meta_of(hit)}"
            f" <span class='score'>score {hit['score']:.3f}</span></div>"
            f"<div class='result-text'>{''.join(out)}</div></div>"
        )
    return notice + "<div class='results'>" + "".join(rows) + "</div>"


def cite_html(claim: str, hits: list[dict[str, Any]], context: dict[str, str]) -> str:
    """Candidate source sentences, best first, each shown inside its article's text around it."""
    if not hits:
        return "<div class='results empty'>No candidate sentence found.</div>"
    rows = []
    for rank, h in enumerate(hits, 1):
        text = context.get(h["article_id"], h["quote"])
        a, b = (h["start"], h["end"]) if text is not h["quote"] else (0, len(text))
        lo, hi = max(0, a - 200), min(len(text), b + 200)
        snippet = (
            ("…" if lo else "")
            + escape(text[lo:a])
            + f"<mark class='cite-hl active'>{escape(text[a:b])}</mark>"
            + escape(text[b:hi])
            + ("…" if hi < len(text) else "")
        )
        rows.append(
            f"<div class='result'><div class='result-head'><span class='rank'>{rank}</span> "
            f"{_meta_of(h)}"
            f" <span class='score'>score {h['score']:.3f}</span> · chars {h['start']}–{h['end']}</div>"
            f"<div class='result-text'>{snippet}</div></div>"
        )
    return "<div class='results'>" + "".join(rows) + "</div>"


def corpus_chart(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str, str]:
    """What the library chart shows: articles per source when there are several sources, else
    articles per month when articles are dated, else the size of each article in sentences."""
    sources = Counter(r.get("source") or "(no source)" for r in rows)
    months = Counter((r.get("date") or "")[:7] for r in rows if r.get("date"))
    if len(sources) > 1:
        return [{"group": k, "count": v} for k, v in sources.most_common(20)], "Articles per source", "source"
    if len(months) > 1:
        return [{"group": k, "count": months[k]} for k in sorted(months)], "Articles per month", "month"
    sizes = sorted(rows, key=lambda r: -int(r.get("n_sentences") or 0))[:20]
    data = [{"group": (r.get("title") or r["article_id"])[:40], "count": int(r.get("n_sentences") or 0)} for r in sizes]
    return data, "Sentences per article", "article"
