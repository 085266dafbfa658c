"""Files and folders written whole or not at all, and locks between processes: one way to do each.

A reader never sees half a file: the text goes to a temporary file in the same folder that then
replaces the target in one rename. ``durable`` also flushes the file and its folder to disk first,
so the new content survives a power cut (the index manifest, job records, exports)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

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


def built_folder(target: Path, expected: dict[str, Any], build: Callable[[Path], None], *, what: str) -> Path:
    """``target``, a folder built whole or not at all by ``build(folder)``, once for its ``expected``
    build record (``build.json``): under a lock beside it, in a temporary folder renamed into place, so
    processes starting together build it once and never see half of it. A folder built for another
    record is replaced; what a killed build left is removed."""
    if build_is_current(target, expected):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target.parent / f".{target.name}.lock"):
        if build_is_current(target, expected):  # another process built it while this one waited
            return target
        for stale in target.parent.glob(f".{target.name}.*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)
        print(f"rag: {what} in {target} (once, under a minute)", file=sys.stderr)
        start = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            build(tmp)
            (tmp / "build.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
            for p in [tmp, *tmp.rglob("*")]:  # mkdtemp made it private; the cache is shared
                p.chmod(0o755 if p.is_dir() else 0o644)
            if target.exists():
                old = target.with_name(f".{target.name}.old.{os.getpid()}.tmp")
                os.rename(target, old)
                shutil.rmtree(old, ignore_errors=True)
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        print(f"rag: {what}: done in {time.monotonic() - start:.0f} s", file=sys.stderr)
    return target


def build_is_current(target: Path, expected: dict[str, Any]) -> bool:
    """Whether the folder ``target`` was built as ``expected`` says (its ``build.json``)."""
    try:
        return bool(json.loads((target / "build.json").read_text(encoding="utf-8")) == expected)
    except (OSError, ValueError):
        return False
