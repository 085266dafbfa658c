"""Plain data types shared by every layer (no heavy imports here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One article as loaded from a file, before splitting.

    ``text`` is the exact stored text that every span points into.
    ``article_id`` is the given id, or a content hash when the input had none.
    """

    article_id: str
    text: str
    title: str = ""
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD) when known
    source: str = ""
    url: str | None = None
    language: str = "it"
    origin: str = ""  # file path (and line) the article came from
    #: The encoding its bytes were read in when guessed, not declared: "Windows-1252" (None: UTF-8 or
    #: as declared). A wrong guess would corrupt quotes, so the ingest report names these files.
    decoded_as: str | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence: ``article.text[start:end] == text`` always holds."""

    sentence_id: str  # f"{article_id}#s{index}"
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A window of whole consecutive sentences of one article."""

    chunk_id: str  # f"{article_id}#c{index}"
    index: int
    start: int  # char offset of the first sentence
    end: int  # char offset after the last sentence
    sentence_ids: tuple[str, ...]
    text: str  # article.text[start:end]


@dataclass(frozen=True)
class Skipped:
    """An input that was not ingested, and why."""

    origin: str
    reason: str


@dataclass
class EvidenceSentence:
    article_id: str
    sentence_id: str
    start: int
    end: int
    text: str
    score: float
    #: Cosine similarity of the question and the sentence (dense vectors), comparable across queries.
    similarity: float | None = None


@dataclass
class SearchHit:
    """One ranked chunk with its best sentences."""

    article_id: str
    chunk_id: str
    score: float
    title: str
    source: str
    date: str | None
    url: str | None
    start: int
    end: int
    text: str
    sentences: list[EvidenceSentence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass
class Citation:
    """One cited sentence. ``article_text[start:end] == quote`` always holds (checked when built)."""

    n: int
    article_id: str
    title: str
    source: str
    sentence_id: str
    start: int
    end: int
    quote: str
    date: str | None = None
    url: str | None = None
    #: Which support checks passed for the claim citing it: "quote", "numbers", "names", "terms", "similarity".
    support: list[str] = field(default_factory=list)
    #: The answer's key span inside the article, when located exactly: [start, end].
    highlight: list[int] | None = None


@dataclass
class Claim:
    """One sentence of an answer and the citation numbers that support it."""

    text: str
    citations: list[int]
    #: The claim as the answer reads it in the question's language, when that differs from the source's
    #: words ("13 billion euros" for "13 miliardi di euro"); None: the answer reads ``text`` itself.
    rendered: str | None = None


@dataclass
class AnswerResult:
    question: str
    answer: str
    abstained: bool
    language: str
    citations: list[Citation]
    answerer: str
    timings: dict[str, float] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    #: The question actually searched (a follow-up resolved against the previous turn).
    standalone_question: str | None = None
    #: Why the service abstained ("weak evidence", "not mentioned: X", "unsupported answer"), or None.
    reason: str | None = None
    #: Something the reader must know about how this answer was made, e.g. that the local LLM was down
    #: and the answer is extractive; None when all went as asked.
    notice: str | None = None
    #: On an abstention, the closest sentences search found: shown as "not enough to answer", never
    #: as support (their ``support`` is empty); empty when the service answered.
    nearest: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)
