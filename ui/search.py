"""The Search tab: hybrid search over the archive, each hit's title opening its article below the
results, at the hit's sentence, with the places this chat cited it (the source browser)."""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.service import Service
from ui import archive as library
from ui import browse, render
from ui import filters as ui_filters


def open_target(value: str | None) -> tuple[str, tuple[int, int] | None] | None:
    """What the page script wrote into a hidden ``open-target`` box: the article id and, when given,
    the span to highlight (``{"id", "start", "end"}`` as JSON); None when it is not that."""
    try:
        data = json.loads(value or "")
        aid = str(data["id"])
    except (ValueError, TypeError, KeyError):
        return None
    try:
        span = (int(data["start"]), int(data["end"]))
    except (KeyError, TypeError, ValueError):
        span = None
    return aid, span


def opened_article(service: Service, value: str | None, answered: list[dict[str, Any]] | None, empty: str) -> str:
    """The article view for a click on a ``data-open`` item (an article that is gone says so)."""
    target = open_target(value)
    if target is None:
        return browse.article_view(None, empty=empty)
    aid, span = target
    try:
        found = library.article(service.engine, aid)
    except RagError as err:
        return render.status(str(err), "error")
    if found is None:
        return browse.article_view(None, empty=f"The article {aid} is no longer in the archive.")
    return browse.article_view(found, library.citations_of(aid, answered), span)


def open_box() -> gr.Textbox:
    """The hidden box the page script writes a clicked ``data-open`` item into (one per tab). Listen to
    its ``change``: Gradio 6 sends a textbox's ``input`` event on key presses only."""
    return gr.Textbox(elem_classes="open-target", show_label=False, container=False)


def build(service: Service, choices: list[str], answered: gr.State) -> ui_filters.FilterRow:
    """The tab's components and events (call inside the tab); returns its filter row."""
    engine = service.engine
    empty = "Click a result's title (or a marked sentence) to read its article here."

    def search(query: str, k: int, sources: list[str] | None, date_from: str, date_to: str) -> tuple[str, Any]:
        if not query.strip():
            return "<div class='results empty'>Type something to search for.</div>", gr.update()
        problems = ui_filters.date_problems(date_from, date_to)
        if problems:
            return problems, gr.update()
        try:
            found = engine.search(query, top_k=int(k), filters=ui_filters.to_filters(sources, date_from, date_to))
            result = found.to_dict()
            titles = library.display_titles(engine, (h["article_id"] for h in result["hits"]))
        except RagError as err:
            return f"<div class='results empty'>{render.escape(str(err))}</div>", gr.update()
        return browse.search_html(result, titles), browse.article_view(None, empty=empty)

    with gr.Row():
        query = gr.Textbox(placeholder="truppe statunitensi in Siria", show_label=False, scale=5, elem_id="search-q")
        k = gr.Slider(1, 20, value=5, step=1, label="Articles", scale=1)
        go = gr.Button("Search", variant="primary", scale=1, min_width=80, elem_id="search-go")
    row = ui_filters.filter_row("search", choices)
    results = gr.HTML(elem_id="search-results")
    target = open_box()
    view = gr.HTML(browse.article_view(None, empty=empty), elem_id="search-article")

    inputs = [query, k, row.sources, row.date_from, row.date_to]
    for trigger in (go.click, query.submit):
        trigger(search, inputs, [results, view], js=row.typed(len(inputs), (3, 4)))
    target.change(lambda v, a: opened_article(service, v, a, empty), [target, answered], view)
    return row
