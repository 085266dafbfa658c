"""Plain data types shared by every layer (no heavy imports here).

The results (``AnswerResult``, ``SearchResult``, ``CiteLookup``) are also the API's response models:
FastAPI validates and documents these dataclasses as they are, so the CLI's ``--json`` and the API
give one shape. ``Field`` descriptions are what the API's schema shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Annotated, Any, Literal

from pydantic import Field

from rag.errors import ConfigError

#: A citation lookup's verdict on a claim (rag/cite/verdict.py).
Verdict = Literal["supported", "conflicts", "not_found"]


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
    rendered: Annotated[
        str | None,
        Field(
            description="the claim as the answer reads it in the question's language, when that differs from "
            "the source's words ('13 billion euros' for '13 miliardi di euro'); null: the answer reads text itself"
        ),
    ] = None


@dataclass
class AsOf:
    """When and by whom the report an answer cites was published (its article's date and outlet)."""

    date: str | None
    source: str | None
    citation: int


@dataclass
class SourceValue:
    """One value the archive's reports give for the question, with its report."""

    value: str
    citation: int
    source: str | None
    date: str | None


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
    reason: Annotated[
        str | None,
        Field(description="why the service abstained (in words) ('weak evidence: …', '… does not mention X')"),
    ] = None
    notice: Annotated[
        str | None,
        Field(
            description="what the reader must know about how this answer was made, e.g. that the local LLM was "
            "down and the answer is extractive (terse: the cause and its fix are in /healthz's llm_error); null "
            "when all went as asked"
        ),
    ] = None
    reason_figures: Annotated[
        dict[str, float] | None,
        Field(
            description="on an abstention: the figures behind its reason, e.g. {'confidence': 0.12, 'needed': "
            "0.49} (the reader's) or {'best_similarity': 0.79, 'needed': 0.8} (search's); null otherwise"
        ),
    ] = None
    nearest: Annotated[
        list[Citation],
        Field(
            description="on an abstention: the closest sentences search found, not enough to answer (never "
            "support: their support is empty); empty when the service answered"
        ),
    ] = field(default_factory=list)
    as_of: Annotated[
        AsOf | None,
        Field(description="the date and outlet of the report the answer cites (null for an abstention)"),
    ] = None
    sources_differ: Annotated[
        list[SourceValue],
        Field(
            description="when reports close in time give different values for the question: each value with its "
            "citation, outlet and date (the answer then names them all); empty otherwise"
        ),
    ] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResult:
    query: str
    language: str
    hits: list[SearchHit]
    evidence: list[EvidenceSentence]
    seconds: float
    #: The question's BM25 terms in the archive's language (its query vector's indices): the reader's
    #: span ranker finds the question's words in a sentence by them. Not part of the JSON.
    terms: Annotated[list[int], Field(exclude=True)] = field(default_factory=list, repr=False)
    notice: Annotated[
        str | None,
        Field(
            description="what a reader must know about these results, e.g. how many undated "
            "articles a date range left out"
        ),
    ] = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["terms"]
        return out


@dataclass
class CiteHit:
    article_id: str
    sentence_id: str
    start: int
    end: int
    quote: str
    score: Annotated[
        float,
        Field(description="calibrated probability that this sentence states the claim, or states it otherwise"),
    ]
    title: str
    source: str
    date: str | None
    url: str | None
    verdict: Annotated[Verdict, Field(description="this sentence's own verdict")] = "not_found"
    conflict: Annotated[
        list[str] | None,
        Field(
            description="when it conflicts: the claim's value, then the sentence's values of that kind, best "
            "aligned first"
        ),
    ] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CiteLookup:
    claim: str
    verdict: Annotated[
        Verdict,
        Field(
            description="supported: the first citation states the claim; conflicts: it states it with another "
            "number, date or name (see conflict); not_found: no sentence of the archive states it"
        ),
    ]
    probability: Annotated[float, Field(description="calibrated probability of the verdict (see BENCHMARKS.md)")]
    citations: list[CiteHit]
    conflict: Annotated[
        list[str] | None,
        Field(description="when it conflicts: the claim's value, then the article's (the first citation's)"),
    ] = None

    def __post_init__(self) -> None:
        if self.conflict is None and self.verdict == "conflicts" and self.citations:
            self.conflict = self.citations[0].conflict

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """The verdict in words, for people: what the CLI and the UI say above the candidates."""
        p = f"probability {self.probability:.2f}"
        if self.verdict == "supported":
            return f"Supported ({p}): the first sentence states it."
        if self.verdict == "conflicts" and self.conflict:
            said = " or ".join(self.conflict[1:3])
            return f"Conflicts ({p}): the claim says {self.conflict[0]}; the article says {said}."
        if self.verdict == "conflicts":
            return f"Conflicts ({p}): the first sentence states it otherwise."
        return f"Not found ({p}): no sentence of the archive states it; the nearest ones follow."

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CiteLookup:
        hits = [CiteHit(**c) for c in data["citations"]]
        return cls(data["claim"], data["verdict"], float(data["probability"]), hits, data.get("conflict"))


@dataclass
class Filters:
    """Restrictions on reads. ``None`` or an empty list means "no restriction" on that field.

    Dates are ``"YYYY-MM-DD"`` and inclusive; points without a ``date`` never match a date range.
    Validated when built and again when used (the fields may be set after construction).
    """

    article_ids: list[str] | None = None
    sources: list[str] | None = None
    date_from: str | None = None
    date_to: str | None = None
    languages: list[str] | None = None

    def __post_init__(self) -> None:
        self.date_range()

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """Parsed ``(date_from, date_to)``; raises ``ConfigError`` on a malformed or reversed range."""
        start = _parse_date("date_from", self.date_from)
        end = _parse_date("date_to", self.date_to)
        if start and end and start > end:
            raise ConfigError(
                f"date_from ({self.date_from}) is after date_to ({self.date_to})",
                hint="swap the two dates",
            )
        return start, end

    def is_empty(self) -> bool:
        return not (self.article_ids or self.sources or self.languages or self.date_from or self.date_to)

    def or_none(self) -> Filters | None:
        """These filters, or None when they restrict nothing (what the CLI, API and UI pass on)."""
        return None if self.is_empty() else self


def _parse_date(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{name} {value!r} is not a date", hint="write dates as YYYY-MM-DD") from err


@dataclass
class IngestReport:
    files: int = 0
    articles: int = 0
    unchanged: int = 0
    replaced: int = 0
    sentences: int = 0
    chunks: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    #: ids of articles an interrupted ingest left unfinished (removed when the index opened) that this
    #: run wrote again
    resumed: list[str] = field(default_factory=list)
    #: groups of look-alike articles (numbers aside) of this ingest, largest first: {"count", "example"}
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)
    #: files whose encoding was guessed, not declared: {"origin", "encoding"} ("Windows-1252")
    decoded: list[dict[str, str]] = field(default_factory=list)
    #: when ``skipped`` lists only the first skips (a service job's report): how many there were in all,
    #: and how many of each kind (rag.jobs.summarize_report); None: ``skipped`` is complete
    skipped_total: int | None = None
    skipped_by_kind: dict[str, int] = field(default_factory=dict)
    #: the service that ingested the files, when the CLI handed them over (rag/remote.py)
    via: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestReport:
        """A report as the API gives it (unknown keys ignored, missing ones at their defaults)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["skipped"] = [Skipped(s["origin"], s["reason"]) for s in data.get("skipped") or []]
        return cls(**values)

    @property
    def skipped_count(self) -> int:
        return self.skipped_total if self.skipped_total is not None else len(self.skipped)

    def absorb(self, other: IngestReport, origin: Callable[[str], str] = lambda o: o) -> None:
        """Adds ``other``'s counts and lists to this report; ``origin`` renames its origins."""
        for key in ("files", "articles", "unchanged", "replaced", "sentences", "chunks"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.skipped_total = self.skipped_count + other.skipped_count
        self.skipped.extend(Skipped(origin(s.origin), s.reason) for s in other.skipped)
        for kind, n in other.skipped_by_kind.items():
            self.skipped_by_kind[kind] = self.skipped_by_kind.get(kind, 0) + n
        self.near_duplicates.extend(other.near_duplicates)
        self.decoded.extend({**d, "origin": origin(d.get("origin", ""))} for d in other.decoded)
        self.resumed.extend(other.resumed)


SUMMARY_FIELDS = ("article_id", "title", "source", "date", "url", "language", "origin", "n_sentences", "n_chunks")


def article_summary(payload: dict[str, Any]) -> dict[str, Any]:
    """An article record's summary fields (no text), with its length in characters."""
    out = {k: payload.get(k) for k in SUMMARY_FIELDS}
    out["chars"] = len(payload.get("text") or "")
    return out
