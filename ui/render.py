"""HTML for the UI. Every piece of article or user text goes through ``html.escape``: an article
holding ``<script>`` shows as text, never as markup."""

from __future__ import annotations

from html import escape
from typing import Any

from rag.answer.export import reference


def details(source: str | None, date: str | None, url: str | None) -> list[str]:
    """Source, date and link (what of them an article has), escaped; links only when http(s)."""
    parts = []
    if source:
        parts.append(f"<span class='src-source'>{escape(source)}</span>")
    if date:
        parts.append(f"<span class='src-date'>{escape(date)}</span>")
    if url and url.startswith(("http://", "https://")):
        parts.append(f"<a class='src-link' href='{escape(url, quote=True)}' target='_blank' rel='noopener'>link</a>")
    return parts


def _meta(title: str, source: str | None, date: str | None, url: str | None) -> str:
    return " · ".join([f"<span class='src-title'>{escape(title)}</span>", *details(source, date, url)])


def _meta_of(c: dict[str, Any]) -> str:
    return _meta(c.get("title") or c["article_id"], c.get("source"), c.get("date"), c.get("url"))


def answer_html(result: dict[str, Any], turn: int | None = None) -> str:
    """The answer with its citation marks as clickable chips (handled by the page script). ``turn``: the
    answer's place in the chat, carried by its chips, so a click on an older answer opens that answer's
    source (not the latest one's)."""
    notice = result.get("notice")
    notice = f"<div class='answer-notice' role='status'>{escape(notice)}</div>" if notice else ""
    if result["abstained"]:
        reason = f"<div class='abstain-reason'>{escape(result.get('reason') or '')}</div>"
        return (
            f"<div class='answer abstain' data-abstained='true'><b>{escape(result['answer'])}</b>{reason}{notice}</div>"
        )
    body = "" if result.get("sources_differ") else _claims_html(result, turn)  # the values are listed below
    return f"<div class='answer'>{body}{_when_html(result, turn)}{notice}</div>"


def _when_html(result: dict[str, Any], turn: int | None = None) -> str:
    """As of when and by whom (the cited report), or that the sources differ."""
    it = result.get("language") == "it"
    differ = result.get("sources_differ") or []
    if differ:
        label = "Le fonti divergono" if it else "Sources differ"
        items = " · ".join(
            f"{escape(str(v['value']))} {_chip(v['citation'], turn)}"
            + (
                f" ({escape(', '.join(x for x in (v.get('source'), v.get('date')) if x))})"
                if v.get("source") or v.get("date")
                else ""
            )
            for v in differ
        )
        return f"<div class='sources-differ' role='note'><b>{label}:</b> {items}</div>"
    when = result.get("as_of")
    if not when:
        return ""
    said = ", ".join(x for x in (when.get("date"), when.get("source")) if x)
    return (
        f"<div class='as-of'>{'al' if it else 'as of'} {escape(said)}</div>"
        if when.get("date")
        else (f"<div class='as-of'>{escape(said)}</div>")
    )


def cite_key(n: int, turn: int | None = None) -> str:
    """What a citation mark or source card hands the page script: ``turn-n`` (or ``n`` alone). Not
    ``turn:n``: it is also a class name (see :func:`_chip`)."""
    return f"{int(turn)}-{int(n)}" if turn is not None else str(int(n))


def _chip(n: int, turn: int | None = None) -> str:
    """A citation mark. Its key is in a class too: the chat's sanitizer drops ``data-*`` attributes (and
    without its key a click would merely leave the latest answer's source open)."""
    key = cite_key(n, turn)
    return f"<span class='cite ck-{key}' data-cite='{key}' title='show source'>[{int(n)}]</span>"


def _claims_html(result: dict[str, Any], turn: int | None = None) -> str:
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
        parts.append(f"{said} {''.join(_chip(n, turn) for n in claim['citations'])}")
    return " ".join(parts)


def llm_status(said: str | None) -> str:
    """Atop the page, once: the local LLM cannot answer, why, and the fix (``said``); empty when it can."""
    if not said:
        return ""
    lines = "<br>".join(escape(line.strip()) for line in said.splitlines())
    return (
        "<div class='llm-status' role='status'><b>The local LLM is unavailable: answers are extractive "
        f"meanwhile.</b><br>{lines}</div>"
    )


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


def copy_button(c: dict[str, Any]) -> str:
    """A button that copies the citation's formatted reference (outlet, «title», date, URL, quote,
    char span: rag.answer.export.reference) to the clipboard (ui/script.js)."""
    ref = escape(reference(c), quote=True)
    return f"<button type='button' class='copy-ref' data-ref=\"{ref}\" title='{ref}'>Copy reference</button>"


def sources_html(
    result: dict[str, Any] | None, active: int | None, articles: dict[str, str], turn: int | None = None
) -> str:
    """The cited sentences as cards; the active one opened in its article, highlighted. ``turn``: the
    answer's place in the chat (its cards, clicked, open its own citations)."""
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
            label = "<div class='nearest-label'>The nearest sentences found</div>"
            return f"<div class='sources'>{head}{label}{items}</div>"
        return "<div class='sources empty'>Sources of the answer appear here. Click a citation mark to open it.</div>"
    cards = []
    for c in result["citations"]:
        on = " active" if c["n"] == active else ""
        cards.append(
            f"<div class='source-card{on}' data-cite='{cite_key(c['n'], turn)}'><span class='cite-n'>[{c['n']}]</span> "
            f"<span class='quote'>«{escape(c['quote'])}»</span>"
            f"<div class='src-meta'>{_meta_of(c)}"
            f" · chars {c['start']}–{c['end']} {copy_button(c)}</div></div>"
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


def cite_html(
    claim: str, hits: list[dict[str, Any]], context: dict[str, str], verdict: tuple[str, str] | None = None
) -> str:
    """The lookup's verdict (``(kind, words)``), then the candidate sentences, best first, each shown
    inside its article's text around it with its own verdict and calibrated probability."""
    banner = (
        f"<div class='verdict verdict-{escape(verdict[0])}' role='status'>{escape(verdict[1])}</div>" if verdict else ""
    )
    if not hits:
        return banner + "<div class='results empty'>No candidate sentence found.</div>"
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
            f" <span class='score' title='calibrated probability that this sentence states the claim'>"
            f"{escape(str(h.get('verdict', '')).replace('_', ' '))} · p {h['score']:.2f}</span>"
            f" · chars {h['start']}–{h['end']} {copy_button(h)}</div>"
            f"<div class='result-text'>{snippet}</div></div>"
        )
    return banner + "<div class='results'>" + "".join(rows) + "</div>"
