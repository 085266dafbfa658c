"""The Edge store's int8 copy of the dense vectors: built when segments are optimized, searched with
the float32 vectors rescoring the best candidates, so results stay those of exact search; an index
made before the copy existed opens, answers, and gets its copy when next optimized."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import numpy as np
import pytest
import qdrant_edge as qe

import rag.store.edge_requests as er
from rag.store.base import DENSE_VECTOR, PointData, SearchRequest
from rag.store.edge import EdgeStore

DIM = 32
N = 3000


def _points(seed: int = 5) -> list[PointData]:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((N, DIM)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return [
        PointData(str(uuid.UUID(int=i + 1)), {"kind": "chunk", "article_id": f"a{i}"}, v[i].tolist(), None)
        for i in range(N)
    ]


@pytest.fixture()
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Index (HNSW + the int8 copy) segments this small, as Qdrant does for large ones."""
    opt = qe.EdgeOptimizersConfig(deleted_threshold=0.0, vacuum_min_vector_number=1, indexing_threshold=1)
    monkeypatch.setattr(er, "_optimizers", lambda: opt)


def _quantized(path: Path) -> bool:
    return any(path.glob("segments/*/vector_storage-dense/quantized.data"))


def _top(st: EdgeStore, q: list[float], exact: bool) -> list[str]:
    if not exact:
        req = SearchRequest(kind="chunk", dense=q, sparse=None, limit=10, candidates=10, fusion="dense", rrf_k=60)
        return [r.point_id for r in st.search_batch([req, req])[0]]
    hits = st._require().query(
        qe.QueryRequest(
            limit=10,
            query=qe.Query.Nearest(q, using=DENSE_VECTOR),
            params=qe.SearchParams(exact=True),
            with_payload=False,
            with_vector=False,
        )
    )
    return [str(h.id) for h in hits]


def test_dense_legs_search_the_int8_copy_and_rescore_with_float32() -> None:
    config = er.edge_config(384).vectors[DENSE_VECTOR]
    assert config.quantization_config is not None
    params = er._params(DENSE_VECTOR)
    assert params is not None and params.hnsw_ef == er.HNSW_EF
    assert params.quantization is not None and params.quantization.rescore is True
    assert params.quantization.oversampling == er.OVERSAMPLING >= 2.0  # below 2 recall fell to .89 at 100k
    assert er._params("bm25") is None


@pytest.mark.usefixtures("small_segments")
def test_results_are_exact_searchs_with_the_int8_copy(tmp_path: Path) -> None:
    rng = random.Random(2)
    with EdgeStore(tmp_path / "idx") as st:
        st.ensure_collection(DIM)
        st.upsert(_points())
        st.optimize()
        assert _quantized(tmp_path / "idx")
        recalls = []
        for _ in range(30):
            q = _points(seed=rng.randrange(1000))[0].dense
            assert q is not None
            got, want = _top(st, q, exact=False), _top(st, q, exact=True)
            recalls.append(len(set(got) & set(want)) / 10)
        assert sum(recalls) / len(recalls) >= 0.98


@pytest.mark.usefixtures("small_segments")
def test_an_index_without_the_copy_opens_answers_and_gets_it_when_optimized(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "idx"
    monkeypatch.setattr(er, "INT8", None)  # edge_config as it was before the int8 copy
    monkeypatch.setattr("rag.store.edge._edge_config", er.edge_config)
    with EdgeStore(path) as st:  # as an index of an earlier version was made
        st.ensure_collection(DIM)
        st.upsert(_points())
        st.optimize()
    assert not _quantized(path)
    monkeypatch.undo()
    monkeypatch.setattr(er, "_optimizers", lambda: qe.EdgeOptimizersConfig(indexing_threshold=1))
    q = _points(seed=9)[0].dense
    assert q is not None
    with EdgeStore(path) as st:
        assert _top(st, q, exact=False) == _top(st, q, exact=True)  # quantization params on plain segments
        st.optimize()
    assert _quantized(path)
    with EdgeStore(path) as st:
        assert len(set(_top(st, q, exact=False)) & set(_top(st, q, exact=True))) >= 9
