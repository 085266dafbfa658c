"""The API's requests, and the responses only it gives. Answers, search results and citation lookups
are the dataclasses of ``rag.models`` themselves (the CLI's ``--json`` shape)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from rag.models import AnswerResult, Filters


class FiltersModel(BaseModel):
    sources: list[str] | None = Field(None, description="only these sources")
    languages: list[str] | None = Field(None, description="only articles in these languages (ISO codes)")
    date_from: dt.date | None = Field(None, description="only articles dated on/after this day")
    date_to: dt.date | None = Field(None, description="only articles dated on/before this day")

    def to_filters(self) -> Filters | None:
        return Filters(
            sources=self.sources or None,
            languages=self.languages or None,
            date_from=self.date_from.isoformat() if self.date_from else None,
            date_to=self.date_to.isoformat() if self.date_to else None,
        ).or_none()


def _not_blank(value: str, name: str) -> str:
    if not value.strip():
        raise ValueError(f"the {name} is empty")
    return value


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=2000, examples=["How many US troops are in Syria?"])
    answerer: Literal["auto", "extractive", "local", "openai"] | None = None
    filters: FiltersModel | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        return _not_blank(v, "question")


class ChatRequest(AskRequest):
    conversation_id: str | None = Field(
        None, max_length=64, description="continue this conversation; omitted: a new one is started"
    )


class SearchRequest(BaseModel):
    query: str = Field(..., min_length=1, max_length=2000, examples=["truppe statunitensi in Siria"])
    top_k: int = Field(5, ge=1, le=100)
    filters: FiltersModel | None = None

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        return _not_blank(v, "query")


class CiteRequest(BaseModel):
    claim: str = Field(..., min_length=1, max_length=5000, examples=["the US has 900 troops in Syria"])
    top_k: int = Field(5, ge=1, le=100)
    filters: FiltersModel | None = None

    @field_validator("claim")
    @classmethod
    def _claim(cls, v: str) -> str:
        return _not_blank(v, "claim")


class ExportRequest(BaseModel):
    answers: list[AnswerResult] = Field(
        ..., min_length=1, max_length=1000, description="answers as /api/ask gives them"
    )
    format: Literal["markdown", "csv"] = "markdown"


class ChatResponse(BaseModel):
    conversation_id: str
    answer: AnswerResult


class ArticleSummary(BaseModel):
    article_id: str
    title: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None
    language: str | None = None
    origin: str | None = None
    n_sentences: int | None = None
    n_chunks: int | None = None
    chars: int = 0


class SentenceSpan(BaseModel):
    sentence_id: str
    start: int
    end: int


class ArticleDetail(ArticleSummary):
    text: str
    sentences: list[SentenceSpan]


class ArticlePage(BaseModel):
    total: int
    articles: list[ArticleSummary]
    next_offset: str | None = Field(None, description="pass as ?offset= for the next page")


class DeleteResponse(BaseModel):
    article_id: str
    deleted_points: int


class JobModel(BaseModel):
    job_id: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    created: float
    files: list[str]
    total: int
    done: int
    report: dict[str, Any] | None = None
    error: str | None = None
    resumed: bool = False
    runs: int = Field(0, description="times it was started; one found running after two crashes is given up")


class ErrorBody(BaseModel):
    type: str
    message: str
    hint: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: Literal["ready", "starting", "failed"]
    index: str | None = Field(None, description="shown to callers with the token (or when none is set)")
    articles: int | None = None
    llm: str | None = Field(
        None, description="the default answerer's LLM: loading, ready, restarting, failed (local), remote or not used"
    )
    llm_error: str | None = Field(
        None, description="why the local LLM is restarting or failed, with the fix (answers are extractive meanwhile)"
    )
    llm_waiting: int | None = Field(None, description="answers generating with, or waiting for, the local LLM")
    error: str | None = None
