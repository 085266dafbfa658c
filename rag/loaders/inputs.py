"""Walk the given files and folders and load every supported file."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from rag.errors import InputFileError
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


def iter_inputs(paths: Sequence[Path]) -> Iterator[Article | Skipped]:
    """Articles from files and folders (recursively, in sorted order, hidden entries skipped).

    Raises InputFileError at once (before anything is loaded) when a path does not exist.
    Every file that cannot be ingested, or jsonl line, yields a Skipped naming the problem.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise InputFileError(str(path), "no such file or folder")
    return _load_all(paths)


def _load_all(paths: list[Path]) -> Iterator[Article | Skipped]:
    for file in _files(paths):
        yield from load_file(file)


def load_file(path: Path) -> Iterator[Article | Skipped]:
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        kind = f"'{suffix}'" if suffix else "(no extension)"
        yield Skipped(str(path), f"unsupported file type {kind} (supported: {', '.join(SUPPORTED_EXTENSIONS)})")
        return
    result = loader(path)
    if isinstance(result, Article | Skipped):
        yield result
    else:
        yield from result


def _files(paths: list[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            yield from _walk(path, seen)
        else:
            yield path


def _walk(folder: Path, seen: set[Path]) -> Iterator[Path]:
    real = folder.resolve()
    if real in seen:  # a symlink loop, or the same folder given twice
        return
    seen.add(real)
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _walk(child, seen)
        elif child.is_file():
            yield child


def list_files(paths: Sequence[Path]) -> list[Path]:
    """Every file the given files and folders hold, in ingest order (folders walked as by ingest)."""
    return list(_files([Path(p) for p in paths]))


def count_inputs(paths: Sequence[Path]) -> int:
    """A cheap estimate of how many articles ``iter_inputs`` will yield (for progress bars)."""
    paths = [Path(p) for p in paths]
    if not all(p.exists() for p in paths):
        return 0
    total = 0
    for file in _files(paths):
        if file.suffix.lower() == ".jsonl":
            with file.open("rb") as fh:
                total += sum(1 for line in fh if line.strip())
        else:
            total += 1
    return total
