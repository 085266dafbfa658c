"""Chunk and sentence vectors from one encoder pass per chunk ("late chunking").

Each chunk is encoded as the passage embedder encodes it (prompt, title, chunk text), and its vector
is the same mean of its token states. A sentence's vector is the mean of the token states that fall
inside the sentence, over every chunk holding it (chunks overlap), normalized: the sentence is read
in its context, and is never encoded on its own. A sentence no token of which survives a chunk's
truncation is encoded on its own. Selected by ``embedding.sentence_vectors = "late"``; measured
against separate sentence encodes in BENCHMARKS.md.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from haystack import Document, component

from rag.embedding.backends import load_encoder
from rag.embedding.encoder import token_offsets
from rag.embedding.haystack_embedders import text_to_embed


@component
class LateChunkEmbedder:
    def __init__(
        self,
        model: str,
        *,
        runtime: str = "openvino-bf16",
        prefix: str = "passage: ",
        meta_fields_to_embed: list[str] | None = None,
        embedding_separator: str = ". ",
        batch_size: int = 32,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model
        self.runtime = runtime
        self.prefix = prefix
        self.meta_fields_to_embed = list(meta_fields_to_embed or [])
        self.embedding_separator = embedding_separator
        self.batch_size = batch_size
        self._encoder: Any = None

    def warm_up(self) -> None:
        if self._encoder is None:
            self._encoder = load_encoder(self.model, self.runtime)

    def embedding_dimension(self) -> int:
        self.warm_up()
        return int(self._encoder.get_embedding_dimension())

    def text_of(self, doc: Document) -> str:
        """What the passage embedder encodes for ``doc``."""
        return text_to_embed(
            doc, prefix=self.prefix, meta_fields_to_embed=self.meta_fields_to_embed, separator=self.embedding_separator
        )

    @component.output_types(documents=list[Document])
    def run(self, chunks: list[Document], sentences: list[Document]) -> dict[str, list[Document]]:
        if not chunks and not sentences:
            return {"documents": []}
        self.warm_up()
        texts = [self.text_of(c) for c in chunks]
        states = self._encoder.encode(
            texts, output_value="token_embeddings", batch_size=self.batch_size, convert_to_numpy=False
        )
        tok = token_offsets(self._encoder, [t.strip() for t in texts])  # as sentence-transformers tokenizes
        where = {s.meta["sentence_id"]: (s.meta["start"], s.meta["end"]) for s in sentences}
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = {}
        out: list[Document] = []
        for chunk, text, state, offsets in zip(chunks, texts, states, tok, strict=True):
            h = np.asarray(state.float().numpy() if hasattr(state, "numpy") else state, dtype=np.float32)
            out.append(replace(chunk, embedding=_unit(h.mean(axis=0)).tolist()))
            if len(offsets) != len(h):  # a tokenizer that disagrees: these sentences are encoded alone
                continue
            base = len(text) - len(chunk.content or "") - chunk.meta["start"]
            mids = np.array([(a + b) / 2 if b > a else -1.0 for a, b in offsets])
            for sid in chunk.meta.get("sentence_ids") or []:
                start, end = where[sid]
                inside = (mids >= base + start) & (mids < base + end)
                if inside.any():
                    sums[sid] = sums.get(sid, 0) + h[inside].sum(axis=0)
                    counts[sid] = counts.get(sid, 0) + int(inside.sum())
        alone = [s for s in sentences if s.meta["sentence_id"] not in counts]
        if alone:
            vecs = self._encoder.encode([self.text_of(s) for s in alone], batch_size=self.batch_size)
            for s, v in zip(alone, vecs, strict=True):
                sums[s.meta["sentence_id"]], counts[s.meta["sentence_id"]] = np.asarray(v, dtype=np.float32), 1
        for s in sentences:
            sid = s.meta["sentence_id"]
            out.append(replace(s, embedding=_unit(sums[sid] / counts[sid]).tolist()))
        return {"documents": out}


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n else v
