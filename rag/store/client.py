"""Index in a Qdrant server/cluster collection (or in-process with ``":memory:"``) via qdrant-client.

Same schema and same queries as :mod:`rag.store.edge`. The manifest is a payload-only point with a
fixed UUID and ``kind == "meta"``; every read filters on ``kind`` so it never leaks into results.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ApiException

from rag.errors import IndexStoreError
from rag.models import Filters
from rag.settings import IndexSettings
from rag.store.base import (
    DATETIME_FIELDS,
    DENSE_VECTOR,
    KEYWORD_FIELDS,
    META_KIND,
    SPARSE_VECTOR,
    DateCond,
    FilterSpec,
    MatchCond,
    PointData,
    ScoredRecord,
    SearchPlan,
    VectorStore,
    article_points_spec,
    batched,
    check_points,
    dim_mismatch,
    filter_spec,
    norm_point_id,
)

MEMORY = ":memory:"
#: Fixed id of the manifest point (uuid5 of a constant name, so every collection uses the same one).
META_POINT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "rag-news/index-manifest"))


def _cond(c: MatchCond | DateCond) -> qm.FieldCondition:
    if isinstance(c, DateCond):
        return qm.FieldCondition(key=c.key, range=qm.DatetimeRange(gte=c.gte, lt=c.lt))
    if len(c.values) == 1:
        return qm.FieldCondition(key=c.key, match=qm.MatchValue(value=c.values[0]))
    return qm.FieldCondition(key=c.key, match=qm.MatchAny(any=list(c.values)))


def to_client_filter(spec: FilterSpec) -> qm.Filter | None:
    if not spec.must and not spec.must_not:
        return None
    return qm.Filter(
        must=[_cond(c) for c in spec.must] or None,
        must_not=[_cond(c) for c in spec.must_not] or None,
    )


def _leg_query(dense: list[float] | None, sparse: tuple[list[int], list[float]] | None) -> Any:
    if dense is not None:
        return dense
    assert sparse is not None
    return qm.SparseVector(indices=sparse[0], values=sparse[1])


def to_client_request(plan: SearchPlan) -> qm.QueryRequest:
    flt = to_client_filter(plan.spec)
    if not plan.fused:
        leg = plan.legs[0]
        return qm.QueryRequest(
            query=_leg_query(leg.dense, leg.sparse),
            using=leg.using,
            filter=flt,
            limit=plan.limit,
            with_payload=True,
            with_vector=False,
        )
    prefetch = [
        qm.Prefetch(query=_leg_query(leg.dense, leg.sparse), using=leg.using, filter=flt, limit=plan.candidates)
        for leg in plan.legs
    ]
    return qm.QueryRequest(
        prefetch=prefetch,
        query=(
            qm.FusionQuery(fusion=qm.Fusion.DBSF)
            if plan.method == "dbsf"
            else qm.RrfQuery(rrf=qm.Rrf(k=plan.rrf_k, weights=[leg.weight for leg in plan.legs]))
        ),
        limit=plan.limit,
        with_payload=True,
        with_vector=False,
    )


def _record(point: Any, score: float | None = None) -> ScoredRecord:
    return ScoredRecord(
        norm_point_id(point.id),
        float(point.score) if score is None else score,
        dict(point.payload or {}),
    )


class ClientStore(VectorStore):
    """A collection on a Qdrant server (``location`` = URL) or in memory (``location=":memory:"``).

    ``client`` injects an existing ``QdrantClient`` (shared connection, tests); ``location`` then only
    names it in messages and decides whether server-only settings (shards, payload indexes) apply.
    """

    def __init__(
        self,
        location: str,
        collection: str,
        settings: IndexSettings | None = None,
        *,
        client: QdrantClient | None = None,
    ) -> None:
        self.settings = settings or IndexSettings.model_validate({})
        self.location = location
        self.collection = collection
        self.local = location == MEMORY
        self.where = f"collection {collection!r} at {location}"
        self._dim: int | None = None
        self._owns_client = client is None
        try:
            if client is not None:
                self._client = client
            elif self.local:
                self._client = QdrantClient(location=MEMORY)
            else:
                # No background version probe: it only warns (from a thread) when the server is
                # unreachable, which the first request below reports as an IndexStoreError anyway.
                self._client = QdrantClient(
                    url=location,
                    api_key=None if (key := self.settings.qdrant_api_key) is None else key.get_secret_value(),
                    timeout=max(1, math.ceil(self.settings.timeout_s)),
                    check_compatibility=False,
                )
        except (ApiException, OSError, ValueError) as err:
            raise IndexStoreError(f"cannot connect to Qdrant at {location}: {err}", hint=self._hint) from err
        with self._guard("read the collection"):
            if self._client.collection_exists(collection):
                self._dim = self._read_dim()

    @property
    def _hint(self) -> str:
        return "check RAG_QDRANT_URL / RAG_QDRANT_API_KEY and that the Qdrant server is reachable"

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn transport/server errors into one clear ``IndexStoreError``."""
        try:
            yield
        except (ApiException, OSError) as err:
            raise IndexStoreError(f"Qdrant at {self.location}: cannot {action}: {err}", hint=self._hint) from err

    def _read_dim(self) -> int:
        params = self._client.get_collection(self.collection).config.params
        vectors = params.vectors
        sparse = params.sparse_vectors or {}
        if not isinstance(vectors, Mapping) or DENSE_VECTOR not in vectors or SPARSE_VECTOR not in sparse:
            raise IndexStoreError(
                f"{self.where} exists but is not a rag index (no {DENSE_VECTOR!r} and {SPARSE_VECTOR!r} vectors)",
                hint="choose another collection name (RAG_INDEX__COLLECTION)",
            )
        return int(vectors[DENSE_VECTOR].size)

    # -- lifecycle ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self._dim is not None

    def dimension(self) -> int | None:
        return self._dim

    def ensure_collection(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"dimension must be >= 1, got {dim}")
        if self._dim is not None:
            if self._dim != dim:
                raise dim_mismatch(self.where, self._dim, dim)
            return
        s = self.settings
        with self._guard("create the collection"):
            self._client.create_collection(
                self.collection,
                vectors_config={DENSE_VECTOR: qm.VectorParams(size=dim, distance=qm.Distance.COSINE)},
                sparse_vectors_config={SPARSE_VECTOR: qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
                shard_number=None if self.local else s.shards,
                replication_factor=None if self.local else s.replication_factor,
                write_consistency_factor=None if self.local else s.write_consistency_factor,
            )
            if not self.local:  # payload indexes have no effect (and warn) in local mode
                for name in KEYWORD_FIELDS:
                    self._client.create_payload_index(self.collection, name, qm.PayloadSchemaType.KEYWORD, wait=True)
                for name in DATETIME_FIELDS:
                    self._client.create_payload_index(self.collection, name, qm.PayloadSchemaType.DATETIME, wait=True)
        self._dim = dim

    def _require(self) -> QdrantClient:
        if self._dim is None:
            raise IndexStoreError(
                f"{self.where} does not exist",
                hint="run `rag ingest` first, or check RAG_INDEX__COLLECTION and the embedding settings",
            )
        return self._client

    def flush(self) -> None:
        """Writes are sent with ``wait=True``: nothing is pending on the client side."""

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # -- writes ---------------------------------------------------------------------------------

    def upsert(self, points: Sequence[PointData]) -> None:
        client = self._require()
        checked = check_points(points, self._dim or 0, self.where)
        for batch in batched(checked):
            structs = []
            for p in batch:
                vector: dict[str, Any] = {}
                if p.dense is not None:
                    vector[DENSE_VECTOR] = p.dense
                if p.sparse is not None:
                    vector[SPARSE_VECTOR] = qm.SparseVector(indices=p.sparse[0], values=p.sparse[1])
                structs.append(qm.PointStruct(id=p.point_id, vector=vector, payload=p.payload))
            with self._guard("write points"):
                client.upsert(self.collection, structs, wait=True)

    def delete_article(self, article_id: str, version: str | None = None, keep: bool = False) -> int:
        client = self._require()
        flt = to_client_filter(article_points_spec(article_id, version, keep))
        assert flt is not None
        with self._guard("delete points"):
            n = client.count(self.collection, count_filter=flt, exact=True).count
            if n:
                client.delete(self.collection, points_selector=qm.FilterSelector(filter=flt), wait=True)
        return int(n)

    # -- reads ----------------------------------------------------------------------------------

    def _run_plans(self, plans: Sequence[SearchPlan]) -> list[list[ScoredRecord]]:
        client = self._require()
        requests = [to_client_request(plan) for plan in plans]
        with self._guard("search"):
            responses = client.query_batch_points(self.collection, requests)
        return [[_record(p) for p in resp.points] for resp in responses]

    def retrieve(self, ids: Sequence[str]) -> list[ScoredRecord]:
        client = self._require()
        wanted = [norm_point_id(i) for i in ids]
        if not wanted:
            return []
        with self._guard("retrieve points"):
            records = client.retrieve(self.collection, list(dict.fromkeys(wanted)), with_payload=True)
        found = {}
        for rec in records:
            r = _record(rec, 0.0)
            if r.payload.get("kind") != META_KIND:
                found[r.point_id] = r
        return [found[i] for i in wanted if i in found]

    def dense_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        client = self._require()
        wanted = list(dict.fromkeys(norm_point_id(i) for i in ids))
        if not wanted:
            return {}
        with self._guard("retrieve vectors"):
            records = client.retrieve(self.collection, wanted, with_payload=False, with_vectors=[DENSE_VECTOR])
        out: dict[str, list[float]] = {}
        for rec in records:
            vec: Any = rec.vector.get(DENSE_VECTOR) if isinstance(rec.vector, dict) else None
            if isinstance(vec, list):
                out[norm_point_id(rec.id)] = [float(x) for x in vec]
        return out

    def scroll(
        self,
        kind: str,
        filters: Filters | None = None,
        limit: int = 100,
        offset: str | None = None,
        *,
        payload: bool = True,
    ) -> tuple[list[ScoredRecord], str | None]:
        client = self._require()
        with self._guard("scroll points"):
            records, next_offset = client.scroll(
                self.collection,
                scroll_filter=to_client_filter(filter_spec(kind, filters)),
                limit=limit,
                offset=norm_point_id(offset) if offset is not None else None,
                with_payload=payload,
                with_vectors=False,
            )
        return [_record(r, 0.0) for r in records], norm_point_id(next_offset) if next_offset is not None else None

    def count(self, kind: str | None = None, filters: Filters | None = None) -> int:
        client = self._require()
        with self._guard("count points"):
            return int(
                client.count(
                    self.collection, count_filter=to_client_filter(filter_spec(kind, filters)), exact=True
                ).count
            )

    def facet(self, key: str, kind: str, limit: int = 50) -> dict[str, int]:
        client = self._require()
        with self._guard("facet points"):
            resp = client.facet(
                self.collection, key, facet_filter=to_client_filter(filter_spec(kind, None)), limit=limit, exact=True
            )
        return {str(hit.value): int(hit.count) for hit in resp.hits}

    # -- manifest -------------------------------------------------------------------------------

    def get_meta(self) -> dict[str, Any] | None:
        if self._dim is None:
            return None
        with self._guard("read the manifest"):
            records = self._client.retrieve(self.collection, [META_POINT_ID], with_payload=True)
        if not records or not records[0].payload:
            return None
        meta = records[0].payload.get("meta")
        return dict(meta) if isinstance(meta, Mapping) else None

    def set_meta(self, meta: Mapping[str, Any]) -> None:
        client = self._require()
        point = qm.PointStruct(id=META_POINT_ID, vector={}, payload={"kind": META_KIND, "meta": dict(meta)})
        with self._guard("write the manifest"):
            client.upsert(self.collection, [point], wait=True)

    def __repr__(self) -> str:
        return f"ClientStore({self.location!r}, {self.collection!r}, dim={self._dim})"
