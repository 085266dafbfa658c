"""Components on a real Qdrant Edge index with tiny hand-made vectors (no embedding model)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from haystack import Document
from haystack.dataclasses import SparseEmbedding

from rag.ids import content_hash
from rag.ingest.bm25_embedder import Bm25DocumentEmbedder, Bm25TextEmbedder
from rag.ingest.router import NewArticleRouter
from rag.ingest.splitter import ArticleSplitter
from rag.ingest.writer import IndexWriter
from rag.models import Article
from rag.search.evidence_ranker import EvidenceSentenceRanker
from rag.search.hybrid_retriever import QdrantHybridRetriever
from rag.search.language import QueryLanguageDetector
from rag.store.document_store import NewsDocumentStore
from rag.store.edge import EdgeStore

DIM = 8
ART_A = Article(
    article_id="a1",
    title="Siria",
    text="Gli Stati Uniti hanno 900 soldati in Siria. Il Pentagono conferma.\n\nA Baghdad si tratta.",
    source="agenzia",
    date="2024-01-10",
)
ART_B = Article(
    article_id="b2",
    title="Calcio",
    text="La Roma ha vinto 2-1 contro la Lazio. Lo stadio era pieno.",
    source="sport",
    date="2024-02-01",
)


def _vec(seed: str) -> list[float]:
    """A deterministic unit vector per text (stands in for an embedding)."""
    raw = [math.sin(sum(map(ord, seed)) * (i + 1)) for i in range(DIM)]
    norm = math.sqrt(sum(x * x for x in raw))
    return [x / norm for x in raw]


@pytest.fixture()
def store(tmp_path: Path) -> NewsDocumentStore:
    edge = EdgeStore(tmp_path / "idx")
    edge.ensure_collection(DIM)
    ds = NewsDocumentStore(edge)
    split = ArticleSplitter(sentences_per_chunk=2, overlap=1).run([ART_A, ART_B])
    docs = split["chunks"] + split["sentences"]
    docs = [Document(id=d.id, content=d.content, meta=d.meta, embedding=_vec(d.content or "")) for d in docs]
    docs = Bm25DocumentEmbedder().run(docs)["documents"]
    IndexWriter(ds).run(documents=docs, articles=split["articles"])
    yield ds
    edge.close()


def test_splitter_spans_and_ids() -> None:
    out = ArticleSplitter(sentences_per_chunk=2, overlap=1).run([ART_A])
    sents, chunks, arts = out["sentences"], out["chunks"], out["articles"]
    assert [s.meta["sentence_id"] for s in sents] == ["a1#s0", "a1#s1", "a1#s2"]
    for d in sents + chunks:
        assert ART_A.text[d.meta["start"] : d.meta["end"]] == d.content
    assert chunks[0].meta["sentence_ids"] == ["a1#s0", "a1#s1"]
    assert arts[0].meta["sentence_spans"] == [[s.meta["start"], s.meta["end"]] for s in sents]
    assert all(d.id.endswith(content_hash(ART_A)) for d in sents + chunks + arts)
    assert arts[0].meta["date_int"] == 20240110


def test_splitter_checks_arguments() -> None:
    with pytest.raises(ValueError, match="overlap"):
        ArticleSplitter(sentences_per_chunk=2, overlap=2)
    from haystack.core.serialization import component_from_dict, component_to_dict

    data = component_to_dict(ArticleSplitter(3, 1), "splitter")  # Haystack's default serialization
    assert component_from_dict(ArticleSplitter, data, "splitter").sentences_per_chunk == 3


def test_content_hash_changes_with_content_and_metadata() -> None:
    changed = Article(**{**ART_A.__dict__, "title": "Altro titolo"})
    assert content_hash(ART_A) == content_hash(Article(**ART_A.__dict__))
    assert content_hash(changed) != content_hash(ART_A)


def test_router_sees_new_unchanged_and_replaced(store: NewsDocumentStore) -> None:
    edited = Article(**{**ART_B.__dict__, "text": ART_B.text + " Tre punti."})
    fresh = Article(article_id="c3", text="Nuovo articolo.")
    out = NewArticleRouter(store).run([ART_A, edited, fresh, fresh])
    assert [a.article_id for a in out["new"]] == ["b2", "c3"]
    assert sorted(a.article_id for a in out["unchanged"]) == ["a1", "c3"]
    assert out["replaced"] == ["b2"]


def test_writer_replaces_old_versions(store: NewsDocumentStore) -> None:
    edited = Article(**{**ART_B.__dict__, "text": "Partita rinviata."})
    split = ArticleSplitter(2, 1).run([edited])
    docs = [
        Document(id=d.id, content=d.content, meta=d.meta, embedding=_vec(d.content or ""))
        for d in split["chunks"] + split["sentences"]
    ]
    IndexWriter(store).run(documents=docs, articles=split["articles"], replaced=["b2"])
    texts = {d.content for d in store.filter_documents({"field": "meta.article_id", "operator": "==", "value": "b2"})}
    assert texts == {"Partita rinviata."}


def test_retriever_collapses_articles_and_uses_sentences(store: NewsDocumentStore) -> None:
    query = _vec("Gli Stati Uniti hanno 900 soldati in Siria.")
    retriever = QdrantHybridRetriever(store, top_k=5, sentence_weight=1.0)
    docs = retriever.run(query_embedding=query, language="en")["documents"]
    assert [d.meta["article_id"] for d in docs][0] == "a1"
    assert len({d.meta["article_id"] for d in docs}) == len(docs)
    assert docs[0].score is not None and docs[0].score >= docs[-1].score  # type: ignore[operator]
    only_sport = retriever.run(query_embedding=query, filters=_filters(sources=["sport"]))["documents"]
    assert {d.meta["article_id"] for d in only_sport} == {"b2"}


def test_retriever_and_ranker_take_the_query_vector_as_array_or_list(store: NewsDocumentStore) -> None:
    """The pipeline hands an array (cheap for Haystack to copy); a list gives the same results."""
    query = _vec("Gli Stati Uniti hanno 900 soldati in Siria.")
    retriever = QdrantHybridRetriever(store, top_k=5, sentence_weight=1.0)
    as_list = retriever.run(query_embedding=query, language="en")["documents"]
    as_array = retriever.run(query_embedding=np.asarray(query, dtype=np.float32), language="en")["documents"]
    assert [d.id for d in as_array] == [d.id for d in as_list] and as_list
    ranker = EvidenceSentenceRanker(store, per_hit=2)
    ev_list = ranker.run(as_list, query_embedding=query, language="en")["evidence"]
    ev_array = ranker.run(as_list, query_embedding=np.asarray(query, dtype=np.float32), language="en")["evidence"]
    assert [e.sentence_id for e in ev_array] == [e.sentence_id for e in ev_list] and ev_list
    assert retriever.sentence_request(np.zeros(0, dtype=np.float32), None) is None  # empty vector: no dense leg


def test_retriever_bm25_weight_depends_on_language(store: NewsDocumentStore) -> None:
    r = QdrantHybridRetriever(store, bm25_weight=1.0, bm25_weight_cross=0.0)
    sparse = SparseEmbedding(indices=[1, 2], values=[1.0, 1.0])
    assert r.request([0.1] * DIM, sparse, "it", None, 5).fusion == "dbsf"
    assert r.request([0.1] * DIM, sparse, "en", None, 5).fusion == "dense"
    with pytest.raises(ValueError, match="fusion"):
        QdrantHybridRetriever(store, fusion="magic")


def test_evidence_ranker_keeps_sentences_inside_the_hits(store: NewsDocumentStore) -> None:
    query = _vec("Il Pentagono conferma.")
    chunks = QdrantHybridRetriever(store, top_k=1, sentence_weight=0.0).run(query_embedding=query, language="en")[
        "documents"
    ]
    out = EvidenceSentenceRanker(store, per_hit=2).run(chunks, query_embedding=query, language="en")
    allowed = set(chunks[0].meta["sentence_ids"])
    assert out["evidence"] and {e.sentence_id for e in out["evidence"]} <= allowed
    hit = out["hits"][0]
    assert 1 <= len(hit.sentences) <= 2
    for ev in out["evidence"]:
        art = ART_A if ev.article_id == "a1" else ART_B
        assert art.text[ev.start : ev.end] == ev.text


def test_bm25_text_embedder_is_italian_stemmed() -> None:
    a = Bm25TextEmbedder().run("soldati")["sparse_embedding"]
    b = Bm25TextEmbedder().run("soldato")["sparse_embedding"]
    assert a.indices and a.indices == b.indices
    assert Bm25TextEmbedder().run("il lo la")["sparse_embedding"].indices == []


def test_query_language_detector() -> None:
    d = QueryLanguageDetector()
    assert d.run("How many US troops are in Syria?")["language"] == "en"
    assert d.run("Quante truppe ci sono in Siria?")["language"] == "it"
    assert d.run("?")["language"] == "it"  # too short to tell: the corpus language
    with pytest.raises(ValueError, match="default"):
        QueryLanguageDetector(languages=["en"], default="it")


def _filters(**kw: object):  # type: ignore[no-untyped-def]
    from rag.models import Filters

    return Filters(**kw)  # type: ignore[arg-type]


def test_term_vocabulary_emits_new_non_stopword_terms_once(store: NewsDocumentStore) -> None:
    from rag.ingest.vocabulary import TermVocabulary

    docs = [Document(content="Gli Stati Uniti hanno 900 soldati in Siria e nella Siria orientale.")]
    terms = TermVocabulary(store).run(docs)["terms"]
    words = [t.content for t in terms]
    assert words == sorted(set(words))  # one per word
    assert {"stati", "uniti", "soldati", "siria", "orientale"} <= set(words)
    assert not {"gli", "nella", "hanno"} & set(words)  # Italian stopwords (and short words) are left out
    assert all(t.meta == {"kind": "term", "term": t.content} for t in terms)
    # Once stored, a term is not emitted again.
    stored = [Document(id=t.id, content=t.content, meta=t.meta, embedding=_vec(t.content or "")) for t in terms]
    IndexWriter(store).run(documents=[], articles=[], terms=stored)
    again = TermVocabulary(store).run(docs + [Document(content="Siria e Libano.")])["terms"]
    assert [t.content for t in again] == ["libano"]
    assert store.store.count("term") == len(terms)


@pytest.mark.parametrize(("calibrated", "bars"), [(True, (0.84, 0.795)), ("names", (0.0, 0.0))])
def test_the_reader_s_gate_is_built_as_calibrated(
    store: NewsDocumentStore, monkeypatch: pytest.MonkeyPatch, calibrated: object, bars: tuple[float, float]
) -> None:
    """A manifest whose gate is "names" keeps the gate's name check and drops its similarity bars."""
    from rag.answer import reader
    from rag.answer.pipeline import build_answer_pipeline
    from rag.settings import load_settings

    info = {**reader.manifest(), "answerer": {"passages": 2, "gate": calibrated}}
    monkeypatch.setattr(reader, "manifest", lambda: info)
    pipe = build_answer_pipeline(load_settings(), store, "unused-model", "extractive")
    gate = pipe.get_component("gate")
    assert (gate.min_similarity, gate.min_similarity_cross) == bars


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Did Juventus sack Thiago Motta?", "en"),  # Italian names, English question
        ("What did the Consiglio dei Ministri approve?", "en"),
        ("Who is Mario Draghi?", "en"),
        ("Chi ha vinto il Roland Garros?", "it"),  # English names, Italian question
        ("Quando è nato Winston Churchill?", "it"),
    ],
)
def test_names_do_not_decide_a_questions_language(question: str, language: str) -> None:
    assert QueryLanguageDetector().detect(question) == language
