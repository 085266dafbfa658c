"""The researchers' page: chat with cited answers, sources, search, citation lookup, library.

A thin shell: every handler calls :class:`rag.service.Service` and renders with :mod:`ui.render`.
Works offline: analytics off, local fonts, no CDN (KaTeX off), mounted into the service's app.
"""

from __future__ import annotations

import hmac
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from rag.errors import RagError, redact  # noqa: E402
from rag.loaders import SUPPORTED_EXTENSIONS  # noqa: E402
from rag.service import Service  # noqa: E402
from rag.store.base import Filters  # noqa: E402
from ui import exports, render, uploads  # noqa: E402
from ui import filters as ui_filters  # noqa: E402

HERE = Path(__file__).resolve().parent
log = logging.getLogger("rag.ui")
EXAMPLES = [
    "How many US troops are in Syria?",
    "Quante truppe statunitensi ci sono in Iraq?",
    "Chi è il primo ministro iracheno?",
]
ANSWERERS = ["default", "auto", "extractive", "local", "openai"]
#: Asks before deleting (the browser's dialog names the article); "no" sends no article at all.
CONFIRM_DELETE = (
    "(id) => id && window.confirm('Delete the article ' + id + ' from the archive? This cannot be undone.') ? id : null"
)


def theme() -> gr.themes.Base:
    local = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    return gr.themes.Default(
        primary_hue="indigo", neutral_hue="slate", font=local, font_mono=["ui-monospace", "monospace"]
    )


def head() -> str:
    return f"<script>{(HERE / 'script.js').read_text(encoding='utf-8')}</script>"


def css() -> str:
    return (HERE / "style.css").read_text(encoding="utf-8")


def build_ui(service: Service) -> gr.Blocks:
    engine = service.engine

    def filters(sources: list[str] | None, date_from: str | None, date_to: str | None) -> Filters | None:
        start, end = (date_from or "").strip() or None, (date_to or "").strip() or None
        if not (sources or start or end):
            return None
        return Filters(sources=sources or None, date_from=start, date_to=end)

    def source_choices() -> list[str]:
        try:
            return sorted(k for k in engine.store.facet("source", "article") if k)
        except RagError:
            return []

    def filter_row() -> tuple[gr.Dropdown, gr.Textbox, gr.Textbox]:
        with gr.Row():
            return (
                gr.Dropdown(source_choices(), multiselect=True, label="Sources"),
                gr.Textbox(label="From (YYYY-MM-DD)"),
                gr.Textbox(label="To (YYYY-MM-DD)"),
            )

    def article_texts(result: dict[str, Any] | None) -> dict[str, str]:
        ids = {c["article_id"] for c in (result or {}).get("citations", [])}
        return {i: t for i in ids if (t := engine.article_text(i)) is not None}

    # -- chat ---------------------------------------------------------------------------------------
    def ask(
        message: str,
        history: list[dict[str, Any]],
        conversation_id: str | None,
        answerer: str,
        sources: list[str] | None,
        date_from: str,
        date_to: str,
    ) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        if not message.strip():
            yield history, conversation_id, None, gr.update(), ""
            return
        if ui_filters.date_problems(date_from, date_to):  # said beside the date boxes; the question stays
            yield history, conversation_id, gr.update(), gr.update(), message
            return
        conversation_id = conversation_id or service.new_conversation()
        history.append({"role": "user", "content": message})
        history.append({"role": "assistant", "content": "<div class='answer pending'>…</div>"})
        yield history, conversation_id, None, render.sources_html(None, None, {}), ""
        tokens: queue.Queue[str | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                flt = filters(sources, date_from, date_to)
                result, _ = service.ask(
                    message,
                    answerer=None if answerer == "default" else answerer,
                    filters=flt,
                    conversation_id=conversation_id,
                    on_token=tokens.put,
                )
                outcome["result"] = result.to_dict()
            except RagError as err:
                outcome["error"] = str(err)
            except Exception as err:  # shown to the user, logged in full
                log.exception("ask failed")
                outcome["error"] = redact(f"unexpected {type(err).__name__}: {err}")
            finally:
                tokens.put(None)

        threading.Thread(target=work, daemon=True).start()
        partial = ""
        while (piece := tokens.get()) is not None:
            partial += piece
            history[-1] = {
                "role": "assistant",
                "content": f"<div class='answer pending'>{render.escape(partial)}…</div>",
            }
            yield history, conversation_id, None, gr.update(), ""
        if "error" in outcome:
            history[-1] = {
                "role": "assistant",
                "content": f"<div class='answer error'>{render.escape(outcome['error'])}</div>",
            }
            yield history, conversation_id, None, gr.update(), ""
            return
        result = outcome["result"]
        history[-1] = {"role": "assistant", "content": render.answer_html(result)}
        first = result["citations"][0]["n"] if result["citations"] else None
        yield history, conversation_id, result, render.sources_html(result, first, article_texts(result)), ""

    def open_citation(target: str, result: dict[str, Any] | None) -> str:
        try:
            n = int(target.split(":", 1)[0])
        except ValueError:
            return render.sources_html(result, None, {})
        return render.sources_html(result, n, article_texts(result))

    def reset() -> tuple[Any, ...]:
        return [], None, None, render.sources_html(None, None, {})

    # -- search and citation lookup -----------------------------------------------------------------
    def search(query: str, k: int, sources: list[str] | None, date_from: str, date_to: str) -> str:
        if not query.strip():
            return "<div class='results empty'>Type something to search for.</div>"
        try:
            found = engine.search(query, top_k=int(k), filters=filters(sources, date_from, date_to))
        except RagError as err:
            return f"<div class='results empty'>{render.escape(str(err))}</div>"
        return render.search_html(found.to_dict())

    def cite(claim: str, k: int, sources: list[str] | None, date_from: str, date_to: str) -> str:
        if not claim.strip():
            return "<div class='results empty'>Paste a claim or a quote, in any language.</div>"
        try:
            hits = [h.to_dict() for h in engine.cite(claim, top_k=int(k), filters=filters(sources, date_from, date_to))]
        except RagError as err:
            return f"<div class='results empty'>{render.escape(str(err))}</div>"
        texts = {h["article_id"]: engine.article_text(h["article_id"]) or h["quote"] for h in hits}
        return render.cite_html(claim, hits, texts)

    # -- library ------------------------------------------------------------------------------------
    def library() -> tuple[Any, ...]:
        rows: list[dict[str, Any]] = []
        offset = None
        while True:
            page, offset = engine.list_articles(limit=500, offset=offset)
            rows.extend(page)
            if offset is None or len(rows) >= 5000:
                break
        table = pd.DataFrame(
            [[r["title"], r["source"] or "", r["date"] or "", r["n_sentences"], r["article_id"]] for r in rows],
            columns=["title", "source", "date", "sentences", "id"],
        )
        data, title, x_title = render.corpus_chart(rows)
        top = max((d["count"] for d in data), default=1)
        chart = gr.update(
            value=pd.DataFrame(data, columns=["group", "count"]),
            title=title,
            x_title=x_title,
            y_lim=[0, top + max(1, top // 8)],
            sort="x" if x_title == "month" else "-y",
        )
        choices = [(f"{r['title'] or r['article_id']} ({r['article_id']})", r["article_id"]) for r in rows]
        chunks, sentences = engine.store.count("chunk"), engine.store.count("sentence")
        summary = f"**{len(rows)} articles** · {chunks} chunks · {sentences} sentences"
        return summary, table, chart, gr.update(choices=choices, value=None), gr.update(choices=source_choices())

    def upload(files: list[Any] | None, progress: gr.Progress = gr.Progress()) -> Iterator[str]:  # noqa: B008
        if not files:
            yield render.status(f"Choose one or more files first ({' '.join(SUPPORTED_EXTENSIONS)}).")
            return
        try:
            payload = uploads.received_files(files, demo.upload_file_set, service.settings.api)
            job = service.jobs.submit(payload)
        except RagError as err:
            yield render.status(f"Upload refused: {err}", "error")
            return
        finally:
            uploads.forget(files, demo.upload_file_set)
        while True:
            current = service.jobs.get(job.job_id)
            assert current is not None
            if current.state in ("done", "failed"):
                break
            if current.total:
                progress((current.done, current.total), desc="Ingesting", unit="articles")
            else:
                progress(0.0, desc="Reading files")
            yield render.status(f"Ingesting… {current.done}/{current.total or '?'} articles")
            time.sleep(0.4)
        if current.state == "failed":
            yield render.status(f"Ingest failed: {current.error}", "error")
            return
        yield render.job_report(current.report or {})

    def open_article(evt: gr.SelectData) -> str:
        row = evt.row_value or []
        return render.article_html(engine.get_article(str(row[-1]))) if row else render.article_html(None)

    def keep(answers: list[dict[str, Any]] | None, result: dict[str, Any] | None) -> tuple[Any, ...]:
        kept = exports.collect(answers, result)
        return (kept, *exports.files(kept))

    def filter_state(answerer: str, sources: list[str] | None, date_from: str, date_to: str) -> tuple[Any, str]:
        label = ui_filters.describe(answerer, sources, date_from, date_to)
        return gr.update(label=label), ui_filters.date_problems(date_from, date_to)

    def delete(article_id: str | None) -> str:
        if not article_id:
            return render.status("Nothing deleted: choose an article, then confirm.")
        removed = service.delete_article(article_id)
        done = f"Deleted {article_id} ({removed} points)." if removed else f"{article_id} was not in the index."
        return render.status(done)

    with gr.Blocks(title="rag-news — cited answers from the archive", analytics_enabled=False) as demo:
        gr.Markdown(
            "# rag-news\nAsk the news archive in English or Italian. Every answer cites the exact source sentence.",
            elem_id="title",
        )
        conversation = gr.State(None)
        last = gr.State(None)
        with gr.Tab("Chat", id="chat"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Answers",
                        height=460,
                        latex_delimiters=[],
                        placeholder="Ask a question about the archive — or try an example below.",
                        elem_id="chatbot",
                        buttons=["copy"],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="How many US troops are in Syria?",
                            show_label=False,
                            scale=5,
                            elem_id="question",
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    gr.Examples(EXAMPLES, inputs=question, label="Examples")
                    with gr.Accordion(ui_filters.BASE_LABEL, open=False, elem_id="chat-filters") as chat_acc:
                        answerer = gr.Dropdown(
                            ANSWERERS, value="default", label="Answerer (default: the service's setting)"
                        )
                        chat_sources, chat_from, chat_to = filter_row()
                    chat_note = gr.HTML(elem_id="chat-filter-note")
                    clear = gr.Button("New conversation", size="sm")
                    with gr.Row():
                        export_md = gr.DownloadButton("Export chat: Markdown", size="sm", elem_id="export-md")
                        export_csv = gr.DownloadButton("Export chat: CSV", size="sm", elem_id="export-csv")
                    answered = gr.State([])
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources_view = gr.HTML(render.sources_html(None, None, {}), elem_id="sources")
            cite_target = gr.Textbox(elem_id="cite-target", show_label=False, container=False)
        with gr.Tab("Search", id="search"):
            with gr.Row():
                query = gr.Textbox(
                    placeholder="truppe statunitensi in Siria", show_label=False, scale=5, elem_id="search-q"
                )
                k = gr.Slider(1, 20, value=5, step=1, label="Articles", scale=1)
                go = gr.Button("Search", variant="primary", scale=1, min_width=80, elem_id="search-go")
            search_sources, search_from, search_to = filter_row()
            results = gr.HTML(elem_id="search-results")
        with gr.Tab("Citation lookup", id="cite"):
            with gr.Row():
                claim = gr.Textbox(
                    placeholder="Paste a claim or quote, any language: the US has 900 troops in Syria",
                    show_label=False,
                    scale=5,
                    elem_id="claim",
                )
                ck = gr.Slider(1, 20, value=5, step=1, label="Candidates", scale=1)
                find = gr.Button("Find the source", variant="primary", scale=1, min_width=80, elem_id="cite-go")
            cite_sources, cite_from, cite_to = filter_row()
            candidates = gr.HTML(elem_id="cite-results")
        with gr.Tab("Library", id="library") as library_tab:
            summary = gr.Markdown(elem_id="library-summary")
            with gr.Row():
                with gr.Column(scale=3):
                    table = gr.Dataframe(
                        interactive=False,
                        wrap=True,
                        elem_id="library-table",
                        max_height=360,
                        column_widths=["40%", "17%", "14%", "9%", "20%"],
                    )
                with gr.Column(scale=2):
                    chart = gr.BarPlot(
                        x="group",
                        y="count",
                        y_title="count",
                        y_axis_format="d",
                        sort="-y",
                        x_label_angle=-30,
                        height=280,
                    )
            opened = gr.HTML(render.article_html(None), elem_id="library-article")
            with gr.Row():
                with gr.Column():
                    files = gr.File(
                        file_count="multiple",
                        file_types=list(SUPPORTED_EXTENSIONS),
                        label="Upload articles",
                        elem_id="upload-files",
                    )
                    upload_btn = gr.Button("Ingest", variant="primary", elem_id="upload-go")
                    upload_status = gr.HTML(elem_id="upload-status")  # escaped text only (render.status)
                with gr.Column():
                    victim = gr.Dropdown([], label="Delete an article", elem_id="delete-choice")
                    delete_btn = gr.Button("Delete", variant="stop", elem_id="delete-go")
                    delete_status = gr.HTML(elem_id="delete-status")

        chat_inputs = [question, chatbot, conversation, answerer, chat_sources, chat_from, chat_to]
        chat_outputs = [chatbot, conversation, last, sources_view, question]
        send.click(ask, chat_inputs, chat_outputs).then(keep, [answered, last], [answered, export_md, export_csv])
        question.submit(ask, chat_inputs, chat_outputs).then(keep, [answered, last], [answered, export_md, export_csv])
        clear.click(reset, None, [chatbot, conversation, last, sources_view]).then(
            lambda: ([], None, None), None, [answered, export_md, export_csv]
        )
        cite_target.input(open_citation, [cite_target, last], sources_view)  # ui/script.js scrolls to it
        go.click(search, [query, k, search_sources, search_from, search_to], results)
        query.submit(search, [query, k, search_sources, search_from, search_to], results)
        cite_inputs = [claim, ck, cite_sources, cite_from, cite_to]
        find.click(cite, cite_inputs, candidates)
        claim.submit(cite, cite_inputs, candidates)
        chat_filters: list[Any] = [answerer, chat_sources, chat_from, chat_to]
        for box in chat_filters:
            box.change(filter_state, chat_filters, [chat_acc, chat_note])
        lib_outputs = [summary, table, chart, victim, chat_sources]
        library_tab.select(library, None, lib_outputs)
        table.select(open_article, None, opened)
        upload_btn.click(upload, files, upload_status).then(library, None, lib_outputs)
        delete_btn.click(delete, victim, delete_status, js=CONFIRM_DELETE).then(library, None, lib_outputs)
    return demo


def mount_ui(app: Any, service: Service) -> Any:
    """Mounts the page at ``/`` of the service's FastAPI app. With ``RAG_API_TOKEN`` set the page
    asks for it (as the password, any user name): the UI can do all that the API can."""
    token = service.settings.api.token.get_secret_value() if service.settings.api.token else None

    def check(_user: str, password: str) -> bool:
        return token is not None and hmac.compare_digest(password.encode(), token.encode())

    return gr.mount_gradio_app(
        app,
        build_ui(service),
        path="/",
        theme=theme(),
        css=css(),
        head=head(),
        ssr_mode=False,
        footer_links=[],
        auth=check if token else None,
        max_file_size=int(service.settings.api.max_upload_mb * 1024 * 1024),  # refused while it streams in
        auth_message="This archive is protected: sign in with the service's API token as the password.",
    )
