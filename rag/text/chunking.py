"""Chunks: windows of whole consecutive sentences, with overlap, capped in characters."""

from __future__ import annotations

from collections.abc import Sequence

from rag.models import Article, Chunk, Sentence


def make_chunks(
    article: Article, sentences: Sequence[Sentence], size: int, overlap: int, max_chars: int
) -> list[Chunk]:
    """Group ``sentences`` (in article order) into windows of up to ``size`` whole sentences.

    Consecutive windows share ``overlap`` sentences (stride ``size - overlap``). A window stops
    growing early when the next sentence would take it past ``max_chars`` characters, but always
    holds at least one sentence. A window after a short one shares at most ``overlap`` sentences
    (fewer when they would not fit in ``max_chars`` beside the next new sentence) and always adds
    a new one, so no window is contained in the one before it. The last window ends with the last
    sentence: every sentence is in some chunk.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if not 0 <= overlap < size:
        raise ValueError(f"overlap must be in [0, {size}), got {overlap}")
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")

    text = article.text
    n = len(sentences)
    chunks: list[Chunk] = []
    first = 0
    while first < n:
        start = sentences[first].start
        last = first + 1  # exclusive
        while last < n and last - first < size and sentences[last].end - start <= max_chars:
            last += 1
        end = sentences[last - 1].end
        chunks.append(
            Chunk(
                chunk_id=f"{article.article_id}#c{len(chunks)}",
                index=len(chunks),
                start=start,
                end=end,
                sentence_ids=tuple(s.sentence_id for s in sentences[first:last]),
                text=text[start:end],
            )
        )
        if last == n:
            break
        # Share up to ``overlap`` sentences, but only as many as fit beside the first new sentence.
        first = max(first + 1, last - overlap)
        while first < last and sentences[last].end - sentences[first].start > max_chars:
            first += 1
    return chunks
