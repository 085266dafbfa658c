"""A deterministic stand-in for the embedding model, for tests of plumbing (where vectors only have
to exist, be unit length and stay the same), like Haystack's mock embedders and llm's MockModel.

Each word gets a vector seeded by its hash; a text's vector is the normalised sum of its words'
vectors, so texts that share words are near each other and a search still finds the sentence that
repeats the query's words. No model is loaded: a test that uses it starts in milliseconds. Never use
it where retrieval or answer quality is what is tested.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np

DIM = 384
_WORD = re.compile(r"\w+", re.UNICODE)
_PROMPTS = ("query: ", "passage: ")


@lru_cache(maxsize=65536)
def _word(word: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def fake_vector(text: str) -> np.ndarray:
    for prompt in _PROMPTS:
        if text.startswith(prompt):
            text = text[len(prompt) :]
    words = [w.lower() for w in _WORD.findall(text)] or [""]
    v = np.sum([_word(w) for w in words], axis=0)
    return (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)


class FakeEncoder:
    """What the Haystack sentence-transformers embedders call on their model."""

    def encode(self, texts: list[str] | str, **_: Any) -> np.ndarray:
        if isinstance(texts, str):
            return fake_vector(texts)
        return np.stack([fake_vector(t) for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)

    def get_embedding_dimension(self) -> int:
        return DIM


@contextmanager
def fake_encoder() -> Iterator[None]:
    """Within it, every embedder of the project (documents, queries, words) encodes with
    :class:`FakeEncoder`; the real model is never loaded."""
    import pytest

    import rag.embedding.haystack_embedders as embedders

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(embedders, "load_encoder", lambda _model, _runtime: FakeEncoder())
        yield


def fake_settings(index: Any) -> Any:
    """Settings for a plumbing test: the extractive answerer without the trained reader (a model of
    its own), on the index folder ``index``."""
    from tests.conftest import make_settings

    s = make_settings(index)
    s.answer.reader = False
    s.answer.answerer = "extractive"
    # the gate's bars were calibrated on the real model's cosines; the fake's are word overlaps
    s.answer.min_similarity = s.answer.min_similarity_cross = 0.3
    return s
