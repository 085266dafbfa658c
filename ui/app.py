"""The researchers' page: chat with cited answers, sources, search, citation lookup, library.

A thin shell: every handler calls :class:`rag.service.Service` and renders with :mod:`ui.render`; the
Search and Library tabs (the source browser) are built by :mod:`ui.search` and :mod:`ui.library`.
Works offline: analytics off, local fonts, no CDN (KaTeX off), mounted into the service's app.
"""

from __future__ import annotations

import hmac
import logging
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from rag.errors import RagError, redact  # noqa: E402
from rag.service import Service  # noqa: E402
from ui import archive, exports, library, render, search  # noqa: E402
from ui import filters as ui_filters  # noqa: E402

HERE = Path(__file__).resolve().parent
log = logging.getLogger("rag.ui")
ANSWERERS = ["default", "auto", "extractive", "local", "openai"]


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
    filters = ui_filters.to_filters
    rows: dict[str, ui_filters.FilterRow] = {}

    def source_choices() -> list[str]:
        return sorted(archive.source_counts(engine), key=str.casefold)

    def filter_row(name: str = "cite") -> tuple[gr.Dropdown, gr.DateTime, gr.DateTime]:
        rows[name] = row = ui_filters.filter_row(name, source_choices(), note=name != "chat")
        return row.sources, row.date_from, row.date_to

    def archive_changed() -> tuple[Any, ...]:
        """The chat's examples and every row's sources, for the archive as it is now."""
        choices = gr.update(choices=source_choices())
        questions = archive.chat_examples(engine)
        service.write_examples(archive.example_rows(engine))  # real questions for the next page load
        return (gr.Dataset(samples=[[q] for q in questions]), questions, *(choices for _ in rows))

    def shown(result: dict[str, Any] | None) -> dict[str, Any] | None:
        """The answer as displayed: its citations titled as the library titles their articles (a plain
        file's first sentence, not its file name: ui/archive.py); what is stored and exported is unchanged."""
        if not result:
            return result
        cited = [*(result.get("citations") or []), *(result.get("nearest") or [])]
        titles = archive.display_titles(engine, (c["article_id"] for c in cited))
        retitle = [{**c, "title": titles.get(c["article_id"], c.get("title"))} for c in cited]
        n = len(result.get("citations") or [])
        return {**result, "citations": retitle[:n], "nearest": retitle[n:]}

    def article_texts(result: dict[str, Any] | None) -> dict[str, str]:
        ids = {c["article_id"] for c in (result or {}).get("citations", [])}
        return {i: t for i in ids if (t := engine.article_text(i)) is not None}

    # -- chat ---------------------------------------------------------------------------------------
    def ask(
        message: str,
        history: list[dict[str, Any]],  # the session's own copy (a gr.State), never what the page sends
        conversation_id: str | None,
        answerer: str,
        sources: list[str] | None,
        date_from: str,
        date_to: str,
        answers: list[dict[str, Any]],  # the session's answers, oldest first: a chip's turn indexes them
    ) -> Iterator[tuple[Any, ...]]:
        """Streams one question's answer into the chat. A question sent while another is answered waits
        its turn (the events are queued in order, never dropped); only this question's first step empties
        the box, so one typed meanwhile stays there until its own turn."""
        history, answers = list(history or []), list(answers or [])
        same = gr.update()
        if not message.strip():
            yield history, history, conversation_id, same, same, answers
            return
        if ui_filters.date_problems(date_from, date_to):  # said beside the date boxes; the question stays
            yield history, history, conversation_id, same, same, answers
            return
        conversation_id = conversation_id or service.new_conversation()
        history.append({"role": "user", "content": message})
        history.append({"role": "assistant", "content": "<div class='answer pending'>…</div>"})
        yield history, history, conversation_id, render.sources_html(None, None, {}), "", answers
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
            yield history, history, conversation_id, same, same, answers
        if "error" in outcome:
            history[-1] = {
                "role": "assistant",
                "content": f"<div class='answer error'>{render.escape(outcome['error'])}</div>",
            }
            yield history, history, conversation_id, same, same, answers
            return
        result, turn = outcome["result"], len(answers)
        answers.append(result)
        history[-1] = {"role": "assistant", "content": render.answer_html(result, turn)}
        first = result["citations"][0]["n"] if result["citations"] else None
        pane = render.sources_html(shown(result), first, article_texts(result), turn)
        yield history, history, conversation_id, pane, same, answers

    def open_citation(target: str, answers: list[dict[str, Any]] | None) -> str:
        """``turn-n:clicked-at`` from a chip or a card: that answer's citation ``n`` opened."""
        answers = answers or []
        try:
            turn, n = (int(x) for x in target.split(":", 1)[0].split("-"))
            result = answers[turn]
        except (ValueError, IndexError):
            return render.sources_html(shown(answers[-1] if answers else None), None, {})
        return render.sources_html(shown(result), n, article_texts(result), turn)

    def llm_status() -> str:
        """Why the local LLM is not answering, with its fix: said once, atop the page (each answer made
        without it carries a one-line notice)."""
        return render.llm_status(service.llm_notice)

    def reset() -> tuple[Any, ...]:
        return [], [], None, render.sources_html(None, None, {})

    # -- citation lookup ----------------------------------------------------------------------------
    def cite(claim: str, k: int, sources: list[str] | None, date_from: str, date_to: str) -> str:
        if not claim.strip():
            return "<div class='results empty'>Paste a claim or a quote, in any language.</div>"
        try:
            found = engine.lookup(claim, top_k=int(k), filters=filters(sources, date_from, date_to))
        except RagError as err:
            return f"<div class='results empty'>{render.escape(str(err))}</div>"
        hits = [h.to_dict() for h in found.citations]
        titles = archive.display_titles(engine, (h["article_id"] for h in hits))
        hits = [{**h, "title": titles.get(h["article_id"], h["title"])} for h in hits]
        texts = {h["article_id"]: engine.article_text(h["article_id"]) or h["quote"] for h in hits}
        return render.cite_html(claim, hits, texts, verdict=(found.verdict, found.summary()))

    def export_files(answers: list[dict[str, Any]] | None) -> tuple[Any, ...]:
        return exports.files(list(answers or []))

    def filter_state(answerer: str, sources: list[str] | None, date_from: str, date_to: str) -> tuple[Any, str]:
        label = ui_filters.describe(answerer, sources, date_from, date_to)
        return gr.update(label=label), ui_filters.date_problems(date_from, date_to)

    with gr.Blocks(title="rag-news — cited answers from the archive", analytics_enabled=False) as demo:
        gr.Markdown(
            "# rag-news\nAsk the news archive in English or Italian. Every answer cites the exact source sentence.",
            elem_id="title",
        )
        llm_note = gr.HTML(elem_id="llm-status")
        conversation = gr.State(None)
        # The chat's messages, kept here: the Chatbot is shown, never read back. A history sent by the page
        # could name any server file as a message's attachment, which Gradio would copy and serve.
        messages = gr.State([])
        answered = gr.State([])  # the session's answers: the exports, and where the browser's articles were cited
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
                    questions = gr.State(archive.chat_examples(engine))  # the examples shown to this session
                    examples = gr.Dataset(
                        components=[question],
                        samples=[[q] for q in questions.value],
                        type="index",
                        label="Examples",
                        elem_id="examples",
                    )
                    with gr.Accordion(ui_filters.BASE_LABEL, open=False, elem_id="chat-filters") as chat_acc:
                        answerer = gr.Dropdown(
                            ANSWERERS, value="default", label="Answerer (default: the service's setting)"
                        )
                        chat_sources, chat_from, chat_to = filter_row("chat")
                    chat_note = gr.HTML(elem_id="chat-filter-note")
                    clear = gr.Button("New conversation", size="sm")
                    with gr.Row():
                        export_md = gr.DownloadButton("Export chat: Markdown", size="sm", elem_id="export-md")
                        export_csv = gr.DownloadButton("Export chat: CSV", size="sm", elem_id="export-csv")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources_view = gr.HTML(render.sources_html(None, None, {}), elem_id="sources")
            cite_target = gr.Textbox(elem_id="cite-target", show_label=False, container=False)
        with gr.Tab("Search", id="search"):
            rows["search"] = search.build(service, source_choices(), answered)
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
            shelf = library.build(demo, library_tab, service, source_choices(), answered)
            rows["library"] = shelf.row

        chat_inputs = [question, messages, conversation, answerer, chat_sources, chat_from, chat_to, answered]
        chat_outputs = [chatbot, messages, conversation, sources_view, question, answered]
        typed = rows["chat"].typed(len(chat_inputs), (5, 6))
        for trigger in (send.click, question.submit):  # one queue for both, in order; none dropped
            trigger(ask, chat_inputs, chat_outputs, js=typed, trigger_mode="multiple", concurrency_id="chat-ask").then(
                export_files, [answered], [export_md, export_csv]
            ).then(llm_status, None, llm_note)
        examples.click(
            lambda i, qs: qs[i] if i is not None and i < len(qs) else gr.update(), [examples, questions], question
        )
        clear.click(reset, None, [chatbot, messages, conversation, sources_view]).then(
            lambda: ([], None, None), None, [answered, export_md, export_csv]
        )
        # .change, not .input: Gradio 6 sends a textbox's input event on key presses only, never for a value
        # the page script writes (each click writes a new value, so each one changes it)
        cite_target.change(open_citation, [cite_target, answered], sources_view)  # ui/script.js scrolls to it
        cite_inputs = [claim, ck, cite_sources, cite_from, cite_to]
        cite_typed = rows["cite"].typed(len(cite_inputs), (3, 4))  # a bad date is said, not left stale
        find.click(cite, cite_inputs, candidates, js=cite_typed)
        claim.submit(cite, cite_inputs, candidates, js=cite_typed)
        chat_filters: list[Any] = [answerer, chat_sources, chat_from, chat_to]
        typed = rows["chat"].typed(len(chat_filters), (2, 3))  # a bad date is said as soon as its box is left
        for trigger in (*(box.change for box in chat_filters), rows["chat"].check.click):
            trigger(filter_state, chat_filters, [chat_acc, chat_note], js=typed)
        refreshed = [
            examples,
            questions,
            *(row.sources for row in rows.values()),
        ]  # what depends on the archive's content
        demo.load(archive_changed, None, refreshed)
        demo.load(llm_status, None, llm_note)
        shelf.changed.change(archive_changed, None, refreshed)
    return demo


def mount_ui(app: Any, service: Service) -> Any:
    """Mounts the page at ``/`` of the service's FastAPI app. With ``RAG_API_TOKEN`` set the page
    asks for it (as the password, any user name): the UI can do all that the API can."""
    token = service.settings.api.token.get_secret_value() if service.settings.api.token else None

    def check(_user: str, password: str) -> bool:
        return token is not None and hmac.compare_digest(password.encode(), token.encode())

    demo = build_ui(service)
    mounted = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        theme=theme(),
        css=css(),
        head=head(),
        ssr_mode=False,
        footer_links=[],
        show_error=False,  # an exception's text (a server path, say) never reaches the page; gr.Error's do
        auth=check if token else None,
        max_file_size=int(service.settings.api.max_upload_mb * 1024 * 1024),  # refused while it streams in
        auth_message="This archive is protected: sign in with the service's API token as the password.",
    )
    # Gradio checks that a file named in an event's input was uploaded through its upload route (and
    # refuses any other server path before copying it) only in an app it launched itself; a mounted
    # app skips the check (gradio/processing_utils.py::_check_allowed). This one is served: check.
    demo.has_launched = True
    return mounted
