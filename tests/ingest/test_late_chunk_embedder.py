"""Late chunking (embedding.sentence_vectors = "late"): one encoder pass per chunk gives the chunk
the passage embedder's own vector, and each sentence a vector of its tokens read in context."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embedding.configured import passage_embedder
from rag.ingest.late_chunk_embedder import LateChunkEmbedder
from rag.ingest.splitter import ArticleSplitter
from rag.models import Article
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

TEXT = (
    "Il Senato ha approvato la riforma con 250 voti favorevoli. "
    "La Juventus ha vinto il campionato per la nona volta di fila. "
    "Le truppe statunitensi in Siria sono circa 900, secondo il Pentagono. "
    "Il prezzo del grano è salito del 12 per cento in un mese. "
    "A Milano la neve ha chiuso due scuole elementari. "
)


@pytest.fixture(scope="module")
def parts() -> tuple[list, list, LateChunkEmbedder, object]:  # type: ignore[type-arg]
    settings = make_settings()
    from rag.embedding.configured import model_path

    model = model_path(settings)
    split = ArticleSplitter(3, 1, 1500).run([Article("a1", TEXT, title="Notizie")])
    emb = settings.embedding
    late = LateChunkEmbedder(
        model, runtime=emb.backend, prefix=emb.passage_prompt, meta_fields_to_embed=emb.meta_fields_to_embed
    )
    plain = passage_embedder(settings, model)
    plain.warm_up()
    return split["chunks"], split["sentences"], late, plain


def test_chunk_vectors_are_the_passage_embedders(parts) -> None:  # type: ignore[no-untyped-def]
    chunks, sentences, late, plain = parts
    out = late.run(chunks, sentences)["documents"]
    assert [d.id for d in out] == [d.id for d in chunks + sentences]
    for mine, theirs in zip(out[: len(chunks)], plain.run(chunks)["documents"], strict=True):
        assert float(np.dot(mine.embedding, theirs.embedding)) > 0.9999


def test_each_sentence_gets_one_unit_vector_close_to_its_own_encoding(parts) -> None:  # type: ignore[no-untyped-def]
    chunks, sentences, late, plain = parts
    assert len(chunks) >= 2 and len(sentences) == 5  # sentence 3 sits in two chunks (overlap 1)
    out = late.run(chunks, sentences)["documents"][len(chunks) :]
    assert [d.id for d in out] == [d.id for d in sentences]
    pooled = np.array([d.embedding for d in out])
    alone = np.array([d.embedding for d in plain.run(sentences)["documents"]])
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-4)
    own = np.diag(pooled @ alone.T)
    # read in context, not alone: close to the sentence's own vector, never the same (measured .87-.95)
    assert (own > 0.8).all() and (own < 0.999).all(), own.round(3)


def test_a_sentence_cut_off_by_truncation_is_encoded_alone(parts) -> None:  # type: ignore[no-untyped-def]
    _, _, late, plain = parts
    text = " ".join(f"La frase numero {i} parla del bilancio comunale di Ancona." for i in range(80))
    split = ArticleSplitter(80, 0, 100_000).run([Article("a2", text, title="Bilancio")])
    assert len(split["chunks"]) == 1  # one chunk of > 512 tokens: its last sentences are cut off
    out = late.run(split["chunks"], split["sentences"])["documents"]
    last = np.array(out[-1].embedding)
    alone = np.array(plain.run(split["sentences"][-1:])["documents"][0].embedding)
    assert float(last @ alone) > 0.9999
    first = np.array(out[1].embedding)
    assert float(first @ np.array(plain.run(split["sentences"][:1])["documents"][0].embedding)) < 0.999


def test_nothing_in_nothing_out(parts) -> None:  # type: ignore[no-untyped-def]
    late = parts[2]
    assert late.run([], []) == {"documents": []}
