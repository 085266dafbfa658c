"""Files given to the UI's upload event: only those Gradio itself received from this page.

The event's payload names file paths, and a client can name any path on the server (a mounted
Gradio app skips its own check that a file was uploaded: ``processing_utils._check_allowed`` returns
early for an app that was not ``launch()``-ed). So a path is accepted only when Gradio's upload route
recorded it (``Blocks.upload_file_set``) and it lies in Gradio's upload folder; anything else is
refused with one message whatever the path, so the answer tells nothing about the server's files.
Sizes, counts and types are checked as on ``POST /api/articles``, and Gradio's copies are removed once
read (the job keeps its own).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from gradio.utils import get_upload_folder

from rag.errors import InputFileError, RagError
from rag.jobs import shown_name
from rag.loaders import SUPPORTED_EXTENSIONS
from rag.settings import ApiSettings

NOT_UPLOADED = "a file that was not uploaded through this page"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def received_files(files: list[Any], uploaded: set[str], api: ApiSettings) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` of the upload event's files; ``RagError`` for any file Gradio did not receive
    itself, a type the ingest does not read, too many files or too large a file."""
    if len(files) > api.max_files:
        raise RagError(f"{len(files)} files in one upload (limit {api.max_files})", hint="upload fewer at a time")
    roots = [Path(os.path.realpath(get_upload_folder()))]
    limit = int(api.max_upload_mb * 1024 * 1024)
    out: list[tuple[str, bytes]] = []
    for f in files:
        given = str(f if isinstance(f, str) else getattr(f, "name", "") or getattr(f, "path", ""))
        real = Path(os.path.realpath(given))
        if given not in uploaded or not any(_inside(real, r) for r in roots) or not real.is_file():
            raise RagError(f"refused {NOT_UPLOADED}", hint="choose the files with the upload button")
        name = real.name
        suffix = real.suffix.lower()
        if suffix not in SUPPORTED_EXTENSIONS:
            kind = f"unsupported file type {suffix!r}" if suffix else "no file extension"
            raise InputFileError(shown_name(name), kind, hint=f"upload one of: {', '.join(SUPPORTED_EXTENSIONS)}")
        if real.stat().st_size > limit:
            raise InputFileError(
                shown_name(name),
                f"larger than {api.max_upload_mb:g} MB",
                hint="split it, or raise RAG_API__MAX_UPLOAD_MB",
            )
        out.append((name, real.read_bytes()))
    return out


def forget(files: list[Any], uploaded: set[str]) -> None:
    """Removes Gradio's copies of the files (the ingest job has its own) and their record."""
    for f in files:
        given = str(f if isinstance(f, str) else getattr(f, "name", "") or getattr(f, "path", ""))
        if given in uploaded:
            uploaded.discard(given)
            path = Path(given)
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # Gradio's per-upload folder, when empty
