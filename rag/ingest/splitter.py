"""Article -> article, chunk and sentence Documents with exact char spans."""

from __future__ import annotations

from haystack import Document, component

from rag.ids import content_hash
from rag.models import Article
from rag.text.chunking import make_chunks
from rag.text.sentences import make_sentences


def date_int(date: str | None) -> int | None:
    return int(date.replace("-", "")) if date else None


@component
class ArticleSplitter:
    """Splits each article into sentences and overlapping chunks of whole sentences."""

    def __init__(self, sentences_per_chunk: int = 4, overlap: int = 1, max_chars: int = 1500) -> None:
        if sentences_per_chunk < 1:
            raise ValueError(f"sentences_per_chunk must be >= 1, got {sentences_per_chunk}")
        if not 0 <= overlap < sentences_per_chunk:
            raise ValueError(f"overlap must be in [0, {sentences_per_chunk}), got {overlap}")
        if max_chars < 1:
            raise ValueError(f"max_chars must be >= 1, got {max_chars}")
        self.sentences_per_chunk = sentences_per_chunk
        self.overlap = overlap
        self.max_chars = max_chars

    @component.output_types(articles=list[Document], chunks=list[Document], sentences=list[Document])
    def run(self, articles: list[Article]) -> dict[str, list[Document]]:
        art_docs: list[Document] = []
        chunk_docs: list[Document] = []
        sent_docs: list[Document] = []
        for article in articles:
            chash = content_hash(article)
            common = {
                "article_id": article.article_id,
                "title": article.title,
                "source": article.source,
                "date": article.date,
                "date_int": date_int(article.date),
                "url": article.url,
                "language": article.language,
                "content_hash": chash,
            }
            sentences = make_sentences(article)
            chunks = make_chunks(article, sentences, self.sentences_per_chunk, self.overlap, self.max_chars)
            for s in sentences:
                sent_docs.append(
                    Document(
                        id=f"{s.sentence_id}@{chash}",
                        content=s.text,
                        meta={
                            **common,
                            "kind": "sentence",
                            "sentence_id": s.sentence_id,
                            "index": s.index,
                            "start": s.start,
                            "end": s.end,
                        },
                    )
                )
            for c in chunks:
                chunk_docs.append(
                    Document(
                        id=f"{c.chunk_id}@{chash}",
                        content=c.text,
                        meta={
                            **common,
                            "kind": "chunk",
                            "chunk_id": c.chunk_id,
                            "index": c.index,
                            "start": c.start,
                            "end": c.end,
                            "sentence_ids": list(c.sentence_ids),
                        },
                    )
                )
            art_docs.append(
                Document(
                    id=f"{article.article_id}@{chash}",
                    content=article.text,
                    meta={
                        **common,
                        "kind": "article",
                        "origin": article.origin,
                        "n_sentences": len(sentences),
                        "n_chunks": len(chunks),
                        "sentence_spans": [[s.start, s.end] for s in sentences],
                    },
                )
            )
        return {"articles": art_docs, "chunks": chunk_docs, "sentences": sent_docs}
