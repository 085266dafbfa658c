"""ClientStore specifics: the manifest point never leaks, server settings, connection errors, the factory.

The store contract itself (filters, delete, scroll, facet, ...) runs on both backends in
``test_congruence.py``. No Qdrant server here: the server code path runs against an in-process
client injected under a server URL.
"""

from __future__ import annotations

import math
import random
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from qdrant_client import QdrantClient
from qdrant_client import models as qm

from rag.errors import IndexStoreError
from rag.models import Filters
from rag.settings import IndexSettings, load_settings
from rag.store.base import DATETIME_FIELDS, KEYWORD_FIELDS, META_KIND, PointData, SearchRequest
from rag.store.client import META_POINT_ID, ClientStore
from rag.store.factory import open_store
from rag.text.bm25 import Bm25Encoder

DIM = 12
TEXTS = [
    "Il governo approva la manovra economica.",
    "La Roma batte la Lazio nel derby della capitale.",
    "Sciopero nazionale dei trasporti venerdì prossimo.",
    "Nuove piste ciclabili a Milano entro l'estate.",
    "Il Senato vota la fiducia al governo.",
    "Il Napoli vince in trasferta e resta primo.",
]


def unit(rng: random.Random) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(DIM)]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def points(kind: str = "chunk", offset: int = 0) -> list[PointData]:
    rng = random.Random(offset)
    sparse = Bm25Encoder().embed_documents(TEXTS)
    return [
        PointData(
            str(uuid.UUID(int=offset + i + 1)),
            {"kind": kind, "article_id": f"a{i // 2}", "source": "ansa", "language": "it", "text": t},
            unit(rng),
            sp,
        )
        for i, (t, sp) in enumerate(zip(TEXTS, sparse, strict=True))
    ]


@pytest.fixture()
def store() -> Iterator[ClientStore]:
    with ClientStore(":memory:", "news") as st:
        st.ensure_collection(DIM)
        st.upsert(points("chunk") + points("sentence", offset=100))
        yield st


def test_meta_point_never_leaks(store: ClientStore) -> None:
    store.set_meta({"model": "m", "article_id": "a0", "kind": "chunk"})  # keys that would match filters
    assert store.get_meta() == {"model": "m", "article_id": "a0", "kind": "chunk"}
    assert store.count() == 12
    assert store.count("chunk") == 6 and store.count(META_KIND) == 1
    assert store.count(filters=Filters(article_ids=["a0"])) == 4
    for kind in ("chunk", "sentence"):
        page, _ = store.scroll(kind, limit=100)
        assert META_POINT_ID not in {r.point_id for r in page}
        assert store.facet("kind", kind) == {kind: 6}
        hits = store.search(
            SearchRequest(
                kind=kind,
                dense=unit(random.Random(5)),
                sparse=Bm25Encoder().embed_query("governo"),
                limit=50,
                candidates=50,
                fusion="rrf",
                rrf_k=60,
            ),
        )
        assert len(hits) == 6 and META_POINT_ID not in {r.point_id for r in hits}
    assert store.retrieve([META_POINT_ID]) == []
    assert store.delete_article("a0") == 4
    assert store.get_meta() is not None


def test_meta_point_is_payload_only(store: ClientStore) -> None:
    store.set_meta({"n": 1})
    rec = store._client.retrieve(store.collection, [META_POINT_ID], with_payload=True, with_vectors=True)[0]
    assert rec.payload == {"kind": META_KIND, "meta": {"n": 1}}
    assert not rec.vector  # no vectors: outside the BM25 IDF corpus and every vector search


def test_meta_absent() -> None:
    with ClientStore(":memory:", "news") as st:
        assert st.get_meta() is None  # no collection yet
        with pytest.raises(IndexStoreError, match="does not exist"):
            st.set_meta({"x": 1})
        st.ensure_collection(DIM)
        assert st.get_meta() is None


def test_existing_collection_dim_and_schema_checks() -> None:
    client = QdrantClient(":memory:")
    with ClientStore(":memory:", "news", client=client) as st:
        st.ensure_collection(DIM)
        st.upsert(points())
    reopened = ClientStore(":memory:", "news", client=client)
    assert reopened.exists() and reopened.dimension() == DIM and reopened.count("chunk") == 6
    with pytest.raises(IndexStoreError, match=rf"{DIM}-dimensional.*gives 384") as info:
        reopened.ensure_collection(384)
    assert "'news'" in str(info.value)
    client.create_collection("plain", vectors_config=qm.VectorParams(size=4, distance=qm.Distance.DOT))
    with pytest.raises(IndexStoreError, match="not a rag index"):
        ClientStore(":memory:", "plain", client=client)


class RecordingClient(QdrantClient):
    """An in-process client that records the collection/index creation calls a server would get."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.calls: list[tuple[str, Any]] = []

    def create_collection(self, collection_name: str, *args: Any, **kwargs: Any) -> bool:
        self.calls.append(("create_collection", kwargs))
        return super().create_collection(collection_name, *args, **kwargs)

    def create_payload_index(self, collection_name: str, field_name: str, *args: Any, **kwargs: Any) -> Any:
        schema = kwargs.get("field_schema", args[0] if args else None)
        self.calls.append(("create_payload_index", (field_name, schema)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "payload indexes have no effect in local mode"
            return super().create_payload_index(collection_name, field_name, *args, **kwargs)


def test_server_settings_and_payload_indexes() -> None:
    rec = RecordingClient()
    settings = IndexSettings.model_validate({"shards": 3, "replication_factor": 2, "write_consistency_factor": 2})
    with ClientStore("http://qdrant.example:6333", "news", settings, client=rec) as st:
        st.ensure_collection(DIM)
        st.upsert(points())
        assert st.count("chunk", Filters(article_ids=["a1"])) == 2
    created = [kw for name, kw in rec.calls if name == "create_collection"][0]
    assert (created["shard_number"], created["replication_factor"], created["write_consistency_factor"]) == (3, 2, 2)
    indexes = dict(args for name, args in rec.calls if name == "create_payload_index")
    assert indexes == {
        **{f: qm.PayloadSchemaType.KEYWORD for f in KEYWORD_FIELDS},
        **{f: qm.PayloadSchemaType.DATETIME for f in DATETIME_FIELDS},
    }


def test_in_memory_creates_no_payload_indexes() -> None:
    rec = RecordingClient()
    with ClientStore(":memory:", "news", client=rec) as st:
        st.ensure_collection(DIM)
    assert [name for name, _ in rec.calls] == ["create_collection"]


def test_unreachable_server_is_a_clear_error() -> None:
    settings = IndexSettings.model_validate({"timeout_s": 2})
    with pytest.raises(IndexStoreError, match=r"127\.0\.0\.1:9") as info:
        ClientStore("http://127.0.0.1:9", "news", settings)
    assert "RAG_QDRANT_URL" in str(info.value)


def test_factory_memory_url() -> None:
    settings = load_settings()
    settings.index.qdrant_url = ":memory:"
    with open_store(settings) as st:
        assert isinstance(st, ClientStore) and st.local
        assert st.collection == settings.collection_name()
        st.ensure_collection(DIM)
        st.upsert(points())
        assert st.count() == 6
