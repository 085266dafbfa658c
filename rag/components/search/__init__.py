"""The Haystack components of search: detect the language, embed the query (dense and cross-lingual
BM25), retrieve chunks or sentences, rank the evidence sentences."""
