"""Files written whole or not at all; one lock helper."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from rag.files import atomic_file, locked, write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "meta.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_file(target) as fh:
        fh.write("half of the new")
        raise RuntimeError("crash mid-write")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json"]
    write_text_atomic(target, "new", durable=False)
    assert target.read_text(encoding="utf-8") == "new"


def test_the_lock_lets_one_holder_in_at_a_time(tmp_path: Path) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    def work(i: int) -> None:
        with locked(tmp_path / ".lock"):
            if inside:
                overlaps.append(i)
            inside.append(i)
            time.sleep(0.02)
            inside.remove(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
