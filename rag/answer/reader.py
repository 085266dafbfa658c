"""The reader: finds the answer span in a passage, or says the passage does not answer.

Its weights ship with the package as the difference from the embedding model it was trained from
(``weights/reader.safetensors``: every tensor but the 96M-parameter word-embedding table, float16,
SHA-256 in ``weights/reader.json``). On first use the reader is assembled from the base model and
that file, checked, and exported for OpenVINO into ``<cache>/reader-<sha12>/`` (under a lock, in a
temporary folder renamed into place, as the embedder's backends are). ``torch`` runs it as assembled.
How it was trained and measured: scripts/train_reader.py, BENCHMARKS.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.reader_model import SpanGuess, best_span, build_network, encode_pairs, spans_in
from rag.answer.selector import Selector
from rag.answer.span_ranker import SpanRanker
from rag.errors import ModelError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: The shipped files; ``RAG_READER_WEIGHTS=/path/reader.safetensors`` (its manifest beside it, same stem)
#: reads with other weights, e.g. a model of scripts/train_reader.py under evaluation.
WEIGHTS = Path(os.environ.get("RAG_READER_WEIGHTS") or WEIGHTS_DIR / "reader.safetensors")
MANIFEST = WEIGHTS.with_suffix(".json")
READER_BACKENDS = ("openvino-bf16", "torch")
#: Bump when the export changes: older cache folders are rebuilt.
BUILD_FORMAT = 1

#: The most of one passage the reader reads. Chunks hold at most ``chunking.max_chars`` (1,500 by
#: default) since sentences are capped; a chunk of an older index could hold a million characters
#: (a text without punctuation was one sentence), which took minutes to read.
MAX_PASSAGE_CHARS = 6_000
#: The most of a question the reader reads. A pair's window must leave the passage more than the
#: stride (128 of 384 tokens), so a question of about 250 tokens or more could not be read at all (the
#: tokenizer raised, and the answer with it); 200 characters are at most ≈ 200 tokens. DEV's longest
#: question is 166 characters; retrieval still uses the whole question.
MAX_QUESTION_CHARS = 200


def manifest() -> dict[str, Any]:
    """What the shipped weights are: their SHA-256, the base model, training and calibration."""
    try:
        data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(
            f"the reader's manifest {MANIFEST} is missing or unreadable ({err})",
            hint="reinstall rag-news, or answer with --answerer local/openai",
        ) from err
    return data


def available() -> bool:
    return WEIGHTS.is_file() and MANIFEST.is_file()


def describe(settings: Any) -> dict[str, Any] | None:
    """What the extractive answerer reads with (``rag stats``): the shipped reader, or None."""
    if not (settings.answer.reader and available()):
        return None
    info = manifest()
    mine = settings.answer.reader_min_confidence
    return {
        "weights": f"{WEIGHTS.name} sha256 {info['sha256'][:12]}",
        "backend": settings.answer.reader_backend,
        "min_confidence": mine
        if mine is not None
        else (info.get("selector") or {}).get("min_probability", info.get("threshold")),
        "trained": info.get("calibration", ""),
    }


def calibrated(name: str, default: Any) -> Any:
    """A setting of the extractive answerer chosen on held-out articles (manifest ``answerer``), or
    ``default`` when no reader is shipped or the manifest does not say."""
    return (manifest().get("answerer") or {}).get(name, default) if available() else default


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def verify_weights() -> str:
    """The shipped file's SHA-256, checked against the manifest (``ModelError`` naming the file if not)."""
    want = manifest()["sha256"]
    if not WEIGHTS.is_file():
        raise ModelError(f"the reader's weights {WEIGHTS} are missing", hint="reinstall rag-news")
    have = _sha256(WEIGHTS)
    if have != want:
        raise ModelError(
            f"the reader's weights {WEIGHTS} have SHA-256 {have[:12]}…, the manifest says {want[:12]}…",
            hint="reinstall rag-news (the file is damaged or from another version)",
        )
    return have


def assemble(base_dir: Path) -> Any:
    """The reader network in torch: the base encoder with the shipped tensors loaded over it."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(base_dir), attn_implementation="eager")
    net = build_network(encoder)
    delta = {k: v.float() for k, v in load_file(str(WEIGHTS)).items()}
    missing, unexpected = net.load_state_dict(delta, strict=False)
    left = [k for k in missing if "word_embeddings" not in k]
    if left or unexpected:
        raise ModelError(
            f"the reader's weights {WEIGHTS} do not fit the base model {base_dir} "
            f"(missing {left[:3]}, unexpected {list(unexpected)[:3]})",
            hint="reinstall rag-news; the embedding model must be the packaged multilingual-e5-small",
        )
    net.eval()
    torch.set_grad_enabled(False)
    return net


def reader_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / f"reader-{manifest()['sha256'][:12]}"


def ensure_openvino(cache_dir: Path, base_dir: Path) -> Path:
    """``<cache>/reader-<sha12>/model.xml``, exported once (≈20 s) from the assembled reader."""
    from rag.files import built_folder

    def build(folder: Path) -> None:
        verify_weights()
        _export_openvino(assemble(base_dir), folder)

    expected = {"format": BUILD_FORMAT, "sha256": manifest()["sha256"], "base": Path(base_dir).name}
    return built_folder(reader_dir(cache_dir), expected, build, what="building the reader")


def _export_openvino(net: Any, out: Path) -> None:
    import torch

    from rag.embedding.backends import _import_openvino

    ov = _import_openvino()
    ids = torch.full((2, 16), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    onnx = out / "reader.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            (ids, mask),
            str(onnx),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "logits")},
            opset_version=17,
            dynamo=False,
        )
    ov.save_model(ov.Core().read_model(str(onnx)), str(out / "model.xml"), compress_to_fp16=False)
    onnx.unlink()


class Reader:
    """Reads (question, passages) pairs in batches: per passage, the best span or ``None``."""

    def __init__(self, base_dir: Path, cache_dir: Path, backend: str = "openvino-bf16", batch: int = 8) -> None:
        if backend not in READER_BACKENDS:
            raise ModelError(f"unknown reader backend {backend!r}", hint=f"use one of: {', '.join(READER_BACKENDS)}")
        from tokenizers import Tokenizer

        self.backend = backend
        self.batch = batch
        #: The base model's tokenizer in ``tokenizers`` itself: no transformers import on the answer path
        self.tokenizer = Tokenizer.from_file(str(Path(base_dir) / "tokenizer.json"))
        pad = self.tokenizer.token_to_id("<pad>")
        if pad is None:
            raise ModelError(f"{base_dir}: the tokenizer has no <pad> token", hint="reinstall rag-news")
        self.pad_id = int(pad)
        self.info = manifest()
        #: The calibrated sentence selector shipped in the manifest (None: the reader's margin alone).
        self.selector = Selector.from_manifest(self.info)
        #: The calibrated span ranker (None: the reader's best span in the chosen sentence is the answer).
        self.span_ranker = SpanRanker.from_manifest(self.info)
        self._lock = threading.Lock()
        if backend == "torch":
            verify_weights()
            self._net = assemble(base_dir)
            self._compiled = None
        else:
            from rag.embedding.backends import compile_openvino

            self._compiled = compile_openvino(ensure_openvino(cache_dir, base_dir) / "model.xml")
            self._request = self._compiled.create_infer_request()

    @property
    def threshold(self) -> float:
        """The no-answer margin below which a passage counts as not answering (calibrated, manifest)."""
        return float(self.info.get("threshold", 0.0))

    def _logits(self, ids: list[list[int]]) -> np.ndarray:
        n = max(len(r) for r in ids)
        pad = self.pad_id
        x = np.array([r + [pad] * (n - len(r)) for r in ids], dtype=np.int64)
        m = np.array([[1] * len(r) + [0] * (n - len(r)) for r in ids], dtype=np.int64)
        if self._compiled is None:
            import torch

            with torch.inference_mode():
                return np.asarray(self._net(torch.from_numpy(x), torch.from_numpy(m)).float().numpy())
        with self._lock:
            out = self._request.infer({"input_ids": x, "attention_mask": m})
            return np.array(out[self._compiled.output(0)], dtype=np.float32)

    def _windows(self, question: str, passages: list[str]) -> Iterator[tuple[int, np.ndarray, list[Any]]]:
        """(passage index, logits (tokens, 2), context offsets) of every window of the passages, read in
        batches of similar length (little padding)."""
        passages = [p[:MAX_PASSAGE_CHARS] for p in passages]  # a bound on the work of one question
        enc = encode_pairs(self.tokenizer, [question[:MAX_QUESTION_CHARS]] * len(passages), passages)
        windows = sorted(range(len(enc["input_ids"])), key=lambda w: len(enc["input_ids"][w]))
        for k in range(0, len(windows), self.batch):
            group = windows[k : k + self.batch]
            logits = self._logits([enc["input_ids"][w] for w in group])
            for row, w in enumerate(group):
                yield enc["overflow_to_sample_mapping"][w], logits[row], enc["context_offsets"][w]

    def read(self, question: str, passages: list[str]) -> list[SpanGuess | None]:
        """The best span of each passage (over its windows, if long), with its no-answer margin."""
        best: list[SpanGuess | None] = [None] * len(passages)
        if not passages:
            return best
        for sample, logits, offsets in self._windows(question, passages):
            guess = best_span(logits[:, 0], logits[:, 1], offsets)
            held = best[sample]
            if guess is not None and (held is None or guess.margin > held.margin):
                best[sample] = guess
        return best

    def read_sentences(
        self, question: str, passages: list[str], sentences: list[list[tuple[int, int]]], keep: int = 1
    ) -> list[list[SpanGuess | None]]:
        """Per passage, the best span inside each of its sentences (passage character ranges), over the
        passage's windows: the reader's score for every sentence, not only for its best span. With
        ``keep`` > 1 each carries its sentence's next best spans (``alternatives``)."""
        best: list[list[SpanGuess | None]] = [[None] * len(r) for r in sentences]
        if not passages:
            return best
        for sample, logits, offsets in self._windows(question, passages):
            for i, guess in enumerate(spans_in(logits[:, 0], logits[:, 1], offsets, sentences[sample], keep)):
                held = best[sample][i]
                if guess is not None and (held is None or guess.margin > held.margin):
                    best[sample][i] = guess
        return best
