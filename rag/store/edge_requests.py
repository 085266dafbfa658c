"""How this project's store requests become Qdrant Edge's: the shard's configuration, filters,
search plans (one query per plan, prefetch legs fused), and records back."""

from __future__ import annotations

from typing import Any

import qdrant_edge as qe

from rag.store.base import (
    DENSE_VECTOR,
    SPARSE_VECTOR,
    DateCond,
    FilterSpec,
    MatchCond,
    ScoredRecord,
    SearchPlan,
    norm_point_id,
)


def _optimizers() -> qe.EdgeOptimizersConfig:
    """Let :meth:`EdgeStore.optimize` vacuum every segment that holds deleted points.

    Qdrant's sparse IDF statistics count deleted points until their segment is rebuilt (posting
    lists are immutable; qdrant/qdrant#6735, #6739), so after ``delete_article`` or replacing
    points BM25 scores drift. Vacuuming on ``optimize()`` brings them back to exact, live-point
    statistics (what qdrant-client's local mode always computes). Edge runs no background
    optimizer, so this costs nothing until ``optimize()`` is called.
    """
    return qe.EdgeOptimizersConfig(deleted_threshold=0.0, vacuum_min_vector_number=1)


def edge_config(dim: int) -> qe.EdgeConfig:
    """The schema; HNSW and memory placement stay Qdrant's defaults (payloads ``Cached`` instead of
    ``Cold`` was measured: no difference, scripts/bench_search_faults.py). Dense vectors also get an
    int8 scalar-quantized copy in RAM (``INT8``): HNSW is built and searched on it, and the best
    candidates are rescored with the float32 vectors (``_params``). An index created before this
    gets its quantized copy when it is next optimized (Qdrant rebuilds segments whose config differs)."""
    return qe.EdgeConfig(
        vectors={DENSE_VECTOR: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine, quantization_config=INT8)},
        sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        optimizers=_optimizers(),
        wal_enabled=True,
    )


def _cond(c: MatchCond | DateCond) -> qe.FieldCondition:
    if isinstance(c, DateCond):
        gte = c.gte.isoformat() if c.gte else None
        lt = c.lt.isoformat() if c.lt else None
        return qe.FieldCondition(c.key, range=qe.RangeDateTime(gte=gte, lt=lt))
    if len(c.values) == 1:
        return qe.FieldCondition(c.key, match=qe.MatchValue(c.values[0]))
    return qe.FieldCondition(c.key, match=qe.MatchAny(list(c.values)))


def to_edge_filter(spec: FilterSpec) -> qe.Filter | None:
    if not spec.must and not spec.must_not:
        return None
    return qe.Filter(
        must=[_cond(c) for c in spec.must] or None,
        must_not=[_cond(c) for c in spec.must_not] or None,
    )


#: HNSW search width for dense legs, above Qdrant's default (100) for recall against exact search at
#: scale: BENCHMARKS.md, "HNSW recall against exact search" (scripts/bench_search_scale.py). Small
#: collections are scanned exactly anyway.
HNSW_EF = 256
#: int8 search, then the best ``OVERSAMPLING`` x limit candidates rescored with the float32 vectors:
#: at 100k chunks recall@10 against exact search .980 (chunks) / .980 (sentences) against float32
#: HNSW's .982 / .992 in the same run, searches 0.8x and HNSW built 2.6x faster (BENCHMARKS.md,
#: issue 17). Without rescoring, recall falls to .89. Ignored on an index without a quantized copy.
OVERSAMPLING = 2.0
INT8 = qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99)


def dense_params(hnsw_ef: int | None = HNSW_EF) -> qe.SearchParams:
    """How a dense leg searches: HNSW at ``hnsw_ef`` (None: Qdrant's default) on the int8 copy,
    rescored with the float32 vectors."""
    rescored = qe.QuantizationSearchParams(rescore=True, oversampling=OVERSAMPLING)
    return qe.SearchParams(hnsw_ef=hnsw_ef, quantization=rescored)


def _params(using: str) -> qe.SearchParams | None:
    return dense_params() if using == DENSE_VECTOR else None


def _leg_query(using: str, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None) -> qe.Query:
    if dense is not None:
        return qe.Query.Nearest(dense, using=using)
    assert sparse is not None
    return qe.Query.Nearest(qe.SparseVector(sparse[0], sparse[1]), using=using)


def to_edge_request(plan: SearchPlan) -> qe.QueryRequest:
    flt = to_edge_filter(plan.spec)
    if not plan.fused:
        leg = plan.legs[0]
        return qe.QueryRequest(
            limit=plan.limit,
            query=_leg_query(leg.using, leg.dense, leg.sparse),
            filter=flt,
            params=_params(leg.using),
            with_payload=True,
            with_vector=False,
        )
    prefetches = [
        qe.Prefetch(
            limit=plan.candidates,
            query=_leg_query(leg.using, leg.dense, leg.sparse),
            filter=flt,
            params=_params(leg.using),
        )
        for leg in plan.legs
    ]
    # The stub's ScoringQueryType lists ``Fusion`` but not its ``Fusion.Rrf`` variant, which is what runs.
    fusion: Any = (
        qe.Fusion.Dbsf()
        if plan.method == "dbsf"
        else qe.Fusion.Rrf(k=plan.rrf_k, weights=[leg.weight for leg in plan.legs])
    )
    return qe.QueryRequest(
        limit=plan.limit,
        prefetches=prefetches,
        query=fusion,
        with_payload=True,
        with_vector=False,
    )


def record(point: Any, score: float | None = None) -> ScoredRecord:
    return ScoredRecord(
        norm_point_id(point.id),
        float(point.score) if score is None else score,
        dict(point.payload or {}),
    )
