"""Keeping the archive: ``rag serve``, ``export``, ``reindex``, ``stats`` and ``eval``."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import typer
from rich.markup import escape

from rag.cli.common import IndexOpt, JsonOpt, command, dump, engine_for, err, out, progress_bar, settings_for
from rag.errors import RagError


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(0)


@command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 7860,
    index: IndexOpt = None,
) -> None:
    """One process owning the index: REST API under /api, docs at /docs, health at /healthz."""
    settings = settings_for(index)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api.token:
        raise RagError(
            f"refusing to listen on {host} without an API token",
            hint="set RAG_API_TOKEN (clients then send Authorization: Bearer <token>), or use --host 127.0.0.1",
        )
    import uvicorn

    from rag.api.app import create_app
    from rag.service import Service

    service = Service(settings)
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
            proxies = settings.api.trusted_proxies  # X-Forwarded-For believed from these only
            uvicorn.run(
                app_,
                host=host,
                port=port,
                log_level="warning",
                proxy_headers=bool(proxies),
                forwarded_allow_ips=",".join(proxies) or None,
            )
    finally:
        service.close()  # jobs, the LLM's process, the index, rag_service.json


@command()
def export(
    target: Annotated[Path, typer.Argument(help="the JSON Lines file to write (replaced atomically)")],
    index: IndexOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Back up every article (text + metadata) to JSON Lines; `rag ingest FILE` reads it back as it was."""
    from rag.lifecycle import export_jsonl
    from rag.store.factory import open_store

    settings = settings_for(index)
    if not settings.index.qdrant_url and not (settings.index_dir() / "edge_config.json").exists():
        raise RagError(f"no index at {settings.index_dir()}", hint="pass --index PATH of an existing index")
    unreadable: list[str] = []
    with open_store(settings) as store:
        n = export_jsonl(store, target, unreadable=unreadable)
    if json_out:
        dump({"file": str(target), "articles": n, "unreadable": unreadable})
    else:
        out.print(f"exported {n} articles to {escape(str(target))} (rag ingest {escape(str(target))} reads them back)")
    if unreadable:  # the rest is exported; these are named, and the exit status says it is not whole
        shown = ", ".join(unreadable[:10]) + (f" and {len(unreadable) - 10} more" if len(unreadable) > 10 else "")
        err.print(
            f"[red]{len(unreadable)} article records could not be read (the index is damaged): points {shown}[/]\n"
            "  fix: restore those articles from an older backup or their original files"
        )
        raise typer.Exit(1)


@command()
def reindex(
    index: IndexOpt = None,
    to: Annotated[Path | None, typer.Option("--to", help="build the new index here (default: in place)")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Rebuild an index from its own stored articles with the current settings and model (no original
    files needed): after a model update or a chunking change. The old index stays until the new one is complete."""
    from rag.lifecycle import reindex as rebuild

    settings = settings_for(index)
    source = settings.index_dir()
    with progress_bar(json_out) as bar:
        task = bar.add_task("reindexing", total=None, detail=str(source))
        report = rebuild(
            source, settings, to, on_progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    if json_out:
        dump(report.to_dict())
        return
    where = "in place" if report.replaced_in_place else f"into {escape(report.target)}"
    out.print(
        f"rebuilt {report.articles} articles ({report.sentences} sentences, {report.chunks} chunks) from "
        f"{escape(report.source)} {where} in {report.seconds:.1f} s"
    )
    if report.jobs_carried:
        out.print(f"{report.jobs_carried} upload jobs not yet ingested went with it: `rag serve` runs them")


@command()
def stats(index: IndexOpt = None, json_out: JsonOpt = False) -> None:
    """What the index holds and which model and settings built it."""
    with engine_for(index, handoff=True) as engine:
        data = engine.stats()
    if json_out:
        dump(data)
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
    llm = data.get("llm")
    if llm:
        out.print(f"local LLM {escape(llm['summary'])}")


EvalAnswerer = Literal["extractive", "local", "openai"]


def _answerer_list(value: str) -> str:
    """``--answerers``: comma-separated choices of :data:`EvalAnswerer`, normalised."""
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    bad = [k for k in kinds if k not in get_args(EvalAnswerer)]
    if bad or not kinds:
        raise typer.BadParameter(f"{', '.join(bad) or value!r} is not one of: {', '.join(get_args(EvalAnswerer))}")
    return ",".join(kinds)


@command(name="eval")
def eval_cmd(
    corpus: Annotated[
        Path | None, typer.Option("--corpus", exists=True, dir_okay=False, help="corpus.jsonl (SQuAD-it style)")
    ] = None,
    questions: Annotated[
        Path | None, typer.Option("--questions", exists=True, dir_okay=False, help="questions.jsonl")
    ] = None,
    news: Annotated[
        Path | None,
        typer.Option(
            "--news", exists=True, file_okay=False, help="a news benchmark folder (articles.jsonl, questions.jsonl)"
        ),
    ] = None,
    lang: Annotated[Literal["it", "en", "both"], typer.Option("--lang", help="it | en | both")] = "both",
    index: IndexOpt = None,
    peers: Annotated[bool, typer.Option("--peers/--no-peers", help="also run BM25, dense and naive RRF")] = True,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="only the first N questions")] = None,
    answers: Annotated[bool, typer.Option("--answers", help="also evaluate answers and citations")] = False,
    answerers: Annotated[
        str,
        typer.Option(
            "--answerers",
            help="comma-separated answerers for --answers (extractive, local, openai)",
            callback=_answerer_list,
        ),
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
    --answers, answer quality, citation recall/precision, abstention and latency per answerer. With
    --news DIR: the news benchmark (right, wrong, needless and right abstentions per kind and language)."""
    from rag.eval.retrieval import run_eval

    kinds = answerers.split(",")
    if news is not None:
        from rag.eval.news import format_news_table, run_news_eval

        news_report = run_news_eval(settings_for(index), news, kinds, say=err.print)
        dump(news_report) if json_out else out.print(format_news_table(news_report))
        return
    if corpus is None or questions is None:
        raise typer.BadParameter("give --corpus and --questions (SQuAD-it style), or --news DIR")

    langs: list[str] = ["it", "en"] if lang == "both" else [lang]
    report = run_eval(
        settings_for(index),
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
            settings_for(index),
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
    if json_out:
        dump(report)
        return
    from rag.eval.retrieval import format_table

    out.print(format_table(report))
    if answers:
        from rag.eval.answers import format_answer_table

        out.print()
        out.print(format_answer_table(report["answers"]))
