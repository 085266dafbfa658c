"""New archive words -> ``term`` Documents, to be embedded and stored as the cross-lingual vocabulary."""

from __future__ import annotations

from haystack import Document, component

from rag.ids import point_id, term_doc_id
from rag.store.document_store import NewsDocumentStore
from rag.text.bm25 import encoder, is_stopword
from rag.text.terms import vocabulary_words

#: Ids looked up in the store per request.
_LOOKUP_BATCH = 1024


@component
class TermVocabulary:
    """Emits one ``term`` Document per word of ``documents`` that the index does not hold yet.

    Stopwords of the archive language are left out (BM25 ignores them anyway). Terms are shared by
    every article and never deleted: a term whose articles are gone only matches nothing.
    """

    def __init__(self, document_store: NewsDocumentStore, language: str = "italian") -> None:
        if not language:
            raise ValueError("language must be a Snowball language name such as 'italian'")
        self.document_store = document_store
        self.language = language

    def warm_up(self) -> None:
        encoder(self.language)  # a language Snowball does not know fails here, not mid-ingest

    @component.output_types(terms=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        words: set[str] = set()
        for doc in documents:
            words |= vocabulary_words(doc.content or "")
        candidates = sorted(w for w in words if not is_stopword(w, self.language))
        present: set[str] = set()
        store = self.document_store.store
        for i in range(0, len(candidates), _LOOKUP_BATCH):
            ids = [point_id(term_doc_id(w)) for w in candidates[i : i + _LOOKUP_BATCH]]
            present |= {r.payload.get("term", "") for r in store.retrieve(ids)}
        terms = [
            Document(id=term_doc_id(w), content=w, meta={"kind": "term", "term": w})
            for w in candidates
            if w not in present
        ]
        return {"terms": terms}
