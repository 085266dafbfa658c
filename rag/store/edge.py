"""Embedded index: one Qdrant Edge shard in a folder (the real Qdrant engine, in-process).

Folder layout: ``edge_config.json``, ``segments/``, ``wal/`` (Qdrant Edge) and ``rag_index.json``
(our manifest, written atomically). The write-ahead log stays on, so a killed ingest loses nothing
that ``upsert`` returned; it also locks the folder: a second process opening it gets
:class:`~rag.errors.IndexLockedError`.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar, cast

import qdrant_edge as qe

from rag.errors import IndexLockedError, IndexStoreError
from rag.files import write_text_atomic
from rag.models import Filters
from rag.store.base import (
    DATETIME_FIELDS,
    DENSE_VECTOR,
    KEYWORD_FIELDS,
    SPARSE_VECTOR,
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
from rag.store.edge_optimize import JOURNAL, optimize_offline, recover
from rag.store.edge_requests import edge_config as _edge_config
from rag.store.edge_requests import record as _record
from rag.store.edge_requests import to_edge_filter, to_edge_request

F = TypeVar("F", bound=Callable[..., Any])
META_FILE = "rag_index.json"
EDGE_CONFIG_FILE = "edge_config.json"


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _reads(method: F) -> F:
    """A read of the shard: under the store's ``rw.reading()``, so an optimized copy is never swapped
    in under it (rag/store/edge_optimize.py)."""

    @functools.wraps(method)
    def wrapper(self: EdgeStore, *args: Any, **kwargs: Any) -> Any:
        with self.rw.reading():
            return method(self, *args, **kwargs)

    return cast(F, wrapper)


def _is_lock_error(err: BaseException) -> bool:
    return "WouldBlock" in str(err)


class EdgeStore(VectorStore):
    """A Qdrant Edge shard at ``path``: opened at construction if it exists, else created by ``ensure_collection``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.where = f"the index at {self.path}"
        self._shard: qe.EdgeShard | None = None
        self._dim: int | None = None
        self._lock = threading.RLock()
        #: while an offline optimization runs: the deletes to re-apply to its result; an upsert voids it
        self._recorded: list[tuple[str, str | None, bool]] | None = None
        self._superseded = False
        if (self.path / JOURNAL).exists():
            recover(self.path)  # a swap cut short may have moved the config aside
        if (self.path / EDGE_CONFIG_FILE).exists():
            recover(self.path)
            self._dim = self._read_dim()
            config = _edge_config(self._dim)
            self._shard = self._open(lambda: qe.EdgeShard.load(str(self.path), config), "open")
            try:
                self._ensure_payload_indexes()
            except BaseException:
                self.close()  # do not keep the folder locked by a half-built object
                raise

    # -- lifecycle ------------------------------------------------------------------------------

    def _open(self, opener: Any, action: str) -> qe.EdgeShard:
        try:
            shard: qe.EdgeShard = opener()
        except Exception as err:
            if _is_lock_error(err):
                raise IndexLockedError(
                    f"the index at {self.path} is already open in another rag process (ingest or serve)",
                    hint="wait for that process to finish, or stop it, then retry "
                    "(while `rag serve` runs on it, `rag ingest` sends its files to the service)",
                ) from err
            raise IndexStoreError(f"cannot {action} the index at {self.path}: {err}") from err
        return shard

    def _read_dim(self) -> int:
        cfg_path = self.path / EDGE_CONFIG_FILE
        try:
            cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
            dim = int(cfg["vectors"][DENSE_VECTOR]["size"])
            _ = cfg["sparse_vectors"][SPARSE_VECTOR]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise IndexStoreError(
                f"{self.path} holds a Qdrant Edge shard that is not a rag index ({cfg_path}: {err})",
                hint="point the index to another folder",
            ) from err
        return dim

    def _ensure_payload_indexes(self) -> None:
        shard = self._require()
        have = shard.info().payload_schema
        for name in KEYWORD_FIELDS:
            if name not in have:
                shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword))
        for name in DATETIME_FIELDS:
            if name not in have:
                shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Datetime))

    def exists(self) -> bool:
        return self._shard is not None

    def dimension(self) -> int | None:
        return self._dim

    def ensure_collection(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"dimension must be >= 1, got {dim}")
        with self._lock:
            if self._shard is not None:
                if self._dim != dim:
                    raise dim_mismatch(self.where, self._dim or 0, dim)
                return
            config = _edge_config(dim)
            self.path.mkdir(parents=True, exist_ok=True)
            self._shard = self._open(lambda: qe.EdgeShard.create(str(self.path), config), "create")
            self._dim = dim
            self._ensure_payload_indexes()

    def _require(self) -> qe.EdgeShard:
        if self._shard is None:
            raise IndexStoreError(
                f"there is no index at {self.path}",
                hint="run `rag ingest` first, or check the index folder and embedding settings (they select it)",
            )
        return self._shard

    def optimize(self) -> None:
        """Build HNSW/sparse indexes for large segments and vacuum deletions (exact BM25 IDF again).

        Call once after an ingest; blocking, cost grows with the segments touched. It holds the GIL
        throughout: a process that must keep answering uses :meth:`optimize_offline` instead.
        """
        with self._lock:
            self._require().optimize()

    def optimize_offline(self, cancel: threading.Event | None = None) -> str:
        """:meth:`optimize` in a child process on a copy, swapped in when done (rag/store/edge_optimize.py)."""
        if self._shard is None:
            return "no index"
        return optimize_offline(self, cancel)

    # -- the optimization interface (rag.store.edge_optimize.Optimizable) ---------------------------
    def holding_writes(self) -> AbstractContextManager[object]:
        return self._lock

    def holding_reads_off(self) -> AbstractContextManager[object]:
        return self.rw.writing()

    def begin_recording(self) -> None:
        with self._lock:
            self._recorded, self._superseded = [], False

    def end_recording(self) -> None:
        with self._lock:
            self._recorded, self._superseded = None, False

    @property
    def superseded(self) -> bool:
        return self._superseded

    def swap_in(self, swap: Callable[[], None], unswap: Callable[[], None], commit: Callable[[], None]) -> None:
        """Closes the shard, lets ``swap()`` move the optimized files in, opens them, re-applies the deletes
        made meanwhile, flushes and ``commit()``s; on failure ``unswap()`` restores the old files and
        reopens them. The caller holds ``rw.writing()``: every read of the shard holds ``rw.reading()``."""
        shard, self._shard = self._shard, None
        if shard is not None:
            shard.close()
        swap()
        config = _edge_config(self._dim or 0)
        try:
            self._shard = qe.EdgeShard.load(str(self.path), config)
            for article_id, version, keep in self._recorded or []:
                self._delete(self._shard, article_id, version, keep)
            self._shard.flush()
        except Exception:
            if self._shard is not None:
                self._shard.close()
            unswap()
            self._shard = qe.EdgeShard.load(str(self.path), config)
            raise
        commit()

    def prefetch(self, max_fraction: float = 0.5) -> int:
        """Read the index's files once so that searches find them in memory: a search on a 100k-chunk
        index otherwise reads pages from disk for each new question (BENCHMARKS.md, "Search latency at
        scale"; scripts/bench_search_faults.py). Skipped when the files exceed ``max_fraction`` of the memory
        available. Returns the bytes read."""
        files = [p for p in (self.path / "segments").rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        if total > max_fraction * _available_memory():
            return 0
        buf = bytearray(4 << 20)
        done = 0
        for p in files:
            try:
                with open(p, "rb", buffering=0) as fh:
                    while n := fh.readinto(buf):
                        done += n
            except OSError:
                continue  # a segment replaced by the optimizer meanwhile
        return done

    def flush(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.flush()

    def close(self) -> None:
        with self._lock:
            if self._shard is not None:
                shard, self._shard = self._shard, None
                try:
                    shard.flush()
                finally:
                    shard.close()

    # -- writes ---------------------------------------------------------------------------------

    def upsert(self, points: Sequence[PointData]) -> None:
        self._require()
        checked = check_points(points, self._dim or 0, self.where)
        for batch in batched(checked):
            edge_points = []
            for p in batch:
                vector: dict[str, Any] = {}
                if p.dense is not None:
                    vector[DENSE_VECTOR] = p.dense
                if p.sparse is not None:
                    vector[SPARSE_VECTOR] = qe.SparseVector(p.sparse[0], p.sparse[1])
                edge_points.append(qe.Point(p.point_id, vector, p.payload))
            with self._lock:
                if self._recorded is not None:
                    self._superseded = True  # an optimization running on a copy would lose this
                self._require().update(qe.UpdateOperation.upsert_points(edge_points))

    def delete_article(self, article_id: str, version: str | None = None, keep: bool = False) -> int:
        self._require()
        with self._lock:
            n = self._delete(self._require(), article_id, version, keep)
            if self._recorded is not None:
                self._recorded.append((article_id, version, keep))
        return n

    @staticmethod
    def _delete(shard: qe.EdgeShard, article_id: str, version: str | None, keep: bool) -> int:
        flt = to_edge_filter(article_points_spec(article_id, version, keep))
        assert flt is not None
        n = int(shard.count(qe.CountRequest(exact=True, filter=flt)))
        if n:
            shard.update(qe.UpdateOperation.delete_points_by_filter(flt))
        return n

    # -- reads ----------------------------------------------------------------------------------

    @_reads
    def _run_plans(self, plans: Sequence[SearchPlan]) -> list[list[ScoredRecord]]:
        shard = self._require()
        requests = [to_edge_request(plan) for plan in plans]
        if len(requests) == 1:
            batches = [shard.query(requests[0])]
        else:
            batches = shard.query_batch(qe.QueryBatchRequest(requests))
        return [[_record(p) for p in hits] for hits in batches]

    @_reads
    def retrieve(self, ids: Sequence[str]) -> list[ScoredRecord]:
        shard = self._require()
        wanted = [norm_point_id(i) for i in ids]
        if not wanted:
            return []
        found = {}
        for rec in shard.retrieve(list(dict.fromkeys(wanted)), with_payload=True, with_vector=False):
            r = _record(rec, 0.0)
            found[r.point_id] = r
        return [found[i] for i in wanted if i in found]

    @_reads
    def dense_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        shard = self._require()
        wanted: list[Any] = list(dict.fromkeys(norm_point_id(i) for i in ids))
        if not wanted:
            return {}
        out: dict[str, list[float]] = {}
        for rec in shard.retrieve(wanted, with_payload=False, with_vector=True):
            vec: Any = rec.vector.get(DENSE_VECTOR) if isinstance(rec.vector, dict) else None
            if isinstance(vec, list):
                out[norm_point_id(rec.id)] = [float(x) for x in vec]
        return out

    @_reads
    def scroll(
        self,
        kind: str,
        filters: Filters | None = None,
        limit: int = 100,
        offset: str | None = None,
        *,
        payload: bool = True,
    ) -> tuple[list[ScoredRecord], str | None]:
        shard = self._require()
        records, next_offset = shard.scroll(
            qe.ScrollRequest(
                offset=norm_point_id(offset) if offset is not None else None,
                limit=limit,
                filter=to_edge_filter(filter_spec(kind, filters)),
                with_payload=payload,
                with_vector=False,
            )
        )
        return [_record(r, 0.0) for r in records], norm_point_id(next_offset) if next_offset is not None else None

    @_reads
    def count(self, kind: str | None = None, filters: Filters | None = None) -> int:
        shard = self._require()
        return int(shard.count(qe.CountRequest(exact=True, filter=to_edge_filter(filter_spec(kind, filters)))))

    @_reads
    def facet(self, key: str, kind: str, limit: int = 50) -> dict[str, int]:
        shard = self._require()
        resp = shard.facet(
            qe.FacetRequest(key, limit=limit, exact=True, filter=to_edge_filter(filter_spec(kind, None)))
        )
        return {str(hit.value): int(hit.count) for hit in resp.hits}

    # -- manifest -------------------------------------------------------------------------------

    def get_meta(self) -> dict[str, Any] | None:
        meta_path = self.path / META_FILE
        try:
            text = meta_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            raise IndexStoreError(f"cannot read {meta_path}: {err}") from err
        try:
            meta = json.loads(text)
        except ValueError as err:
            raise IndexStoreError(
                f"{meta_path} is not valid JSON: {err}", hint="rebuild the index (rag ingest into a new folder)"
            ) from err
        if not isinstance(meta, dict):
            raise IndexStoreError(f"{meta_path} does not hold a JSON object")
        return meta

    def set_meta(self, meta: Mapping[str, Any]) -> None:
        self._require()  # only the process holding the shard (and its lock) writes the manifest
        data = json.dumps(dict(meta), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_text_atomic(self.path / META_FILE, data)  # durable: flushed with its folder

    def __repr__(self) -> str:
        return f"EdgeStore({str(self.path)!r}, dim={self._dim}, open={self._shard is not None})"
