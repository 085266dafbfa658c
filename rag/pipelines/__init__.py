"""The pipelines, by stage: indexing, query (search and cite), ask (answers).

Haystack 3 deserializes only classes from modules it was told to trust: this project's own
components and document store are (``Pipeline.from_dict`` / ``Pipeline.loads`` of its pipelines)."""

from haystack.core.serialization import allow_deserialization_module

allow_deserialization_module("rag")
