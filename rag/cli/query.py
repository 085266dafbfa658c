"""The questions: ``rag search``, ``cite``, ``ask`` (one or a file of them) and ``chat``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from rag.answer.export import FORMATS as EXPORT_FORMATS
from rag.answer.export import export as export_answers
from rag.cli.common import (
    AnswererOpt,
    FromOpt,
    IndexOpt,
    JsonOpt,
    LangOpt,
    SourceOpt,
    ToOpt,
    command,
    dump,
    engine_for,
    err,
    make_filters,
    out,
    progress_bar,
)
from rag.errors import RagError


@command()
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
    with engine_for(index, handoff=True) as engine:
        result = engine.search(query, top_k=k, filters=make_filters(source, language, date_from, date_to))
    if json_out:
        dump(result.to_dict())
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


@command()
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
    with engine_for(index, handoff=True) as engine:
        found = engine.lookup(claim, top_k=k, filters=make_filters(source, language, date_from, date_to))
    if json_out:
        dump(found.to_dict())
        return
    style = {"supported": "green", "conflicts": "yellow"}.get(found.verdict, "red")
    out.print(f"[bold {style}]{escape(found.summary())}[/]")
    for rank, h in enumerate(found.citations, 1):
        out.print(f"[bold]{rank}.[/] «{escape(h.quote)}»")
        out.print(f"   [dim]{where(h)} · {h.sentence_id} · {h.verdict.replace('_', ' ')} · p {h.score:.2f}[/]")


def where(c: Any) -> str:
    """ "title, source, date, chars a–b" of a citation (what it has of them), escaped."""
    parts = [c.title or c.article_id, c.source or "", c.date or ""]
    return ", ".join(escape(p) for p in parts if p) + f", chars {c.start}–{c.end}"


_SAID: set[str] = set()


def say_llm_cause(engine: Any, result: Any) -> None:
    """Why the local LLM did not answer, with its fix: on stderr, once a run (40 answers of a batch made
    without it carry a one-line notice each, not 40 copies of the cause)."""
    cause = getattr(engine, "llm_notice", None) if result.notice else None
    if cause and cause not in _SAID:
        _SAID.add(cause)
        err.print(f"[yellow]{escape(cause)}[/]")


def print_answer(result: Any, *, streamed: str | None = None) -> None:
    """``streamed``: the text already printed while the answer was generated (``None``: not streamed)."""
    if streamed:
        out.print()  # end the streamed line; then the verified answer, unless it is what was streamed
    if streamed is None or result.answer.strip() != streamed.strip():
        style = "yellow" if result.abstained else "bold"
        out.print(f"[{style}]{escape(result.answer)}[/]")
    if result.abstained and result.reason:
        out.print(f"[dim]({escape(result.reason)})[/]")
    if result.notice:
        out.print(f"[dim]notice: {escape(result.notice)}[/]")
    for c in result.citations:
        out.print(f"[cyan][{c.n}][/] «{escape(c.quote)}» — {where(c)}")
        if c.highlight:
            out.print(f"    [dim]answer at chars {c.highlight[0]}–{c.highlight[1]} · checks: {', '.join(c.support)}[/]")
        else:
            out.print(f"    [dim]checks: {', '.join(c.support)}[/]")
    if result.abstained and getattr(result, "nearest", None):
        out.print("[dim]the nearest sentences found:[/]")
        for c in result.nearest:
            out.print(f"[dim]  · «{escape(c.quote)}» — {where(c)}[/]")


@command()
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
    if fmt is not None and fmt not in EXPORT_FORMATS:
        raise RagError(f"unknown --format {fmt!r}", hint=f"use one of: {', '.join(EXPORT_FORMATS)}")
    if file is not None:
        if question is not None:
            raise RagError("give a question or --file, not both", hint=f"rag ask --file {file}")
        ask_batch(
            read_questions(file), answerer, index, make_filters(source, language, date_from, date_to), json_out, fmt
        )
        return
    if question is None or not question.strip():
        raise RagError("the question is empty", hint='ask something, e.g. rag ask "How many US troops are in Syria?"')
    with engine_for(index, handoff=True) as engine:
        on_token = None
        streamed: list[str] = []
        if stream and not json_out:

            def on_token(text: str) -> None:
                streamed.append(text)
                out.print(escape(text), end="")

        result = engine.ask(
            question,
            answerer=answerer,
            filters=make_filters(source, language, date_from, date_to),
            on_token=on_token,
        )
        say_llm_cause(engine, result)
    if json_out:
        dump(result.to_dict())
        return
    if fmt is not None:
        sys.stdout.write(export_answers([result], fmt))
        return
    print_answer(result, streamed="".join(streamed) if on_token is not None else None)


def read_questions(file: Path) -> list[str]:
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


def ask_batch(
    questions: list[str], answerer: str | None, index: Path | None, filters: Any, json_out: bool, fmt: str | None = None
) -> None:
    """Each question answered in turn with one engine; a question that fails is reported and the
    rest go on (exit status 1 if any failed)."""
    failed = 0
    done: list[Any] = []
    with engine_for(index, handoff=True) as engine, progress_bar(False) as bar:  # stderr: beside JSONL too
        task = bar.add_task("answering", total=len(questions), detail="")
        for n, q in enumerate(questions, 1):
            try:
                result = engine.ask(q, answerer=answerer, filters=filters)
                say_llm_cause(engine, result)
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
                print_answer(result)
                out.print()
            bar.update(task, advance=1)
    if fmt is not None:
        sys.stdout.write(export_answers(done, fmt))
    if failed:
        err.print(f"[yellow]{failed} of {len(questions)} questions failed[/]")
        raise typer.Exit(1)


@command()
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
    with engine_for(index, handoff=True) as engine:
        filters = make_filters(source, language, date_from, date_to)
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
            print_answer(result)
            say_llm_cause(engine, result)
