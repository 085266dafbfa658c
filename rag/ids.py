"""Every id the index derives, in one place: an article version's content hash, a point's UUID, and
the document ids of sentences and archive words."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.models import Article

_NAMESPACE = uuid.UUID("4f1b2c1e-6a5d-4e0b-9a57-2a3e54c1d0aa")


def content_hash(article: Article) -> str:
    """Hash of everything stored for an article: same content, same ids, nothing added twice."""
    h = hashlib.sha256()
    for part in (
        article.article_id,
        article.title,
        article.date or "",
        article.source,
        article.url or "",
        article.text,
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def point_id(doc_id: str) -> str:
    """The Qdrant point id (a UUID5) of a document id."""
    return str(uuid.uuid5(_NAMESPACE, doc_id))


def sentence_id(article_id: str, index: int) -> str:
    """The id of an article's ``index``-th sentence: ``{article_id}#s{index}``."""
    return f"{article_id}#s{index}"


def term_doc_id(word: str) -> str:
    """The document id of an archive word's ``term`` point."""
    return f"term:{word}"
