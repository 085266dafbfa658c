"""The same ingest and queries through Qdrant Edge and through qdrant-client (:memory:) agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SEEDS, SQUAD_SMALL, make_settings

pytestmark = pytest.mark.slow

QUERIES = [
    "How many US troops are in Syria?",
    "Quante truppe statunitensi sono in Iraq?",
    "drone attack in Baghdad",
    "Chi erano i Normanni?",
    "What is the population of Warsaw?",
    "Varsavia capitale",
]


def _run(settings) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    from rag.engine import Engine

    with Engine(settings) as engine:
        engine.ingest([SEEDS, SQUAD_SMALL / "corpus.jsonl"])
        searches = []
        for q in QUERIES:
            r = engine.search(q, top_k=5)
            searches.append([(h.article_id, h.chunk_id, [s.sentence_id for s in h.sentences]) for h in r.hits])
        cites = [[c.sentence_id for c in engine.cite(q, top_k=5)] for q in QUERIES]
    return searches, cites


def test_edge_and_client_memory_give_the_same_results(tmp_path: Path) -> None:
    edge = make_settings(tmp_path / "edge")
    memory = make_settings()
    memory.index.qdrant_url = ":memory:"
    edge_search, edge_cite = _run(edge)
    mem_search, mem_cite = _run(memory)
    for q, a, b in zip(QUERIES, edge_search, mem_search, strict=True):
        assert a == b, f"search {q!r} differs:\nedge   {a}\nmemory {b}"
    for q, a, b in zip(QUERIES, edge_cite, mem_cite, strict=True):
        assert a == b, f"cite {q!r} differs:\nedge   {a}\nmemory {b}"
