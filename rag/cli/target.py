"""Which index a command asks, said on stderr, and the index the last ``rag ingest`` wrote into.

Every command that opens an index (or hands its work to ``rag serve``) names on stderr the folder it
asks, how (opened here, or through the service at its URL) and how many articles it holds: stdout
stays the answer (and ``--json`` stays JSON). ``rag ingest`` records the folder it wrote into in a small
file beside the default index (``<index home>/last_ingest.json``, ``RAG_INDEX__LAST_INGEST``); a
command that names no ``--index`` while that folder is another than the default one warns, naming
both folders and the option that asks the other. It warns rather than refuses: asking the default
index after ingesting elsewhere can be meant, and the warning says which archive answers.

Standard library only at import time: this runs before the CLI decides whether it needs the engine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from rag.settings import Settings

LAST_INGEST = "last_ingest.json"


def index_label(settings: Settings) -> str:
    """The index as a user names it: its folder (absolute), or the Qdrant server and collection."""
    if settings.index.qdrant_url:
        return f"collection {settings.collection_name()} on {settings.index.qdrant_url}"
    return str(_absolute(settings.index_dir()))


def _absolute(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except OSError:
        return path.expanduser().absolute()


def last_ingest_file(settings: Settings) -> Path:
    return settings.index.last_ingest or settings.index.home / LAST_INGEST


def record_ingest(settings: Settings) -> None:
    """Remembers that ``rag ingest`` wrote into this index (a Qdrant server is not recorded). Never
    fails the ingest: a file that cannot be written only loses the warning."""
    if settings.index.qdrant_url:
        return
    from rag.files import write_text_atomic

    target = last_ingest_file(settings)
    record = {"index": str(_absolute(settings.index_dir())), "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, json.dumps(record) + "\n", durable=False)
    except OSError:
        pass


def last_ingested(settings: Settings) -> Path | None:
    """The folder the last ``rag ingest`` wrote into, if it is recorded and still there."""
    try:
        data: Any = json.loads(last_ingest_file(settings).read_text(encoding="utf-8"))
        folder = Path(data["index"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return folder if folder.is_dir() else None


def other_than_last_ingest(settings: Settings) -> Path | None:
    """The folder the last ``rag ingest`` wrote into when it is not this settings' index (else None)."""
    if settings.index.qdrant_url:
        return None
    last = last_ingested(settings)
    if last is None or _absolute(last) == _absolute(settings.index_dir()):
        return None
    return last


def warn_if_another_was_ingested(settings: Settings, err: Console) -> None:
    """For a command that named no ``--index``: a loud warning when the last ingest went elsewhere."""
    from rich.markup import escape

    from rag.cli.text import one_line

    other = other_than_last_ingest(settings)
    if other is None:
        return
    here, there = escape(one_line(index_label(settings))), escape(one_line(str(other)))
    err.print(
        f"[bold yellow]warning:[/] no --index given, so this asks the default index {here}, but the last "
        f"`rag ingest` wrote into another one: {there}\n"
        f"  fix: add --index {there} to ask that archive (ingesting into the default index silences this)",
        soft_wrap=True,
    )


def say_asking(settings: Settings, err: Console, how: str, articles: int | None) -> None:
    """One stderr line: the index asked, how, and its article count when known."""
    from rich.markup import escape

    from rag.cli.text import one_line

    count = f", {articles} articles" if articles is not None else ""
    err.print(f"[dim]index {escape(one_line(index_label(settings)))} ({how}{count})[/]", soft_wrap=True)
