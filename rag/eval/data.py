"""SQuAD-it style evaluation data (see ../shared/eval/squad_it/README.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputFileError


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    language: str
    paragraph_id: str
    answer_spans: tuple[tuple[int, str], ...]  # (char offset into the paragraph, answer text)


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InputFileError(str(path), f"invalid JSON ({e.msg})", line=lineno) from None
    return rows


def paragraph_classes(corpus: Path) -> dict[str, str]:
    """paragraph id -> canonical id; paragraphs with identical text are equivalent."""
    first: dict[str, str] = {}
    canon: dict[str, str] = {}
    for row in read_jsonl(corpus):
        digest = hashlib.sha256(row["text"].encode()).hexdigest()
        canon[str(row["id"])] = first.setdefault(digest, str(row["id"]))
    return canon


def load_questions(path: Path, language: str, limit: int | None = None) -> list[Question]:
    field = {"it": "question_it", "en": "question_en"}[language]
    out = []
    for row in read_jsonl(path):
        text = row.get(field)
        if not text:
            continue
        spans = tuple((int(off), str(ans)) for off, ans in row.get("answer_spans_it", []))
        out.append(Question(str(row["id"]), text, language, str(row["paragraph_id"]), spans))
        if limit and len(out) >= limit:
            break
    return out
