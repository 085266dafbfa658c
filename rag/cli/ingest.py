"""``rag ingest``: here, or handed to the running service as an upload job."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from rag.cli.common import IndexOpt, JsonOpt, command, dump, engine_for, err, out, progress_bar, settings_for
from rag.cli.text import one_line

if TYPE_CHECKING:
    from rag.models import IngestReport


def _ingest_here(paths: list[Path], index: Path | None, json_out: bool) -> IngestReport:
    from rag.loaders import count_inputs

    total = count_inputs(paths)
    with engine_for(index) as engine, progress_bar(json_out) as bar:
        if engine.recovered:
            err.print(
                f"[yellow]recovered:[/] an earlier ingest was interrupted while writing {len(engine.recovered)} "
                "articles; their unfinished parts were removed (they are written again if they are in this ingest)"
            )
        task = bar.add_task("ingesting", total=total or None, detail="")

        def progress(done: int, rep: Any) -> None:
            bar.update(task, advance=done, detail=f"{rep.articles} new, {rep.chunks} chunks")

        return engine.ingest(paths, on_progress=progress)


def _ingest_via_service(paths: list[Path], index: Path | None, json_out: bool) -> IngestReport | None:
    from rag.announcement import running_service
    from rag.cli.target import say_asking
    from rag.remote import ingest_via_service, service_token

    settings = settings_for(index)
    info = running_service(settings)
    if info is None:
        return None
    say_asking(settings, err, f"served by rag serve at {info['url']}: sending the files there", None)
    with progress_bar(json_out) as bar:
        task = bar.add_task("ingesting", total=None, detail="via service")
        return ingest_via_service(
            info["url"], paths, token=service_token(), on_progress=lambda d, t: bar.update(task, completed=d, total=t)
        )


@command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help=".txt .md .html .jsonl .pdf files or folders")],
    index: IndexOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ingest articles; re-ingesting the same content adds nothing.

    While `rag serve` owns the index, the files are handed to the service (uploaded as a job)."""
    from rag.cli.target import record_ingest
    from rag.errors import IndexLockedError

    report = _ingest_via_service(paths, index, json_out)  # a service owning the index: no engine here
    if report is None:
        try:
            report = _ingest_here(paths, index, json_out)
        except IndexLockedError:  # it started meanwhile
            handed = _ingest_via_service(paths, index, json_out)
            if handed is None:
                raise
            report = handed
    record_ingest(settings_for(index))  # `rag cite` with no --index warns if the default is another
    if json_out:
        dump(report.to_dict())
        return
    total = report.skipped_count
    out.print(
        f"[bold]{report.articles}[/] articles indexed ({report.sentences} sentences, {report.chunks} chunks), "
        f"{report.unchanged} unchanged, {report.replaced} replaced, {total} skipped "
        f"from {report.files} files in {report.seconds:.1f} s"
    )
    for s in report.skipped:
        out.print(f"  [yellow]skipped[/] {escape(one_line(s.origin))}: {escape(one_line(s.reason))}")
    if total > len(report.skipped):
        kinds = ", ".join(f"{k}: {n}" for k, n in report.skipped_by_kind.items())
        out.print(f"  … {total - len(report.skipped)} more skipped ({escape(kinds)})")
    for d in report.decoded:
        out.print(
            f"  [yellow]decoded as {escape(d['encoding'])}:[/] {escape(d['origin'])} (not UTF-8; if its accents "
            "look wrong in the quotes, save it as UTF-8 and ingest it again)"
        )
    for group in report.near_duplicates:
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
