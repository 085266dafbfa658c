"""Bad input kinds not sent through the embedder: the 10 MB article through the real loader and splitter
(about 100,000 sentences: an hour of embedding here), the file size limit and its variable, a chmod-000 file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from rag.models import Article, Skipped
from tests.conftest import ROOT
from tests.loaders.bad_input_kinds import MB


def test_ten_megabyte_article_loads_and_splits_with_exact_spans(tmp_path: Path) -> None:
    """10 MB in one article: the real loader and the indexing pipeline's splitter, spans exact, in seconds."""
    from rag.ingest.splitter import ArticleSplitter
    from rag.loaders import iter_inputs

    paragraph = "".join(
        f"Il consiglio comunale di Roma ha approvato il piano numero {i} per la mobilità urbana. " for i in range(6)
    )
    repeats = 10 * MB // len(paragraph.encode()) + 1
    path = tmp_path / "enorme.txt"
    path.write_text((paragraph.strip() + "\n\n") * repeats, encoding="utf-8")
    assert path.stat().st_size >= 10 * MB
    started = time.perf_counter()
    [item] = list(iter_inputs([path]))  # the default 50 MB limit
    assert isinstance(item, Article)
    out = ArticleSplitter(8, 2, 1500).run([item])
    seconds = time.perf_counter() - started
    sentences, chunks = out["sentences"], out["chunks"]
    assert len(sentences) == 6 * repeats
    assert all(item.text[d.meta["start"] : d.meta["end"]] == d.content for d in sentences)
    assert all(item.text[d.meta["start"] : d.meta["end"]] == d.content for d in chunks)
    assert max(len(d.content or "") for d in chunks) <= 1500
    assert seconds < 60, f"{seconds:.1f}s"


def test_default_size_limit_is_50_mb_and_named_in_the_message(tmp_path: Path) -> None:
    from rag.loaders import iter_inputs

    big = tmp_path / "archivio.txt"
    with big.open("wb") as fh:  # sparse: 51 MB on paper, nothing on disk
        fh.truncate(51 * MB)
    [item] = list(iter_inputs([big]))
    assert item == Skipped(
        str(big), "file is 51.0 MB, over the 50 MB limit (raise it with RAG_INGEST__MAX_FILE_MB, or split the file)"
    )


def test_size_limit_follows_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.loaders import iter_inputs

    path = tmp_path / "medio.txt"
    path.write_text("Un articolo di media lunghezza. " * 40_000, encoding="utf-8")  # 1.2 MB
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_MB", "1")
    [item] = list(iter_inputs([path]))
    assert isinstance(item, Skipped) and "over the 1 MB limit" in item.reason
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_MB", "2")
    [item] = list(iter_inputs([path]))
    assert isinstance(item, Article)


def test_chmod_000_file_is_skipped_for_a_user_without_access() -> None:
    """A real permission denial: as root the loader runs in a child process that drops to user nobody."""
    folder = Path(tempfile.mkdtemp(prefix="rag-perm-"))
    try:
        folder.chmod(0o755)
        locked = folder / "locked.txt"
        locked.write_text("Testo che nessuno può leggere.", encoding="utf-8")
        locked.chmod(0)
        code = (
            "import os, sys\nfrom pathlib import Path\nfrom rag.loaders import iter_inputs\n"
            "if os.geteuid() == 0:\n    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "print('\\n'.join(f'{s.origin}|{s.reason}' for s in iter_inputs([Path(sys.argv[1])], max_file_mb=50)))\n"
        )
        run = subprocess.run(
            [sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == f"{locked}|cannot read the file: Permission denied (check its permissions)"
    finally:
        shutil.rmtree(folder)
