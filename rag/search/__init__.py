"""Search: the query and cite pipelines (``pipeline.py``) of their components: detect the question's
language (``language.py``), embed it (dense, and a cross-lingual BM25 query: ``cross_lingual_bm25.py``),
retrieve chunks or sentences (``hybrid_retriever.py``), rank the evidence sentences
(``evidence_ranker.py``)."""
