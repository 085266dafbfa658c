"""What every ``rag`` command shares: the app and its consoles, the common options, the index's
engine (or the running service), filters, and the one place a :class:`RagError` becomes a message."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rag.errors import RagError, redact

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Search and cite an Italian news archive.")
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

Answerer = Literal["auto", "extractive", "local", "openai"]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="index folder (default: derived under indexes/)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
SourceOpt = Annotated[list[str] | None, typer.Option("--source", help="only these sources (repeatable)")]
LangOpt = Annotated[list[str] | None, typer.Option("--language", help="only articles in these languages")]
FromOpt = Annotated[str | None, typer.Option("--from", help="only articles dated on/after YYYY-MM-DD")]
ToOpt = Annotated[str | None, typer.Option("--to", help="only articles dated on/before YYYY-MM-DD")]


def settings_for(index: Path | None) -> Any:
    from rag.settings import load_settings

    s = load_settings()
    if index is not None:
        s.index.path = index
    return s


def make_filters(
    source: list[str] | None, language: list[str] | None, date_from: str | None, date_to: str | None
) -> Any:
    from datetime import date

    from rag.models import Filters

    for name, value in (("--from", date_from), ("--to", date_to)):
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise RagError(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD, e.g. 2024-01-31") from None
    return Filters(sources=source or None, languages=language or None, date_from=date_from, date_to=date_to).or_none()


@contextmanager
def engine_for(index: Path | None, *, handoff: bool = False) -> Iterator[Any]:
    """The index's engine; with ``handoff``, while ``rag serve`` owns the index, the running service
    instead (its API answers the queries: :class:`rag.remote.ServiceEngine`). Says on stderr which
    index it asks and how; with no ``--index``, warns when the last ``rag ingest`` went elsewhere.

    The service's announcement is read before any model code is imported: a call the service
    answers costs an HTTP request, not the engine's imports (the service locks the folder it owns,
    so an announcement in this folder is a service of this index)."""
    from rag.announcement import running_service
    from rag.cli.target import say_asking, warn_if_another_was_ingested

    settings = settings_for(index)
    if index is None:
        warn_if_another_was_ingested(settings, err)
    info = running_service(settings) if handoff else None
    if info is None:
        from rag.engine import Engine
        from rag.errors import IndexLockedError

        try:
            engine = Engine(settings)
        except IndexLockedError:
            info = running_service(settings) if handoff else None  # it started meanwhile
            if info is None:
                raise
        else:
            with engine:
                if engine.store.exists():
                    say_asking(settings, err, "opened here", _articles(engine))
                else:
                    say_asking(settings, err, "opened here; nothing ingested there yet", None)
                yield engine
            return
    from rag.remote import ServiceEngine, service_token

    with ServiceEngine(info["url"], service_token()) as remote:
        say_asking(settings, err, f"served by rag serve at {info['url']}: asking it", remote.articles())
        yield remote


def _articles(engine: Any) -> int | None:
    try:
        return int(engine.store.count("article"))
    except Exception:  # only a figure for the message: the command reports a broken index itself
        return None


def fail(e: RagError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(e))}")
    raise typer.Exit(2)


def dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


AnswererOpt = Annotated[
    Answerer | None, typer.Option("--answerer", help="auto | extractive | local | openai (default: settings, auto)")
]


def progress_bar(json_out: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
        disable=json_out or not err.is_terminal,
    )


def command(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """``app.command`` whose :class:`RagError` (from the command or its output) is reported as one
    line naming the problem and its fix, exit status 2: the CLI's one error handler."""

    def register(fn: F) -> F:
        @functools.wraps(fn)
        def run(*a: Any, **k: Any) -> Any:
            try:
                return fn(*a, **k)
            except RagError as e:
                fail(e)

        app.command(*args, **kwargs)(run)
        return fn

    return register


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
