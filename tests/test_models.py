"""The result dataclasses are also the API's response models: what pydantic makes of them is what
FastAPI validates, documents and sends."""

from __future__ import annotations

from pydantic import TypeAdapter

from rag.models import AnswerResult, CiteHit, CiteLookup, SearchResult


def _hit(verdict: str = "conflicts", conflict: list[str] | None = None) -> CiteHit:
    return CiteHit("a1", "a1#s0", 0, 10, "250 votes.", 0.8, "T", "S", None, None, verdict=verdict, conflict=conflict)  # type: ignore[arg-type]


def test_search_result_json_leaves_out_the_query_terms() -> None:
    result = SearchResult("q", "it", [], [], 0.1, terms=[3, 4], notice=None)
    dumped = TypeAdapter(SearchResult).dump_python(result, mode="json")
    assert "terms" not in dumped and dumped == result.to_dict()
    assert result.terms == [3, 4]  # kept for the reader


def test_cite_lookup_names_the_conflict_as_a_field() -> None:
    found = CiteLookup("300 votes", "conflicts", 0.87, [_hit(conflict=["300", "250"])])
    assert found.conflict == ["300", "250"] and found.to_dict()["conflict"] == ["300", "250"]
    assert CiteLookup.from_dict(found.to_dict()) == found
    assert CiteLookup("250 votes", "supported", 0.9, [_hit("supported")]).conflict is None
    assert TypeAdapter(CiteLookup).dump_python(found, mode="json") == found.to_dict()


def test_the_schema_documents_verdicts_and_notices() -> None:
    cite = TypeAdapter(CiteLookup).json_schema()
    assert cite["properties"]["verdict"]["enum"] == ["supported", "conflicts", "not_found"]
    assert "calibrated" in cite["properties"]["probability"]["description"]
    answer = TypeAdapter(AnswerResult).json_schema()
    assert "extractive" in answer["properties"]["notice"]["description"]
    assert "terms" not in TypeAdapter(SearchResult).json_schema(mode="serialization")["properties"]


def test_an_answer_is_parsed_back_from_its_json() -> None:
    data = {
        "question": "q", "answer": "a [1]", "abstained": False, "language": "en", "answerer": "extractive",
        "citations": [{"n": 1, "article_id": "a", "title": "", "source": "", "sentence_id": "a#s0", "start": 0,
                       "end": 1, "quote": "a"}],
    }  # fmt: skip
    parsed = TypeAdapter(AnswerResult).validate_python(data)
    assert parsed.citations[0].quote == "a" and parsed.claims == [] and parsed.to_dict()["nearest"] == []
