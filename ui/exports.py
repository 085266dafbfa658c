"""The chat's answers as downloadable files (Markdown and CSV) for the page's export buttons."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from gradio.utils import get_upload_folder

from rag.answer.export import export


def files(answers: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """Paths of the Markdown and CSV exports (in Gradio's own folder, so the page may serve them), or
    ``None`` when there is nothing to export yet."""
    if not answers:
        return None, None
    _remove_old(Path(get_upload_folder()))
    folder = Path(tempfile.mkdtemp(prefix="rag-export-", dir=get_upload_folder()))
    md, csv = folder / "rag-news-answers.md", folder / "rag-news-answers.csv"
    md.write_text(export(answers, "markdown"), encoding="utf-8")
    csv.write_text(export(answers, "csv"), encoding="utf-8")
    return str(md), str(csv)


#: An export folder is made for each answer (the buttons always offer the latest); older ones go.
KEEP_S = 3600


def _remove_old(root: Path) -> None:
    cutoff = time.time() - KEEP_S
    for old in root.glob("rag-export-*"):
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
