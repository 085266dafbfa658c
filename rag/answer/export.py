"""Answers and their citations as a researcher takes them away: a formatted reference per citation,
and a chat (answers with their citations) as Markdown or CSV. Used by the CLI (``rag ask --format``),
the API (``POST /api/export``) and the UI (its download button); every text is the stored one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMATS = ("markdown", "csv")
CSV_COLUMNS = (
    "question", "answer", "abstained", "n", "quote", "title", "source", "date", "url", "article_id",
    "sentence_id", "start", "end",
)  # fmt: skip


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet never runs as a formula (text from an uploaded file could start
    with "="): such a text gets a leading apostrophe, the usual guard; other cells are as stored."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def reference(c: Any) -> str:
    """One citation as a reference: outlet, «title», date, URL, the quote and its character span."""
    head = [p for p in (_get(c, "source"), f"«{_get(c, 'title') or _get(c, 'article_id')}»", _get(c, "date")) if p]
    url = _get(c, "url")
    where = f"{_get(c, 'article_id')}, chars {_get(c, 'start')}–{_get(c, 'end')}"
    return f"{', '.join(head)}{', ' + url if url else ''}. “{_get(c, 'quote')}” ({where})"


def to_markdown(answers: Iterable[Any]) -> str:
    """Each answer as a section: the question, the answer, then its numbered references."""
    out: list[str] = []
    for a in answers:
        out.append(f"## {_get(a, 'question')}\n")
        out.append(f"{_get(a, 'answer')}\n")
        reason = _get(a, "reason")
        if _get(a, "abstained") and reason:
            out.append(f"_({reason})_\n")
        for c in _get(a, "citations") or []:
            out.append(f"[{_get(c, 'n')}] {reference(c)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_csv(answers: Iterable[Any]) -> str:
    """One row per citation (an answer without citations: one row with its answer alone)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in answers:
        base = [_cell(_get(a, "question")), _cell(_get(a, "answer")), bool(_get(a, "abstained"))]
        cites = _get(a, "citations") or []
        if not cites:
            writer.writerow(base + [""] * (len(CSV_COLUMNS) - len(base)))
        for c in cites:
            writer.writerow(base + [_cell(_get(c, k)) if _get(c, k) is not None else "" for k in CSV_COLUMNS[3:]])
    return buf.getvalue()


def export(answers: Iterable[Any], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return to_markdown(answers) if fmt == "markdown" else to_csv(answers)
