"""The Haystack components of ingest: route, split, embed (BM25), collect new words, write."""
