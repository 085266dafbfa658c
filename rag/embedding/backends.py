"""Faster runtimes for the embedding model: ONNX Runtime int8 and OpenVINO bf16 (``embedding.backend``).

``torch`` runs the sentence-transformers folder as it is (float32). The other backends run the same
model's transformer in another runtime, exported once from the local folder (no hub; no optimum,
whose ``optimum-onnx``/``optimum-intel`` require an older transformers than this project's):

- ``onnx-int8``: ``torch.onnx`` export, ONNX Runtime's BERT fusion (one ``Attention``,
  ``SkipLayerNormalization`` and ``BiasGelu`` op per layer), then dynamic int8 quantization of the
  matrix multiplications (weights per channel, activations per batch).
- ``openvino-bf16``: the exported graph converted to OpenVINO and run with bfloat16 inference where
  the CPU has it (``avx512_bf16``/AMX; elsewhere OpenVINO runs it in float32).

The exported files live in ``<model folder>/backends/<backend>/`` with a ``build.json``. They are
built on first use, never at import time, under a file lock, in a temporary folder renamed into
place, so two processes starting together build them once and never see half a file. They run
inside :class:`rag.embedding.encoder.ExportedEncoder`, which tokenizes, pools and normalizes as
sentence-transformers does without importing it: only the transformer's forward pass changes, so the
vectors differ from float32 by the runtime's arithmetic alone (measured in ``scripts/bench_encoder.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import numpy as np

from rag.errors import ConfigError
from rag.settings import EmbeddingBackend

BACKENDS: tuple[str, ...] = get_args(EmbeddingBackend)
#: Bump when the export or the quantization changes: older folders are then rebuilt.
BUILD_FORMAT = 1
#: ONNX Runtime dynamic quantization: int8 weights per output channel in optimum's "avx2" form (7-bit
#: range). Measured on DEV chunks against the "avx512_vnni" form (full range): same speed on an
#: AVX-512 VNNI CPU, cosine to float32 0.9961 vs 0.9967; chosen because AVX2 and VNNI kernels then
#: compute the same integers (no u8*s8 pair-sum saturation on AVX2), so an index built on one x86 CPU
#: is queried alike on another.
QUANTIZATION: dict[str, Any] = {
    "weight_type": "QInt8",
    "per_channel": True,
    "reduce_range": True,
    "ops": ["MatMul", "Attention"],
}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def backend_dir(model_dir: Path, backend: str) -> Path:
    return Path(model_dir) / "backends" / backend


def ensure_backend_files(model_dir: Path, backend: str) -> Path:
    """The folder with ``backend``'s exported model for the sentence-transformers folder ``model_dir``,
    exported once (10-60 s) if missing or built from other weights."""
    if backend not in BACKENDS or backend == "torch":
        raise ValueError(f"no exported files for backend {backend!r}")
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise ConfigError(
            f"embedding.backend={backend} needs a local sentence-transformers folder, got {str(model_dir)!r}",
            hint="set embedding.model to a local folder, or embedding.backend=torch",
        )
    from rag.files import built_folder

    def build(folder: Path) -> None:
        _BUILDERS[backend](model_dir, folder)

    what = f"exporting the embedding model to {backend}"
    return built_folder(backend_dir(model_dir, backend), _build_info(model_dir, backend), build, what=what)


def _build_info(model_dir: Path, backend: str) -> dict[str, Any]:
    weights = sorted(p for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin") and p.is_file())
    info: dict[str, Any] = {
        "format": BUILD_FORMAT,
        "backend": backend,
        "weights": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in weights},
    }
    if backend == "onnx-int8":
        info["quantization"] = QUANTIZATION
    return info


# ------------------------------------------------------------------------------------ export


def _export_onnx(model_dir: Path, out: Path) -> list[str]:
    """float32 ONNX of the folder's transformer (eager attention: the pattern ONNX Runtime fuses);
    returns the input names."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    names = [n for n in _INPUTS if n in _forward_params(model)]

    class _Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, args, strict=True))).last_hidden_state

    ids = torch.full((2, 16), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0  # a padded row, so the traced graph keeps the attention mask
    example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            _Hidden(),
            tuple(example[n] for n in names),
            str(out),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    return names


def _forward_params(model: Any) -> set[str]:
    import inspect

    return set(inspect.signature(model.forward).parameters)


def _build_onnx_int8(model_dir: Path, out_dir: Path) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    work = out_dir / "work"
    work.mkdir()
    plain, fused = work / "model.onnx", work / "fused.onnx"
    _export_onnx(model_dir, plain)
    fusable = config.get("model_type") in ("bert", "roberta", "xlm-roberta")
    if fusable:
        opt = optimizer.optimize_model(
            str(plain),
            model_type="bert",
            num_heads=int(config.get("num_attention_heads", 0)),
            hidden_size=int(config.get("hidden_size", 0)),
        )
        opt.save_model_to_file(str(fused))
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # quantize_dynamic warns "consider pre-processing" on the root
    try:
        quantize_dynamic(
            str(fused if fusable else plain),
            str(out_dir / "model.onnx"),
            weight_type=getattr(QuantType, QUANTIZATION["weight_type"]),
            per_channel=bool(QUANTIZATION["per_channel"]),
            reduce_range=bool(QUANTIZATION["reduce_range"]),
            op_types_to_quantize=list(QUANTIZATION["ops"]),
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    shutil.rmtree(work)


def _build_openvino(model_dir: Path, out_dir: Path) -> None:
    ov = _import_openvino()
    work = out_dir / "work"
    work.mkdir()
    _export_onnx(model_dir, work / "model.onnx")
    # read_model (the runtime's ONNX frontend), not convert_model: the latter is the ovc tool, with telemetry
    ov.save_model(ov.Core().read_model(str(work / "model.onnx")), str(out_dir / "model.xml"), compress_to_fp16=False)
    shutil.rmtree(work)


_BUILDERS: dict[str, Callable[[Path, Path], None]] = {
    "onnx-int8": _build_onnx_int8,
    "openvino-bf16": _build_openvino,
}


def compile_openvino(path: Path) -> Any:
    """The OpenVINO model at ``path`` compiled for this CPU: bfloat16 inference where it has it."""
    core = _import_openvino().Core()
    hint = "bf16" if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"
    return core.compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": hint})


def _import_openvino() -> Any:
    try:
        import openvino
    except ImportError as e:
        raise ConfigError(
            "embedding.backend=openvino-bf16 needs the openvino package",
            hint="pip install openvino, or choose embedding.backend=onnx-int8 or torch",
        ) from e
    return openvino


# ----------------------------------------------------------------------------------- runtime


class _Runner:
    """Runs the exported transformer: feeds (numpy int64) -> last hidden state (float32)."""

    inputs: list[str]

    def __call__(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError


class _OrtRunner(_Runner):
    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.session.run(["last_hidden_state"], feeds)[0])  # thread-safe


class _OpenVinoRunner(_Runner):
    def __init__(self, path: Path) -> None:
        self.compiled = compile_openvino(path)
        self.inputs = [p.get_any_name() for p in self.compiled.inputs]
        self.request = self.compiled.create_infer_request()
        self.lock = threading.Lock()  # one infer request: not thread-safe

    def __call__(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        with self.lock:
            out = self.request.infer(feeds)
            return np.array(out[self.compiled.output(0)], dtype=np.float32)


_MODELS: dict[tuple[str, str], Any] = {}
_MODELS_LOCK = threading.Lock()


def load_encoder(model: str, backend: str) -> Any:
    """The encoder of ``model`` (a local folder for the non-torch backends) on ``backend``: a
    ``SentenceTransformer`` for ``torch``, an :class:`~rag.embedding.encoder.ExportedEncoder` (same
    ``encode``, no sentence-transformers) otherwise; one per (model, backend) in the process, shared by
    every embedder."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown embedding.backend {backend!r}", hint=f"use one of: {', '.join(BACKENDS)}")
    key = (model, backend)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = _load(model, backend)
        return _MODELS[key]


def _load(model: str, backend: str) -> Any:
    if backend == "torch":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(model, device="cpu", local_files_only=True)
    from rag.embedding.encoder import ExportedEncoder

    folder = ensure_backend_files(Path(model), backend)
    runner: _Runner = (
        _OrtRunner(folder / "model.onnx") if backend == "onnx-int8" else _OpenVinoRunner(folder / "model.xml")
    )
    return ExportedEncoder(Path(model), runner, runner.inputs)
