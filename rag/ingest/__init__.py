"""Ingest: articles into the index, batch by batch (``batches.py``), through the indexing pipeline
(``pipeline.py``) of its components: route new, replaced and unchanged articles (``router.py``), split
them into sentences and chunks (``splitter.py``), embed (``bm25_embedder.py``, the dense embedders of
:mod:`rag.embedding`, ``late_chunk_embedder.py``), collect new archive words (``vocabulary.py``),
write (``writer.py``)."""
