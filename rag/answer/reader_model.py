"""The reader's network and its span decoding, shared by training (scripts/train_reader.py) and the
answer path (rag/answer/reader.py).

The network is the project's multilingual-e5-small encoder with one linear layer on every token
giving a start and an end logit. Position 0 (the ``<s>`` token) stands for "no answer here": its
start + end logits are the no-answer score, trained on question/passage pairs that do not answer
(SQuAD 2.0 style). Questions and passages carry the encoder's own prompts (``query: ``,
``passage: ``), and a pair is encoded as the tokenizer pairs two texts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_LENGTH = 384
STRIDE = 128
MAX_ANSWER_TOKENS = 30


@dataclass(frozen=True)
class SpanGuess:
    """The best answer in one window: character offsets into the passage (no prompt), scores."""

    start: int
    end: int
    score: float  # start + end logit of the span
    null: float  # start + end logit of "no answer" in this window
    #: The next best spans of the same range and window, best first (when asked for: ``spans_in(keep=)``).
    alternatives: tuple[SpanGuess, ...] = ()

    @property
    def margin(self) -> float:
        """How much the span beats "no answer" (> 0: the window answers)."""
        return self.score - self.null


def encode_pairs(
    tokenizer: Any, questions: list[str], passages: list[str], max_length: int = MAX_LENGTH, stride: int = STRIDE
) -> Any:
    """Tokenized (question, passage) pairs, passages split into overlapping windows when too long.
    The result keeps ``overflow_to_sample_mapping`` and character offsets into the passage *without*
    its prompt (prompt offsets are shifted out; prompt tokens are not context).

    ``tokenizer`` is a Hugging Face fast tokenizer (training) or the ``tokenizers.Tokenizer`` it wraps
    (the answer path, which then needs no transformers): the windows, ids and offsets are the same."""
    if not hasattr(tokenizer, "sequence_ids") and hasattr(tokenizer, "encode_batch"):
        return _encode_pairs_raw(tokenizer, questions, passages, max_length, stride)
    enc = tokenizer(
        [QUERY_PROMPT + q for q in questions],
        [PASSAGE_PROMPT + p for p in passages],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=False,
    )
    shift = len(PASSAGE_PROMPT)
    contexts = []
    for i in range(len(enc["input_ids"])):
        seq = enc.sequence_ids(i)
        offsets: list[tuple[int, int] | None] = []
        for j, (a, b) in enumerate(enc["offset_mapping"][i]):
            if seq[j] == 1 and b > shift:
                offsets.append((max(a, shift) - shift, b - shift))
            else:
                offsets.append(None)  # question, prompt, special tokens: never part of an answer
        contexts.append(offsets)
    enc["context_offsets"] = contexts
    return enc


def _context_offsets(offsets: list[tuple[int, int]], seq: list[int | None]) -> list[tuple[int, int] | None]:
    shift = len(PASSAGE_PROMPT)
    pairs = zip(offsets, seq, strict=True)
    return [(max(a, shift) - shift, b - shift) if s == 1 and b > shift else None for (a, b), s in pairs]


def _encode_pairs_raw(
    tokenizer: Any, questions: list[str], passages: list[str], max_length: int, stride: int
) -> dict[str, list[Any]]:
    """:func:`encode_pairs` on a ``tokenizers.Tokenizer``, as the fast tokenizer calls it: truncation of
    the passage only, each pair's encoding followed by its overflowing windows."""
    wanted = {"max_length": max_length, "stride": stride, "strategy": "only_second", "direction": "right"}
    if tokenizer.truncation != wanted:
        tokenizer.enable_truncation(max_length, stride=stride, strategy="only_second", direction="right")
    if tokenizer.padding is not None:
        tokenizer.no_padding()
    pairs = [(QUERY_PROMPT + q, PASSAGE_PROMPT + p) for q, p in zip(questions, passages, strict=True)]
    out: dict[str, list[Any]] = {"input_ids": [], "offset_mapping": [], "overflow_to_sample_mapping": []}
    out["context_offsets"] = []
    for i, first in enumerate(tokenizer.encode_batch(pairs) if pairs else []):
        for e in [first, *first.overflowing]:
            out["input_ids"].append(list(e.ids))
            out["offset_mapping"].append(list(e.offsets))
            out["overflow_to_sample_mapping"].append(i)
            out["context_offsets"].append(_context_offsets(list(e.offsets), list(e.sequence_ids)))
    return out


def best_span(
    start_logits: np.ndarray, end_logits: np.ndarray, offsets: list[tuple[int, int] | None], top: int = 20
) -> SpanGuess | None:
    """The highest-scoring span (start ≤ end, at most :data:`MAX_ANSWER_TOKENS` tokens, inside the passage)."""
    found = top_spans(start_logits, end_logits, offsets, 1, top)
    return found[0] if found else None


def top_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: list[tuple[int, int] | None],
    keep: int,
    top: int = 20,
) -> list[SpanGuess]:
    """The ``keep`` highest-scoring spans, best first, each a distinct character range (start ≤ end, at
    most :data:`MAX_ANSWER_TOKENS` tokens, inside the passage), over the ``top`` best starts and ends."""
    null = float(start_logits[0] + end_logits[0])
    ok = np.array([o is not None for o in offsets])
    if not ok.any():
        return []
    s = np.where(ok, start_logits[: len(offsets)], -np.inf)
    e = np.where(ok, end_logits[: len(offsets)], -np.inf)
    starts = np.argsort(-s)[:top]
    ends = np.argsort(-e)[:top]
    scored: list[tuple[float, int, int]] = []
    for i in starts:
        if not np.isfinite(s[i]):
            break
        for j in ends:
            if j < i or j - i + 1 > MAX_ANSWER_TOKENS or not np.isfinite(e[j]):
                continue
            scored.append((float(s[i] + e[j]), int(i), int(j)))
    scored.sort(key=lambda t: -t[0])
    out: list[SpanGuess] = []
    seen: set[tuple[int, int]] = set()
    for score, i, j in scored:
        a, b = offsets[i], offsets[j]
        assert a is not None and b is not None
        if (a[0], b[1]) in seen:
            continue
        seen.add((a[0], b[1]))
        out.append(SpanGuess(a[0], b[1], score, null))
        if len(out) == keep:
            break
    return out


def spans_in(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: list[tuple[int, int] | None],
    ranges: list[tuple[int, int]],
    keep: int = 1,
) -> list[SpanGuess | None]:
    """The best span inside each character range of the passage (a sentence), or ``None`` where the
    window holds none of its tokens: a span never crosses the range's ends. With ``keep`` > 1 each
    carries the range's next best spans as ``alternatives``."""
    out: list[SpanGuess | None] = []
    for a, b in ranges:
        inside = [o if o is not None and a <= o[0] and o[1] <= b else None for o in offsets]
        found = top_spans(start_logits, end_logits, inside, keep) if any(inside) else []
        out.append(replace(found[0], alternatives=tuple(found[1:])) if found else None)
    return out


def build_network(encoder: Any) -> Any:
    """The trainable reader around a transformers ``BertModel`` (torch only when called)."""
    import torch

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.qa = torch.nn.Linear(encoder.config.hidden_size, 2)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            logits: torch.Tensor = self.qa(hidden)
            return logits  # (batch, tokens, 2): start, end

    return Reader()
