"""The index layer's data types and the ``VectorStore`` contract shared by both backends.

Schema (identical in Qdrant Edge and in a Qdrant server/``:memory:`` collection):

* named dense vector ``"dense"`` (cosine, dimension fixed at creation);
* sparse vector ``"bm25"`` with the IDF modifier (term weights from :class:`rag.text.bm25.Bm25Encoder`);
* payload indexes: keyword on ``article_id``, ``source``, ``language``, ``kind``; datetime on ``date``
  (payload dates are ``"YYYY-MM-DD"`` strings, date ranges are inclusive on both ends).

Every point carries ``payload["kind"]`` (e.g. ``"chunk"``, ``"sentence"``); every read is restricted
to one kind, or to all kinds but the reserved :data:`META_KIND`.

Fusion (``"rrf"``) is done by Qdrant itself. Both backends use the same weighted RRF formula,
measured and cross-checked in ``tests/store/test_backend_congruence.py``::

    score(point) = sum over prefetches p where point ranks r_p (0-based) of  1 / ((r_p + 1) / w_p + k - 1)

i.e. with weight 1 the classic ``1 / (k + rank)`` (rank 1-based); a weight ``w`` divides the rank by ``w``.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

import numpy as np

from rag.errors import ConfigError, IndexStoreError
from rag.models import Filters
from rag.store.rwlock import RWLock

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"
#: Reserved ``kind`` of the manifest point in server collections; never returned by reads of other kinds.
META_KIND = "meta"
KEYWORD_FIELDS = ("article_id", "source", "language", "kind")
DATETIME_FIELDS = ("date",)
FUSIONS = ("rrf", "dbsf", "dense", "bm25")
#: Points per write request.
UPSERT_BATCH = 256

Sparse = tuple[list[int], list[float]]


@dataclass(frozen=True)
class PointData:
    """One point to write. ``point_id`` is a UUID string; ``payload["kind"]`` is required."""

    point_id: str
    payload: dict[str, Any]
    dense: list[float] | None = None
    sparse: Sparse | None = None


@dataclass(frozen=True)
class ScoredRecord:
    point_id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Backend-neutral filter description: both backends translate these few shapes, so they agree.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchCond:
    key: str
    values: tuple[str, ...]  # one value = exact match, several = any of them


@dataclass(frozen=True)
class DateCond:
    key: str
    gte: dt.date | None  # inclusive
    lt: dt.date | None  # exclusive (the day after ``date_to``, so stored times on that day match too)


Cond = MatchCond | DateCond


@dataclass(frozen=True)
class FilterSpec:
    must: tuple[Cond, ...] = ()
    must_not: tuple[Cond, ...] = ()


def filter_spec(kind: str | None, filters: Filters | None) -> FilterSpec:
    """Conditions for reads of ``kind`` (``None`` = every kind except the manifest)."""
    must: list[Cond] = []
    must_not: list[Cond] = []
    if kind is None:
        must_not.append(MatchCond("kind", (META_KIND,)))
    else:
        must.append(MatchCond("kind", (kind,)))
    if filters is not None:
        for key, values in (
            ("article_id", filters.article_ids),
            ("source", filters.sources),
            ("language", filters.languages),
        ):
            if values:
                must.append(MatchCond(key, tuple(dict.fromkeys(values))))
        start, end = filters.date_range()
        if start or end:
            after = end + dt.timedelta(days=1) if end and end < dt.date.max else None  # 9999-12-31: no end
            # a range still leaves out undated points, also when it is open at both ends
            must.append(DateCond("date", start if start or after else dt.date.min, after))
    return FilterSpec(tuple(must), tuple(must_not))


def article_points_spec(article_id: str, version: str | None = None, keep: bool = False) -> FilterSpec:
    """Every point of an article (any kind); with ``version`` (a content hash) only that version's
    points, or with ``keep=True`` every other version's."""
    spec = filter_spec(None, Filters(article_ids=[article_id]))
    if version is None:
        return spec
    cond = MatchCond("content_hash", (version,))
    if keep:
        return FilterSpec(spec.must, (*spec.must_not, cond))
    return FilterSpec((*spec.must, cond), spec.must_not)


# ---------------------------------------------------------------------------------------------
# Search planning, shared so both backends drop/keep the same prefetches.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    using: Literal["dense", "bm25"]
    dense: list[float] | None
    sparse: Sparse | None
    weight: float


@dataclass(frozen=True)
class SearchPlan:
    """``legs`` is empty (no query: empty result), one leg (plain query) or two legs (fused in Qdrant
    by ``method``: weighted RRF, or DBSF — distribution-based score fusion, which ignores weights)."""

    legs: tuple[Leg, ...]
    limit: int
    candidates: int
    rrf_k: int
    spec: FilterSpec
    method: Literal["rrf", "dbsf"] = "rrf"

    @property
    def fused(self) -> bool:
        return len(self.legs) > 1


@dataclass(frozen=True)
class SearchRequest:
    """One search of the store: the top ``limit`` points of ``kind``.

    ``fusion``: ``"rrf"`` or ``"dbsf"`` fuse a dense and a BM25 leg (each ``candidates`` long, both
    filtered; a leg whose weight is 0 or whose query vector is missing or empty is dropped, and with
    one left it runs plainly), ``"dense"`` / ``"bm25"`` run one plain query (weights ignored)."""

    kind: str
    dense: Sequence[float] | np.ndarray | None
    sparse: Sparse | None
    limit: int
    candidates: int
    fusion: str
    rrf_k: int
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    filters: Filters | None = None


def plan_search(request: SearchRequest) -> SearchPlan:
    r = request
    kind, dense, sparse, fusion, filters = r.kind, r.dense, r.sparse, r.fusion, r.filters
    limit, candidates, rrf_k, dense_weight, bm25_weight = r.limit, r.candidates, r.rrf_k, r.dense_weight, r.bm25_weight
    if fusion not in FUSIONS:
        raise ConfigError(f"unknown fusion {fusion!r}", hint=f"use one of: {', '.join(FUSIONS)}")
    if kind == META_KIND:
        raise ValueError(f"kind {META_KIND!r} is reserved for the index manifest")
    if limit < 1 or candidates < 1 or rrf_k < 1:
        raise ValueError(f"limit ({limit}), candidates ({candidates}) and rrf_k ({rrf_k}) must be >= 1")
    if dense_weight < 0 or bm25_weight < 0:
        raise ValueError(f"weights must be >= 0 (dense {dense_weight}, bm25 {bm25_weight})")
    has_dense = dense is not None and len(dense) > 0
    has_sparse = sparse is not None and len(sparse[0]) > 0
    dense_leg = Leg("dense", [float(x) for x in dense], None, dense_weight) if has_dense and dense is not None else None
    sparse_leg = Leg("bm25", None, _sparse(sparse), bm25_weight) if has_sparse and sparse is not None else None
    legs: list[Leg] = []
    if fusion == "dense":
        if dense is None:
            raise ValueError('fusion "dense" needs a dense query vector')
        legs = [dense_leg] if dense_leg else []
    elif fusion == "bm25":
        if sparse is None:
            raise ValueError('fusion "bm25" needs a sparse query vector')
        legs = [sparse_leg] if sparse_leg else []  # an all-stopword query has no terms: no hits
    else:
        legs = [leg for leg in (dense_leg, sparse_leg) if leg is not None and leg.weight > 0]
    method: Literal["rrf", "dbsf"] = "dbsf" if fusion == "dbsf" else "rrf"
    return SearchPlan(tuple(legs), limit, candidates, rrf_k, filter_spec(kind, filters), method)


def _sparse(sparse: Sparse) -> Sparse:
    indices, values = sparse
    if len(indices) != len(values):
        raise ValueError(f"sparse vector has {len(indices)} indices but {len(values)} values")
    return [int(i) for i in indices], [float(v) for v in values]


def norm_point_id(point_id: object) -> str:
    """Canonical UUID string (lowercase, hyphenated), as both backends return it."""
    try:
        return str(point_id if isinstance(point_id, uuid.UUID) else uuid.UUID(str(point_id)))
    except ValueError as err:
        raise ValueError(f"point id {point_id!r} is not a UUID") from err


def check_points(points: Sequence[PointData], dim: int, where: str) -> list[PointData]:
    """Validate before writing; returns the points with canonical ids and plain-list vectors."""
    out: list[PointData] = []
    for p in points:
        kind = p.payload.get("kind")
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"point {p.point_id}: payload['kind'] must be a non-empty string")
        if kind == META_KIND:
            raise ValueError(f"point {p.point_id}: kind {META_KIND!r} is reserved for the index manifest")
        if p.dense is not None and len(p.dense) != dim:
            raise IndexStoreError(
                f"{where} holds {dim}-dimensional vectors, but point {p.point_id} has a {len(p.dense)}-dimensional one",
                hint="the embedding model differs from the one that built this index; use another index",
            )
        sparse = _sparse(p.sparse) if p.sparse is not None and len(p.sparse[0]) > 0 else None
        dense = [float(x) for x in p.dense] if p.dense is not None else None
        out.append(PointData(norm_point_id(p.point_id), p.payload, dense, sparse))
    return out


def batched(items: Sequence[PointData], size: int = UPSERT_BATCH) -> list[Sequence[PointData]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def dim_mismatch(where: str, have: int, want: int) -> IndexStoreError:
    return IndexStoreError(
        f"{where} holds {have}-dimensional dense vectors, but the embedding model gives {want}",
        hint="the index was built with another embedding model; use that model or another index folder/collection",
    )


class VectorStore(ABC):
    """One index: points of several kinds plus a small JSON manifest. Use as a context manager."""

    #: Human-readable location (folder or URL + collection) used in messages.
    where: str

    # -- lifecycle ------------------------------------------------------------------------------

    @abstractmethod
    def exists(self) -> bool:
        """True once the collection/shard exists (after ``ensure_collection`` or when opened)."""

    @abstractmethod
    def dimension(self) -> int | None:
        """Dense dimension of the existing collection, or ``None`` when there is none yet."""

    @abstractmethod
    def ensure_collection(self, dim: int) -> None:
        """Create the collection if missing; raise ``IndexStoreError`` if it exists with another dim."""

    def optimize(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Build indexes now (after a bulk load). No-op where the server does it in the background."""

    def optimize_offline(self, cancel: threading.Event | None = None) -> str:
        """:meth:`optimize` without holding up the calling process's other threads (for a process that
        keeps serving); returns what happened. Here the same as :meth:`optimize`."""
        self.optimize()
        return "done"

    def prefetch(self, max_fraction: float = 0.5) -> int:
        """Bring the index's files into memory ahead of searches; returns the bytes read (0: nothing
        to do, e.g. on a server, which keeps its own memory)."""
        return 0

    @abstractmethod
    def flush(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    @property
    def rw(self) -> RWLock:
        """Searches read under ``rw.reading()``; replacing an article writes under ``rw.writing()``."""
        lock = self.__dict__.get("_rw")
        if lock is None:
            lock = self.__dict__.setdefault("_rw", RWLock())
        return lock

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- writes ---------------------------------------------------------------------------------

    @abstractmethod
    def upsert(self, points: Sequence[PointData]) -> None:
        """Insert or replace points by id (idempotent)."""

    @abstractmethod
    def delete_article(self, article_id: str, version: str | None = None, keep: bool = False) -> int:
        """Delete every point (any kind) whose payload ``article_id`` matches; return how many.
        ``version``: only the points of that content hash (``keep=True``: all but those)."""

    # -- reads ----------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> list[ScoredRecord]:
        """The points ``request`` finds, best first; scores are Qdrant's."""
        return self.search_batch_plans([plan_search(request)])[0]

    def search_batch(self, requests: Sequence[SearchRequest]) -> list[list[ScoredRecord]]:
        """Many searches at once, in one round trip where the backend allows it."""
        return self.search_batch_plans([plan_search(r) for r in requests])

    def search_batch_plans(self, plans: Sequence[SearchPlan]) -> list[list[ScoredRecord]]:
        results: list[list[ScoredRecord]] = [[] for _ in plans]
        todo = [i for i, plan in enumerate(plans) if plan.legs]
        if todo:
            for i, hits in zip(todo, self._run_plans([plans[i] for i in todo]), strict=True):
                results[i] = hits
        return results

    @abstractmethod
    def _run_plans(self, plans: Sequence[SearchPlan]) -> list[list[ScoredRecord]]:
        """Run non-empty plans, one result list per plan, in order."""

    @abstractmethod
    def retrieve(self, ids: Sequence[str]) -> list[ScoredRecord]:
        """Points by id (score 0), in the order asked; unknown ids (and the manifest) are skipped."""

    @abstractmethod
    def dense_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored dense vectors by point id (canonical form); unknown ids are left out."""

    @abstractmethod
    def scroll(
        self,
        kind: str,
        filters: Filters | None = None,
        limit: int = 100,
        offset: str | None = None,
        *,
        payload: bool = True,
    ) -> tuple[list[ScoredRecord], str | None]:
        """One page of points of ``kind`` ordered by id; pass the returned offset to get the next page.
        ``payload=False``: ids only (payloads empty), readable even where a payload page is damaged."""

    @abstractmethod
    def count(self, kind: str | None = None, filters: Filters | None = None) -> int:
        """Exact count of points of ``kind`` (``None`` = all kinds, the manifest excluded)."""

    @abstractmethod
    def facet(self, key: str, kind: str, limit: int = 50) -> dict[str, int]:
        """Distinct values of payload ``key`` over points of ``kind`` with their counts, most frequent first."""

    @abstractmethod
    def get_meta(self) -> dict[str, Any] | None:
        """The manifest stored with the index, or ``None`` if none was written."""

    @abstractmethod
    def set_meta(self, meta: Mapping[str, Any]) -> None:
        """Replace the manifest (JSON-serializable)."""
