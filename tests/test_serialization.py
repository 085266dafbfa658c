"""Every pipeline survives a round trip through Haystack's serialization, settings included."""

from __future__ import annotations

from typing import Any

import pytest
from haystack import Pipeline

from rag.settings import load_settings
from rag.store.document_store import NewsDocumentStore
from rag.store.factory import open_store

MODEL = "/nonexistent/model"  # never loaded: nothing is warmed up


@pytest.fixture()
def doc_store() -> Any:
    settings = load_settings()
    settings.index.qdrant_url = ":memory:"
    settings.retrieval.sentence_weight = 0.37  # not the default: it must survive the round trip
    store = open_store(settings)
    yield NewsDocumentStore(store, settings)
    store.close()


def _pipelines(ds: NewsDocumentStore) -> dict[str, Pipeline]:
    from rag.answer.pipeline import build_answer_pipeline
    from rag.ingest.pipeline import build_indexing_pipeline
    from rag.search.pipeline import build_cite_pipeline, build_search_pipeline

    s = ds.settings
    assert s is not None
    late = s.model_copy(update={"embedding": s.embedding.model_copy(update={"sentence_vectors": "late"})})
    return {
        "indexing": build_indexing_pipeline(s, ds, MODEL),
        "indexing-late": build_indexing_pipeline(late, ds, MODEL),
        "search": build_search_pipeline(s, ds, MODEL),
        "cite": build_cite_pipeline(s, ds, MODEL),
        "answer-extractive": build_answer_pipeline(s, ds, MODEL, "extractive"),
    }


def test_each_pipeline_round_trips(doc_store: NewsDocumentStore) -> None:
    for name, pipeline in _pipelines(doc_store).items():
        data = pipeline.to_dict()
        again = Pipeline.from_dict(data)
        assert again.to_dict() == data, name
        for comp, spec in data["components"].items():
            rebuilt = again.get_component(comp)
            if not type(rebuilt).__module__.startswith("rag."):
                continue  # Haystack's own components keep their own forms (enums for strings)
            for key, value in spec["init_parameters"].items():
                if not isinstance(value, dict):  # nested objects (the store) compare through their dicts
                    assert getattr(rebuilt, key, value) == value, (name, comp, key)


def test_the_search_retriever_keeps_its_sentence_leg(doc_store: NewsDocumentStore) -> None:
    data = _pipelines(doc_store)["search"].to_dict()
    params = data["components"]["retriever"]["init_parameters"]
    assert params["sentence_weight"] == pytest.approx(0.37)
    assert Pipeline.from_dict(data).get_component("retriever").sentence_weight == pytest.approx(0.37)
