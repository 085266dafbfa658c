"""``rag`` command line: a thin shell over :class:`rag.engine.Engine`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rag.answer.export import FORMATS as EXPORT_FORMATS
from rag.answer.export import export as export_answers
from rag.errors import RagError, redact

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Search and cite an Italian news archive.")
out = Console()
err = Console(stderr=True)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="index folder (default: derived under indexes/)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
SourceOpt = Annotated[list[str] | None, typer.Option("--source", help="only these sources (repeatable)")]
LangOpt = Annotated[list[str] | None, typer.Option("--language", help="only articles in these languages")]
FromOpt = Annotated[str | None, typer.Option("--from", help="only articles dated on/after YYYY-MM-DD")]
ToOpt = Annotated[str | None, typer.Option("--to", help="only articles dated on/before YYYY-MM-DD")]


def _settings(index: Path | None) -> Any:
    from rag.settings import load_settings

    s = load_settings()
    if index is not None:
        s.index.path = index
    return s


def _filters(source: list[str] | None, language: list[str] | None, date_from: str | None, date_to: str | None) -> Any:
    from datetime import date

    from rag.store.base import Filters

    for name, value in (("--from", date_from), ("--to", date_to)):
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise RagError(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD, e.g. 2024-01-31") from None
    if not (source or language or date_from or date_to):
        return None
    return Filters(sources=source or None, languages=language or None, date_from=date_from, date_to=date_to)


@contextmanager
def _engine(index: Path | None, *, handoff: bool = False) -> Iterator[Any]:
    """The index's engine; with ``handoff``, while ``rag serve`` owns the index, the running service
    instead (its API answers the queries: :class:`rag.remote.ServiceEngine`)."""
    from rag.engine import Engine
    from rag.errors import IndexLockedError

    settings = _settings(index)
    info: dict[str, Any] | None = None
    try:
        engine = Engine(settings)
    except IndexLockedError:
        from rag.service import running_service

        info = running_service(settings) if handoff else None
        if info is None:
            raise
    if info is not None:
        from rag.remote import ServiceEngine, service_token

        err.print(f"[dim]the index is served by rag serve at {info['url']}: asking it[/]")
        with ServiceEngine(info["url"], service_token()) as remote:
            yield remote
        return
    with engine:
        yield engine


def _fail(e: RagError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(e))}")
    raise typer.Exit(2)


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


class _Report:
    """An ingest report received from the service, shaped like the engine's."""

    def __init__(self, data: dict[str, Any]) -> None:
        from rag.models import Skipped

        self.data = data
        for key in ("files", "articles", "unchanged", "replaced", "sentences", "chunks", "seconds"):
            setattr(self, key, data[key])
        self.skipped = [Skipped(x["origin"], x["reason"]) for x in data["skipped"]]
        self.skipped_total = int(data.get("skipped_total", len(self.skipped)))
        self.resumed = list(data.get("resumed", []))

    def to_dict(self) -> dict[str, Any]:
        return self.data


def _progress_bar(json_out: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
        disable=json_out or not err.is_terminal,
    )


def _ingest_here(paths: list[Path], index: Path | None, json_out: bool) -> Any:
    from rag.loaders import count_inputs

    total = count_inputs(paths)
    with _engine(index) as engine, _progress_bar(json_out) as bar:
        if engine.recovered:
            err.print(
                f"[yellow]recovered:[/] an earlier ingest was interrupted while writing {len(engine.recovered)} "
                "articles; their unfinished parts were removed (they are written again if they are in this ingest)"
            )
        task = bar.add_task("ingesting", total=total or None, detail="")

        def progress(done: int, rep: Any) -> None:
            bar.update(task, advance=done, detail=f"{rep.articles} new, {rep.chunks} chunks")

        return engine.ingest(paths, on_progress=progress)


def _ingest_via_service(paths: list[Path], index: Path | None, json_out: bool) -> dict[str, Any] | None:
    from rag.remote import ingest_via_service, service_token
    from rag.service import running_service

    info = running_service(_settings(index))
    if info is None:
        return None
    err.print(f"the index is served by rag serve at {info['url']}: sending the files there")
    with _progress_bar(json_out) as bar:
        task = bar.add_task("ingesting", total=None, detail="via service")
        return ingest_via_service(
            info["url"], paths, token=service_token(), on_progress=lambda d, t: bar.update(task, completed=d, total=t)
        )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help=".txt .md .html .jsonl .pdf files or folders")],
    index: IndexOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ingest articles; re-ingesting the same content adds nothing.

    While `rag serve` owns the index, the files are handed to the service (uploaded as a job)."""
    from rag.errors import IndexLockedError

    try:
        try:
            report = _ingest_here(paths, index, json_out)
        except IndexLockedError:
            data = _ingest_via_service(paths, index, json_out)
            if data is None:
                raise
            report = _Report(data)
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump(report.to_dict())
        return
    total = int(getattr(report, "skipped_total", len(report.skipped)))
    out.print(
        f"[bold]{report.articles}[/] articles indexed ({report.sentences} sentences, {report.chunks} chunks), "
        f"{report.unchanged} unchanged, {report.replaced} replaced, {total} skipped "
        f"from {report.files} files in {report.seconds:.1f} s"
    )
    for s in report.skipped:
        out.print(f"  [yellow]skipped[/] {escape(s.origin)}: {escape(s.reason)}")
    if total > len(report.skipped):
        kinds = ", ".join(f"{k}: {n}" for k, n in getattr(report, "data", {}).get("skipped_by_kind", {}).items())
        out.print(f"  … {total - len(report.skipped)} more skipped ({escape(kinds)})")
    decoded = report.data.get("decoded", []) if isinstance(report, _Report) else report.decoded
    for d in decoded:
        out.print(
            f"  [yellow]decoded as {escape(d['encoding'])}:[/] {escape(d['origin'])} (not UTF-8; if its accents "
            "look wrong in the quotes, save it as UTF-8 and ingest it again)"
        )
    groups = report.data.get("near_duplicates", []) if isinstance(report, _Report) else report.near_duplicates
    for group in groups:
        out.print(
            f"  [yellow]look-alike articles:[/] {group['count']} differ only in their numbers, e.g. "
            f"«{escape(group['example'])}»: a flood like this can crowd other articles out of the answers"
        )
    resumed = report.resumed
    if resumed:
        out.print(
            f"resumed an interrupted ingest: {len(resumed)} unfinished articles written again "
            f"({escape(', '.join(resumed[:5]))}{', …' if len(resumed) > 5 else ''}); "
            "articles it had finished were kept as they were (counted as unchanged)"
        )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="question or keywords, any language")],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=100, help="number of articles")] = 5,
    index: IndexOpt = None,
    source: SourceOpt = None,
    language: LangOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ranked evidence: article, chunk, score and the best sentences with their char spans."""
    try:
        if not query.strip():
            raise RagError("the query is empty", hint='pass a question, e.g. rag search "truppe USA in Siria"')
        with _engine(index, handoff=True) as engine:
            result = engine.search(query, top_k=k, filters=_filters(source, language, date_from, date_to))
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump(result.to_dict())
        return
    if result.notice:
        err.print(f"[yellow]notice: {escape(result.notice)}[/]")
    if not result.hits:
        out.print("no results")
    for rank, hit in enumerate(result.hits, 1):
        out.print(
            f"[bold]{rank}. {escape(hit.title or hit.article_id)}[/]  [dim]{hit.article_id} · {hit.chunk_id} · "
            f"score {hit.score:.4f}{' · ' + hit.source if hit.source else ''}{' · ' + hit.date if hit.date else ''}[/]"
        )
        for s in hit.sentences:
            out.print(f"   «{escape(s.text)}» [dim]{s.sentence_id} chars {s.start}–{s.end} · {s.score:.4f}[/]")


@app.command()
def cite(
    claim: Annotated[str, typer.Argument(help="a claim or quote, any language")],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=100)] = 5,
    index: IndexOpt = None,
    source: SourceOpt = None,
    language: LangOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Citation lookup with a verdict (supported / conflicts / not found) and the candidate sentences,
    best first, each with the calibrated probability that it states the claim."""
    try:
        if not claim.strip():
            raise RagError("the claim is empty", hint="paste the sentence or claim to look up")
        with _engine(index, handoff=True) as engine:
            found = engine.lookup(claim, top_k=k, filters=_filters(source, language, date_from, date_to))
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump(found.to_dict())
        return
    style = {"supported": "green", "conflicts": "yellow"}.get(found.verdict, "red")
    out.print(f"[bold {style}]{escape(found.summary())}[/]")
    for rank, h in enumerate(found.citations, 1):
        out.print(f"[bold]{rank}.[/] «{escape(h.quote)}»")
        out.print(f"   [dim]{_where(h)} · {h.sentence_id} · {h.verdict.replace('_', ' ')} · p {h.score:.2f}[/]")


AnswererOpt = Annotated[
    str | None, typer.Option("--answerer", help="auto | extractive | local | openai (default: settings, auto)")
]


def _where(c: Any) -> str:
    """ "title, source, date, chars a–b" of a citation (what it has of them), escaped."""
    parts = [c.title or c.article_id, c.source or "", c.date or ""]
    return ", ".join(escape(p) for p in parts if p) + f", chars {c.start}–{c.end}"


def _print_answer(result: Any, *, streamed: str | None = None) -> None:
    """``streamed``: the text already printed while the answer was generated (``None``: not streamed)."""
    if streamed:
        out.print()  # end the streamed line; then the verified answer, unless it is what was streamed
    if streamed is None or result.answer.strip() != streamed.strip():
        style = "yellow" if result.abstained else "bold"
        out.print(f"[{style}]{escape(result.answer)}[/]")
    if result.abstained and result.reason:
        out.print(f"[dim]({escape(result.reason)})[/]")
    if result.notice:
        out.print(f"[yellow]notice: {escape(result.notice)}[/]")
    for c in result.citations:
        out.print(f"[cyan][{c.n}][/] «{escape(c.quote)}» — {_where(c)}")
        if c.highlight:
            out.print(f"    [dim]answer at chars {c.highlight[0]}–{c.highlight[1]} · checks: {', '.join(c.support)}[/]")
        else:
            out.print(f"    [dim]checks: {', '.join(c.support)}[/]")
    if result.abstained and getattr(result, "nearest", None):
        out.print("[dim]nearest sentences found (not enough to answer):[/]")
        for c in result.nearest:
            out.print(f"[dim]  · «{escape(c.quote)}» — {_where(c)}[/]")


@app.command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help="a question in English, Italian or another language (or --file)")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", dir_okay=False, help="questions, one per line ('#' lines skipped); - for stdin"),
    ] = None,
    answerer: AnswererOpt = None,
    stream: Annotated[bool, typer.Option("--stream", help="print the answer as it is generated")] = False,
    index: IndexOpt = None,
    source: SourceOpt = None,
    language: LangOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    json_out: JsonOpt = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="markdown | csv: the answers with their references, for export")
    ] = None,
) -> None:
    """A short answer with numbered citations of the exact source sentences, or an abstention.

    With --file, every question of the file is answered in one run (the models load once); --json
    then writes one answer per line (JSONL), in the file's order."""
    try:
        if fmt is not None and fmt not in EXPORT_FORMATS:
            raise RagError(f"unknown --format {fmt!r}", hint=f"use one of: {', '.join(EXPORT_FORMATS)}")
        if file is not None:
            if question is not None:
                raise RagError("give a question or --file, not both", hint=f"rag ask --file {file}")
            _ask_batch(
                _read_questions(file), answerer, index, _filters(source, language, date_from, date_to), json_out, fmt
            )
            return
        if question is None or not question.strip():
            raise RagError(
                "the question is empty", hint='ask something, e.g. rag ask "How many US troops are in Syria?"'
            )
        with _engine(index, handoff=True) as engine:
            on_token = None
            streamed: list[str] = []
            if stream and not json_out:

                def on_token(text: str) -> None:
                    streamed.append(text)
                    out.print(escape(text), end="")

            result = engine.ask(
                question,
                answerer=answerer,
                filters=_filters(source, language, date_from, date_to),
                on_token=on_token,
            )
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump(result.to_dict())
        return
    if fmt is not None:
        sys.stdout.write(export_answers([result], fmt))
        return
    _print_answer(result, streamed="".join(streamed) if on_token is not None else None)


def _read_questions(file: Path) -> list[str]:
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RagError(f"{file}: no such file", hint="give a text file with one question per line") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RagError(
            f"{file}: cannot be read as UTF-8 text ({e})", hint="save it as UTF-8, one question per line"
        ) from None
    questions = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not questions:
        raise RagError(f"{file} holds no question", hint="one question per line; lines starting with # are skipped")
    return questions


def _ask_batch(
    questions: list[str], answerer: str | None, index: Path | None, filters: Any, json_out: bool, fmt: str | None = None
) -> None:
    """Each question answered in turn with one engine; a question that fails is reported and the
    rest go on (exit status 1 if any failed)."""
    failed = 0
    done: list[Any] = []
    with _engine(index, handoff=True) as engine, _progress_bar(False) as bar:  # stderr: beside JSONL too
        task = bar.add_task("answering", total=len(questions), detail="")
        for n, q in enumerate(questions, 1):
            try:
                result = engine.ask(q, answerer=answerer, filters=filters)
            except RagError as e:
                failed += 1
                if json_out:
                    sys.stdout.write(json.dumps({"question": q, "error": str(e)}, ensure_ascii=False) + "\n")
                else:
                    out.print(f"[bold]{n}. {escape(q)}[/]")
                    out.print(f"[bold red]error:[/] {escape(str(e))}")
                bar.update(task, advance=1)
                continue
            if fmt is not None:
                done.append(result)
            elif json_out:
                sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                out.print(f"[bold]{n}. {escape(q)}[/]")
                _print_answer(result)
                out.print()
            bar.update(task, advance=1)
    if fmt is not None:
        sys.stdout.write(export_answers(done, fmt))
    if failed:
        err.print(f"[yellow]{failed} of {len(questions)} questions failed[/]")
        raise typer.Exit(1)


@app.command()
def chat(
    answerer: AnswererOpt = None,
    index: IndexOpt = None,
    source: SourceOpt = None,
    language: LangOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
) -> None:
    """An interactive session: follow-up questions ("and in Iraq?") resolve against the previous turn."""
    from rag.answer.followup import Conversation

    conversation = Conversation()
    try:
        with _engine(index, handoff=True) as engine:
            filters = _filters(source, language, date_from, date_to)
            out.print("[dim]Ask a question (empty line or Ctrl-D to quit).[/]")
            while True:
                try:
                    question = typer.prompt("?", default="", show_default=False, prompt_suffix=" ")
                except (EOFError, typer.Abort):
                    break
                if not question.strip():
                    break
                try:
                    result = engine.ask(question, answerer=answerer, filters=filters, conversation=conversation)
                except RagError as e:
                    err.print(f"[bold red]error:[/] {escape(str(e))}")
                    continue
                _print_answer(result)
    except RagError as e:
        _fail(e)


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(0)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 7860,
    index: IndexOpt = None,
) -> None:
    """One process owning the index: REST API under /api, docs at /docs, health at /healthz."""
    try:
        settings = _settings(index)
        if host not in ("127.0.0.1", "localhost", "::1") and not settings.api.token:
            raise RagError(
                f"refusing to listen on {host} without an API token",
                hint="set RAG_API_TOKEN (clients then send Authorization: Bearer <token>), or use --host 127.0.0.1",
            )
        import uvicorn

        from rag.api.app import create_app
        from rag.service import Service

        service = Service(settings)
    except RagError as e:
        _fail(e)
        return
    try:
        service.warm_in_background()  # the models load while the app and UI are built
        app_ = create_app(service)
        from ui.app import mount_ui

        app_ = mount_ui(app_, service)
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}"
        service.start(url)
        err.print(f"serving {service.engine.settings.index_dir()} at {url} (API docs: {url}/docs)")
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again, which by
        # default ends the process before the `finally` below: end it with a plain exit instead
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _exit_on_signal)
        with contextlib.suppress(SystemExit):
            uvicorn.run(app_, host=host, port=port, log_level="warning")
    finally:
        service.close()  # jobs, the LLM's process, the index, rag_service.json


@app.command()
def export(
    target: Annotated[Path, typer.Argument(help="the JSON Lines file to write (replaced atomically)")],
    index: IndexOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Back up every article (text + metadata) to JSON Lines; `rag ingest FILE` reads it back as it was."""
    from rag.lifecycle import export_jsonl
    from rag.store.factory import open_store

    try:
        settings = _settings(index)
        if not settings.index.qdrant_url and not (settings.index_dir() / "edge_config.json").exists():
            raise RagError(f"no index at {settings.index_dir()}", hint="pass --index PATH of an existing index")
        with open_store(settings) as store:
            n = export_jsonl(store, target)
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump({"file": str(target), "articles": n})
        return
    out.print(f"exported {n} articles to {escape(str(target))} (rag ingest {escape(str(target))} reads them back)")


@app.command()
def reindex(
    index: IndexOpt = None,
    to: Annotated[Path | None, typer.Option("--to", help="build the new index here (default: in place)")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Rebuild an index from its own stored articles with the current settings and model (no original
    files needed): after a model update or a chunking change. The old index stays until the new one is complete."""
    from rag.lifecycle import reindex as rebuild

    try:
        settings = _settings(index)
        source = settings.index_dir()
        with _progress_bar(json_out) as bar:
            task = bar.add_task("reindexing", total=None, detail=str(source))
            report = rebuild(
                source, settings, to, on_progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump(report.to_dict())
        return
    where = "in place" if report.replaced_in_place else f"into {escape(report.target)}"
    out.print(
        f"rebuilt {report.articles} articles ({report.sentences} sentences, {report.chunks} chunks) from "
        f"{escape(report.source)} {where} in {report.seconds:.1f} s"
    )


@app.command()
def stats(index: IndexOpt = None, json_out: JsonOpt = False) -> None:
    """What the index holds and which model and settings built it."""
    try:
        with _engine(index, handoff=True) as engine:
            data = engine.stats()
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump(data)
        return
    out.print(f"index     {escape(data['index'])} ({data['backend']})")
    out.print(
        f"articles  {data['articles']}   chunks {data['chunks']}   sentences {data['sentences']}   "
        f"terms {data['terms']}"
    )
    if data["sources"]:
        out.print("sources   " + ", ".join(f"{escape(k or '(none)')}: {v}" for k, v in data["sources"].items()))
    built = data["built_with"]
    if built:
        out.print(f"model     {escape(str(built['settings'].get('embedding.model')))} (dim {built.get('dim')})")
        out.print("settings  " + ", ".join(f"{k}={v}" for k, v in built["settings"].items() if k != "embedding.model"))
        out.print(f"created   {built.get('created')}")
    else:
        out.print("empty: nothing ingested yet (rag ingest PATH)")
    reader = data.get("reader")
    if reader:
        shown = f"reader    {escape(reader['weights'])} on {reader['backend']}"
        out.print(f"{shown}, abstains below confidence {reader['min_confidence']}")


@app.command(name="eval")
def eval_cmd(
    corpus: Annotated[Path, typer.Option("--corpus", exists=True, dir_okay=False, help="corpus.jsonl")],
    questions: Annotated[Path, typer.Option("--questions", exists=True, dir_okay=False, help="questions.jsonl")],
    lang: Annotated[str, typer.Option("--lang", help="it | en | both")] = "both",
    index: IndexOpt = None,
    peers: Annotated[bool, typer.Option("--peers/--no-peers", help="also run BM25, dense and naive RRF")] = True,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="only the first N questions")] = None,
    answers: Annotated[bool, typer.Option("--answers", help="also evaluate answers and citations")] = False,
    answerers: Annotated[
        str, typer.Option("--answerers", help="comma-separated answerers for --answers (extractive, local, openai)")
    ] = "extractive",
    answer_sample: Annotated[
        int, typer.Option("--answer-sample", min=1, help="questions per language for --answers (spread evenly)")
    ] = 300,
    unanswerable_corpus: Annotated[
        Path | None,
        typer.Option(
            "--unanswerable-corpus", exists=True, dir_okay=False, help="a corpus lacking some questions' articles"
        ),
    ] = None,
    fold: Annotated[
        int | None,
        typer.Option(
            "--fold", min=0, max=2, help="answers: only this fold's articles (a reader trained on the others)"
        ),
    ] = None,
    half: Annotated[
        str, typer.Option("--half", help="with --fold: a (even-positioned articles), b (odd) or all")
    ] = "all",
    json_out: JsonOpt = False,
) -> None:
    """Retrieval evaluation on SQuAD-it style data (R@1/5/10, MRR@10, sentence hits) and, with
    --answers, answer quality, citation recall/precision, abstention and latency per answerer."""
    from rag.eval.retrieval import run_eval

    if lang not in ("it", "en", "both"):
        _fail(RagError(f"--lang {lang!r} is not one of it, en, both", hint="use --lang it|en|both"))
    langs = ["it", "en"] if lang == "both" else [lang]
    kinds = [k.strip() for k in answerers.split(",") if k.strip()]
    try:
        for kind in kinds:
            if kind not in ("extractive", "local", "openai"):
                raise RagError(f"--answerers: unknown answerer {kind!r}", hint="use extractive, local or openai")
        report = run_eval(
            _settings(index),
            corpus,
            questions,
            langs=langs,
            peers=peers,
            limit=limit,
            log=err.print,  # stderr: progress never mixes with --json on stdout
        )
        if answers:
            from rag.eval.answers import run_answer_eval

            report["answers"] = run_answer_eval(
                _settings(index),
                corpus,
                questions,
                langs=langs,
                answerers=kinds,
                limit=answer_sample,
                unanswerable_corpus=unanswerable_corpus,
                fold=fold,
                half=half,
                log=err.print,  # stderr: progress never mixes with --json on stdout
            )
    except RagError as e:
        _fail(e)
        return
    if json_out:
        _dump(report)
        return
    from rag.eval.retrieval import format_table

    out.print(format_table(report))
    if answers:
        from rag.eval.answers import format_answer_table

        out.print()
        out.print(format_answer_table(report["answers"]))


def main() -> None:
    """The ``rag`` command: a ``RagError`` is reported by each command; anything else is a bug, shown
    as one line (the traceback with RAG_DEBUG=1), never as a wall of frames."""
    try:
        app()
    except Exception as bug:  # click handles usage errors, Ctrl-C and exits itself (SystemExit passes)
        if os.environ.get("RAG_DEBUG"):
            raise
        err.print(
            f"[bold red]error:[/] unexpected {type(bug).__name__}: {escape(redact(str(bug)))}\n"
            "  fix: this is a bug in rag-news; RAG_DEBUG=1 shows where it happened"
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
