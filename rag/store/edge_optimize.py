"""Optimizing a Qdrant Edge index without stopping its searches.

``EdgeShard.optimize()`` (HNSW builds, vacuum after deletes) holds Python's GIL for its whole run,
so a serving process would answer nothing meanwhile, ``/healthz`` included (the figures:
docs/reliability.md). So the service never calls it in its own process. :func:`optimize_offline`
copies the shard's files (flushed, under the store's write lock), optimizes the copy in a child
process (``python -m rag.store.edge_optimize DIR``) while the service keeps searching its own shard,
then swaps the optimized files in (a rename) and re-applies the deletes made meanwhile. Any upsert
made meanwhile, a cancel, or a failed child discards the copy: the live shard is never touched by it.

The swap is several renames, so it keeps a journal (``.swap.json``, written durably before the first
rename): ``swapping`` until the optimized files are open with the deletes made meanwhile re-applied and
flushed, then ``committed``. A crash at any point in between is undone when the index is next opened
(:func:`recover`): before the commit the replaced files go back, after it the swap is finished. The
replaced files are removed only once no journal needs them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

#: What Qdrant Edge keeps in an index folder (the rest, e.g. rag_index.json and uploads/, is ours).
EDGE_OWNED = ("edge_config.json", "segments", "temp_segments", "wal")
WORK_DIR = ".optimizing"
OLD_PREFIX = ".replaced-"
JOURNAL = ".swap.json"
_rename = os.replace  # (a test crashes the process between two of them)


class Optimizable(Protocol):
    """What :func:`optimize_offline` needs of a store (``rag.store.edge.EdgeStore`` provides it): its
    folder, its writes held still, the deletes made meanwhile recorded, and a swap of its files."""

    path: Path

    def flush(self) -> None: ...
    def dimension(self) -> int | None: ...
    def holding_writes(self) -> AbstractContextManager[object]:
        """No write lands while this is held (a re-entrant lock)."""
        ...

    def holding_reads_off(self) -> AbstractContextManager[object]:
        """No read of the files runs while this is held (the write side of the read/write lock)."""
        ...

    def begin_recording(self) -> None:
        """From now on record deletes (to re-apply after the swap) and note any upsert (superseded)."""
        ...

    def end_recording(self) -> None: ...
    @property
    def superseded(self) -> bool:
        """An upsert came in since :meth:`begin_recording`: the copy being optimized is out of date."""
        ...

    def swap_in(self, swap: Callable[[], None], unswap: Callable[[], None], commit: Callable[[], None]) -> None: ...


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _journal(folder: Path, state: str, stamp: str, present: list[str]) -> None:
    from rag.files import write_text_atomic

    record = {"state": state, "stamp": stamp, "present": present}
    write_text_atomic(folder / JOURNAL, json.dumps(record), durable=True)


def recover(folder: Path) -> str | None:
    """Finishes or undoes a swap a crash interrupted (see the module's docstring), then removes what an
    interrupted optimization left (its copy, replaced files): never the live shard. Returns what it did."""
    done = None
    try:
        record = json.loads((folder / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        record = None
    except (OSError, ValueError) as err:  # written atomically: only a damaged disk gets here
        raise OSError(f"{folder / JOURNAL} is unreadable ({err}): the index may be half swapped") from err
    if record is not None:
        if record["state"] == "committed":
            done = "finished an interrupted swap"
        else:
            _unswap(folder, record["stamp"], record["present"])
            done = "undid an interrupted swap (the index is as it was before that optimization)"
        log.warning("%s: %s", folder, done)
        (folder / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(folder / WORK_DIR, ignore_errors=True)
    for old in folder.glob(f"{OLD_PREFIX}*"):
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    return done


def _copy_shard(folder: Path, work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for name in EDGE_OWNED:
        src = folder / name
        if src.is_dir():
            shutil.copytree(src, work / name)
        elif src.exists():
            shutil.copy2(src, work / name)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap(folder: Path, work: Path) -> tuple[str, list[str]]:
    """Moves the optimized files in place (renames within one folder), the replaced ones aside under
    a stamp, journaled first. Returns the stamp and the names that were there, for :func:`_unswap`."""
    stamp = f"{OLD_PREFIX}{os.getpid()}-{time.monotonic_ns()}-"
    present = [name for name in EDGE_OWNED if (folder / name).exists()]
    _journal(folder, "swapping", stamp, present)
    for name in EDGE_OWNED:
        if (folder / name).exists():
            _rename(folder / name, folder / f"{stamp}{name}")
        if (work / name).exists():
            _rename(work / name, folder / name)
    _fsync_dir(folder)
    return stamp, present


def _commit(folder: Path, stamp: str, present: list[str]) -> None:
    """The optimized files are open, with the deletes made meanwhile, flushed: no going back."""
    _journal(folder, "committed", stamp, present)


def _unswap(folder: Path, stamp: str, present: list[str]) -> None:
    """Puts the replaced files back, and removes what came from the copy where nothing was replaced."""
    for name in EDGE_OWNED:
        old, target = folder / f"{stamp}{name}", folder / name
        if old.exists() or name not in present:
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
        if old.exists():
            _rename(old, target)
    _fsync_dir(folder)


def _remove_replaced(folder: Path, stamp: str) -> None:
    for name in EDGE_OWNED:
        old = folder / f"{stamp}{name}"
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    try:  # the journal, unless a later swap wrote its own meanwhile
        if json.loads((folder / JOURNAL).read_text(encoding="utf-8"))["stamp"] == stamp:
            (folder / JOURNAL).unlink()
    except (OSError, ValueError, KeyError):
        pass


def optimize_offline(store: Optimizable, cancel: threading.Event | None = None, poll_s: float = 0.2) -> str:
    """Optimizes ``store`` in a child process and swaps the result in. Returns what happened:
    ``"swapped"``, ``"cancelled"``, ``"superseded"`` (an upsert came in meanwhile), ``"no space"`` or
    ``"failed: …"``. Searches go on throughout; they wait only for the swap itself."""
    folder = store.path
    work = folder / WORK_DIR
    with store.holding_writes():  # no write lands while the files are copied
        store.flush()
        need = sum(_size(folder / n) for n in EDGE_OWNED if (folder / n).exists())
        if shutil.disk_usage(folder).free < need * 1.2 + (64 << 20):
            free = shutil.disk_usage(folder).free
            log.warning("not optimizing %s in the background: %d MB free, %d MB needed", folder, free >> 20, need >> 20)
            return "no space"
        _copy_shard(folder, work)
        store.begin_recording()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.store.edge_optimize", str(work), str(store.dimension() or 0)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        while proc.poll() is None:
            if (cancel is not None and cancel.is_set()) or store.superseded:
                proc.kill()
                proc.wait()
                return "cancelled" if not store.superseded else "superseded"
            time.sleep(poll_s)
        if proc.returncode != 0:
            detail = (proc.stderr.read() if proc.stderr else b"").decode("utf-8", "replace").strip()[-300:]
            log.warning("optimizing a copy of %s failed (exit %s): %s", folder, proc.returncode, detail)
            return f"failed: exit {proc.returncode}"
        with store.holding_reads_off(), store.holding_writes():
            if store.superseded:
                return "superseded"
            swapped: dict[str, tuple[str, list[str]]] = {}

            def swap() -> None:
                swapped["it"] = _swap(folder, work)

            store.swap_in(swap, lambda: _unswap(folder, *swapped["it"]), lambda: _commit(folder, *swapped["it"]))
            stamp = swapped["it"][0]
        threading.Thread(target=_remove_replaced, args=(folder, stamp), name="rag-optimize-clean", daemon=True).start()
        return "swapped"
    finally:
        store.end_recording()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """The child: open the copy, optimize it, close it (flushed)."""
    args = sys.argv[1:] if argv is None else argv
    import qdrant_edge as qe

    from rag.store.edge_requests import edge_config as _edge_config

    shard = qe.EdgeShard.load(args[0], _edge_config(int(args[1])))
    try:
        shard.optimize()
    finally:
        shard.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
