"""Files written whole or not at all, and locks between processes: one way to do each.

A reader never sees half a file: the text goes to a temporary file in the same folder that then
replaces the target in one rename. ``durable`` also flushes the file and its folder to disk first,
so the new content survives a power cut (the index manifest, job records, exports)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from filelock import FileLock


@contextmanager
def atomic_file(path: Path, *, durable: bool = True) -> Iterator[TextIO]:
    """A text file to write that replaces ``path`` when the block ends without an error."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    with atomic_file(path, durable=durable) as fh:
        fh.write(text)


def locked(lock_file: Path) -> FileLock:
    """An exclusive lock between processes (and threads), held while the ``with`` block runs."""
    return FileLock(str(lock_file))
