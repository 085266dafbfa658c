"""rag-news: search and cited answers over an Italian news archive."""

import os

# Offline by design: no telemetry or hub lookups from the libraries we build on.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__version__ = "0.1.0"
