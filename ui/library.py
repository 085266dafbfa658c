"""The Library tab: the archive's articles (display titles), filtered by source and date and sorted, a
timeline of articles per month, an article opened from the table with the places this chat cited it,
upload and delete. Handlers call :mod:`ui.archive` and the service; HTML comes from :mod:`ui.browse`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from rag.errors import RagError
from rag.loaders import SUPPORTED_EXTENSIONS
from rag.service import Service
from ui import archive as library
from ui import browse, render, uploads
from ui import filters as ui_filters
from ui.search import open_box, opened_article

#: Asks before deleting (the browser's dialog names the article); "no" sends no article at all.
CONFIRM_DELETE = (
    "(id) => id && window.confirm('Delete the article ' + id + ' from the archive? This cannot be undone.') ? id : null"
)
COLUMNS = ["title", "source", "date", "sentences", "id"]
EMPTY = "Click an article in the table to read it here."


@dataclass
class LibraryTab:
    row: ui_filters.FilterRow
    #: bumped after each upload and delete: the page refreshes what depends on the archive
    changed: gr.State


def undated_note(undated: int, total: int) -> str:
    if not total:
        return "No articles to show."
    if not undated:
        return f"All {total} articles shown are dated."
    if undated == total:
        return f"None of the {total} articles shown has a date: the timeline has nothing to show."
    return f"{undated} of the {total} articles shown have no date and are not in the timeline."


def refresh(
    service: Service, sources: list[str] | None, date_from: str | None, date_to: str | None, sort: str | None
) -> tuple[Any, ...]:
    """Summary, table, timeline (chart and its note), date note and delete choices for these filters."""
    engine = service.engine
    problems = ui_filters.date_problems(date_from, date_to)
    start, end = (None, None) if problems else ((date_from or "").strip() or None, (date_to or "").strip() or None)
    try:
        rows = library.articles(engine, sources=sources, date_from=start, date_to=end, sort=sort or "newest first")
        everything = engine.store.count("article")
        chunks, sentences = engine.store.count("chunk"), engine.store.count("sentence")
    except RagError as err:
        return (render.escape(str(err)), *(gr.update() for _ in range(4)))
    table = pd.DataFrame(
        [[r["display_title"], r["source"], r["date"] or "", r["n_sentences"], r["article_id"]] for r in rows],
        columns=COLUMNS,
    )
    months, undated = library.timeline(rows)
    unit, bars = library.timeline_bars(months)
    top = max((m["count"] for m in bars), default=1)
    chart = gr.update(
        value=pd.DataFrame(bars, columns=["month", "count"]),
        # at least 0-5: under it Vega ticks every 0.5, which the integer format shows as "0 0 1 1 2"
        y_lim=[0, max(5, top + max(1, top // 8))],
        visible=bool(bars),
        title=f"Articles per {unit}",
        x_title=unit,
        x_label_angle=-45 if unit == "month" else 0,
    )
    shown = f" · showing {len(rows)}" if len(rows) != everything else ""
    summary = f"**{everything} articles** · {chunks} chunks · {sentences} sentences{shown}"
    note = f"<div class='timeline-note'>{render.escape(undated_note(undated, len(rows)))}</div>"
    every = library.articles(engine, sort="title") if shown else rows
    choices = [(f"{r['display_title']} ({r['article_id']})", r["article_id"]) for r in every]
    return summary, table, chart, note, gr.update(choices=choices, value=None)


def build(demo: gr.Blocks, tab: gr.Tab, service: Service, choices: list[str], answered: gr.State) -> LibraryTab:
    """The tab's components and events (call inside ``tab``; selecting it shows the archive as it is now)."""

    def upload(
        files: list[Any] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[tuple[str, str | None]]:
        if not files:
            yield render.status(f"Choose one or more files first ({' '.join(SUPPORTED_EXTENSIONS)})."), None
            return
        try:
            payload = uploads.received_files(files, demo.upload_file_set, service.settings.api)
            job = service.jobs.submit(payload)
        except RagError as err:
            yield render.status(f"Upload refused: {err}", "error"), None
            return
        finally:
            uploads.forget(files, demo.upload_file_set)
        while True:
            current = service.jobs.get(job.job_id)
            assert current is not None
            if current.state in ("done", "failed", "cancelled"):
                break
            if current.total:
                progress((current.done, current.total), desc="Ingesting", unit="articles")
            else:
                progress(0.0, desc="Reading files")
            yield render.status(f"Ingesting… {current.done}/{current.total or '?'} articles"), job.job_id
            time.sleep(0.4)
        if current.state == "failed":
            yield render.status(f"Ingest failed: {current.error}", "error"), None
            return
        if current.state == "cancelled":
            yield render.status(f"Ingest {current.error}.", "error"), None
            return
        yield render.job_report(current.report or {}), None

    def cancel(job_id: str | None) -> str:
        job = service.jobs.cancel(job_id) if job_id else None
        if job is None or job.state not in ("cancelled", "running"):
            return render.status("No ingest is running.")
        return render.status("Cancelling: the ingest stops after the batch it is writing (what it wrote stays).")

    def delete(article_id: str | None) -> str:
        if not article_id:
            return render.status("Nothing deleted: choose an article, then confirm.")
        removed = service.delete_article(article_id)
        done = f"Deleted {article_id} ({removed} points)." if removed else f"{article_id} was not in the index."
        return render.status(done)

    def open_row(evt: gr.SelectData, answered: list[dict[str, Any]] | None) -> str:
        row = evt.row_value or []
        if not row:
            return browse.article_view(None, empty=EMPTY)
        aid = str(row[-1])
        found = library.article(service.engine, aid)
        return browse.article_view(found, library.citations_of(aid, answered), empty=f"{aid} is no longer here.")

    summary = gr.Markdown(elem_id="library-summary")
    row = ui_filters.filter_row("library", choices, sort=library.SORTS)
    with gr.Row(equal_height=False, elem_id="library-timeline-row"):
        with gr.Column(scale=4, min_width=300):
            chart = gr.BarPlot(
                x="month",
                y="count",
                title="Articles per month",
                x_title="month",
                y_title="articles",
                y_axis_format="d",
                sort="x",
                x_label_angle=-45,
                height=220,
                elem_id="library-timeline",
            )
        with gr.Column(scale=1, min_width=160):
            timeline_note = gr.HTML(elem_id="library-timeline-note")
    table = gr.Dataframe(
        headers=COLUMNS,
        interactive=False,
        wrap=True,
        elem_id="library-table",
        max_height=380,
        column_widths=["46%", "15%", "12%", "9%", "18%"],
    )
    target = open_box()
    opened = gr.HTML(browse.article_view(None, empty=EMPTY), elem_id="library-article")
    with gr.Row():
        with gr.Column():
            files = gr.File(
                file_count="multiple",
                file_types=list(SUPPORTED_EXTENSIONS),
                label="Upload articles",
                elem_id="upload-files",
            )
            with gr.Row():
                upload_btn = gr.Button("Ingest", variant="primary", elem_id="upload-go")
                cancel_btn = gr.Button("Cancel ingest", size="sm", elem_id="upload-cancel")
            upload_status = gr.HTML(elem_id="upload-status")  # escaped text only (render.status)
        with gr.Column():
            victim = gr.Dropdown([], label="Delete an article", elem_id="delete-choice")
            delete_btn = gr.Button("Delete", variant="stop", elem_id="delete-go")
            delete_status = gr.HTML(elem_id="delete-status")
    changed = gr.State(0)
    running_job = gr.State(None)

    assert row.sort is not None
    inputs = [row.sources, row.date_from, row.date_to, row.sort]
    outputs = [summary, table, chart, timeline_note, victim]
    typed = row.typed(len(inputs), (1, 2))

    def show(*args: Any) -> tuple[Any, ...]:
        return refresh(service, *args)

    refreshers = (row.sources.change, row.sort.change, row.date_from.change, row.date_to.change, row.check.click)
    for trigger in (tab.select, *refreshers):
        trigger(show, inputs, outputs, js=typed)
    table.select(open_row, [answered], opened)
    target.change(lambda v, a: opened_article(service, v, a, EMPTY), [target, answered], opened)
    bump = (lambda n: (n or 0) + 1, changed, changed)
    upload_btn.click(upload, files, [upload_status, running_job]).then(show, inputs, outputs, js=typed).then(*bump)
    cancel_btn.click(cancel, running_job, upload_status, queue=False)
    delete_btn.click(delete, victim, delete_status, js=CONFIRM_DELETE).then(show, inputs, outputs, js=typed).then(*bump)
    return LibraryTab(row, changed)
