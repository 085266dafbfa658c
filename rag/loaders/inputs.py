"""Walk the given files and folders and load every supported file."""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from rag.errors import InputFileError
from rag.loaders.base import DEFAULT_MAX_FILE_MB, EMPTY, MB, too_large, unreadable
from rag.loaders.html import load_html
from rag.loaders.jsonl import load_jsonl
from rag.loaders.pdf import load_pdf
from rag.loaders.text import load_text
from rag.models import Article, Skipped

Loader = Callable[[Path], "Article | Skipped | Iterable[Article | Skipped]"]

LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".jsonl": load_jsonl,
    ".pdf": load_pdf,
}
SUPPORTED_EXTENSIONS = tuple(LOADERS)
#: Start of the reason given when a loader fails in a way it does not handle (a bug: please report it).
UNEXPECTED = "unexpected error while reading"

log = logging.getLogger(__name__)


def iter_inputs(paths: Sequence[Path], *, max_file_mb: float | None = None) -> Iterator[Article | Skipped]:
    """Articles from files and folders (recursively, in sorted order, hidden entries skipped).

    Raises InputFileError at once (before anything is loaded) when a path does not exist.
    Every file that cannot be ingested, or jsonl line, yields a Skipped naming the problem.
    ``max_file_mb``: the largest file read (a .jsonl file: the longest line); default ``ingest.max_file_mb``
    of the settings (``RAG_INGEST__MAX_FILE_MB``).
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise InputFileError(str(path), "no such file or folder")
    if max_file_mb is None:
        from rag.settings import load_settings

        max_file_mb = load_settings().ingest.max_file_mb
    return _load_all(paths, max_file_mb)


def _load_all(paths: list[Path], max_file_mb: float) -> Iterator[Article | Skipped]:
    for entry in _files(paths):
        if isinstance(entry, Skipped):
            yield entry
        else:
            yield from load_file(entry, max_file_mb=max_file_mb)


def load_file(path: Path, *, max_file_mb: float | None = None) -> Iterator[Article | Skipped]:
    """The articles of one file, or Skipped items saying why (never raises for a bad file)."""
    limit = DEFAULT_MAX_FILE_MB if max_file_mb is None else max_file_mb
    origin = str(path)
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        kind = f"'{suffix}'" if suffix else "(no extension)"
        yield Skipped(origin, f"unsupported file type {kind} (supported: {', '.join(SUPPORTED_EXTENSIONS)})")
        return
    info = _stat(path)
    problem = info if isinstance(info, str) else None
    if isinstance(info, os.stat_result):
        if info.st_size == 0:
            problem = EMPTY
        elif info.st_size > limit * MB and suffix != ".jsonl":  # a .jsonl file is held to it line by line
            problem = too_large(info.st_size, limit)
    if problem is not None:
        yield Skipped(origin, problem)
        return
    try:
        result = load_jsonl(path, limit) if suffix == ".jsonl" else loader(path)
        if isinstance(result, Article | Skipped):
            yield result
        else:
            yield from result
    except Exception as err:  # a loader bug must not stop the rest of the batch
        log.exception("loading %s failed", origin)
        yield Skipped(origin, f"{UNEXPECTED} the file ({type(err).__name__}: {err}); please report this")


def _stat(path: Path) -> os.stat_result | str:
    """The stat of a regular file, or why ``path`` cannot be read as one (broken or looping link, pipe)."""
    try:
        info = path.stat()
    except OSError as err:
        if path.is_symlink():
            target = os.readlink(path)
            if err.errno == errno.ELOOP:
                return f"symbolic link loop (-> {target}); fix or remove the link"
            return f"broken symbolic link: its target {target} does not exist (fix or remove the link)"
        return unreadable(err)
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a named pipe, socket or device); not read"
    return info


def _files(paths: list[Path]) -> Iterator[Path | Skipped]:
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            yield from _walk(path, seen)
        else:
            yield path


def _walk(folder: Path, seen: set[Path]) -> Iterator[Path | Skipped]:
    real = folder.resolve()
    if real in seen:  # the same folder given twice
        return
    seen.add(real)
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as err:
        yield Skipped(str(folder), unreadable(err, "folder"))
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if child.is_symlink() and child.resolve() in seen:
                yield Skipped(str(child), "link to a folder already read (a symbolic link loop?); not read again")
            else:
                yield from _walk(child, seen)
        else:
            yield child  # load_file reports a broken or looping link, a pipe or a device


def list_files(paths: Sequence[Path]) -> list[Path]:
    """Every file the given files and folders hold, in ingest order (folders walked as by ingest).
    Entries that cannot be read (broken links, unreadable folders) are left out: ``iter_inputs`` reports them."""
    return [p for p in _files([Path(p) for p in paths]) if isinstance(p, Path) and not isinstance(_stat(p), str)]


def count_inputs(paths: Sequence[Path]) -> int:
    """A cheap estimate of how many articles ``iter_inputs`` will yield (for progress bars)."""
    paths = [Path(p) for p in paths]
    if not all(p.exists() for p in paths):
        return 0
    total = 0
    for file in _files(paths):
        if isinstance(file, Path) and file.suffix.lower() == ".jsonl" and not isinstance(_stat(file), str):
            try:
                with file.open("rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total
