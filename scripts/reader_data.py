"""The reader's training data (scripts/train_reader.py): questions, negatives and token windows.

- DEV (SQuAD-it): Italian and English questions over Italian paragraphs, the held-out fold apart.
- English sets in ../shared/train (each a folder with corpus.jsonl and questions.jsonl, read its
  README): SQuAD v1.1 train, TyDi QA gold passages, SQuAD 2.0 unanswerable questions (no answer).
  Paragraph ids are prefixed with the folder's name (the sets number their paragraphs alike).
  SQuAD train's ``offset_guessed`` questions (the answer's text occurs twice; about 5% of them point at
  the wrong occurrence) are dropped unless asked for.
- Windows: whole passages in windows of 384 tokens (the old way), or windows of ``window`` tokens
  around the answer: one window holding the answer, at a random place, per question, plus (at
  ``window_negatives``) one of the passage's windows without it, whose target is "no answer".
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from rag.answer.reader_model import encode_pairs
from rag.eval.data import read_jsonl
from rag.eval.folds import paragraph_folds

Item = dict[str, Any]
Feature = tuple[list[int], int, int]  # input ids, start token, end token ((0, 0): no answer)


def load_items(
    dev: Path, english: list[Path], holdout: int | None, keep_guessed: bool = False
) -> tuple[list[Item], list[Item], list[Item], dict[str, Any]]:
    """(English training questions, DEV training questions, held-out DEV questions, paragraphs).
    A question: text, paragraph id, answers [(offset, text)] (none: unanswerable), language, article."""
    paragraphs: dict[str, Any] = {str(r["id"]): r for r in read_jsonl(dev / "corpus.jsonl")}
    folds = paragraph_folds(dev / "corpus.jsonl")
    train: list[Item] = []
    held: list[Item] = []
    for row in read_jsonl(dev / "questions.jsonl"):
        pid = str(row["paragraph_id"])
        spans = [(int(o), str(t)) for o, t in row["answer_spans_it"]]
        for lang, key in (("it", "question_it"), ("en", "question_en")):
            if row.get(key):
                item = {"q": row[key], "pid": pid, "answers": spans, "lang": lang, "article": paragraphs[pid]["title"]}
                (held if holdout is not None and folds[pid] == holdout else train).append(item)
    en: list[Item] = []
    for folder in english:
        prefix = f"{folder.name}/"
        for r in read_jsonl(folder / "corpus.jsonl"):
            paragraphs[prefix + str(r["id"])] = r | {"title": prefix + str(r.get("title", ""))}
        for row in read_jsonl(folder / "questions.jsonl"):
            if row.get("offset_guessed") and not keep_guessed:
                continue
            pid = prefix + str(row["paragraph_id"])
            spans = [(int(o), str(t)) for o, t in row.get("answer_spans_en") or []]
            en.append(
                {
                    "q": row["question_en"],
                    "pid": pid,
                    "answers": spans,
                    "lang": "en-train",
                    "article": paragraphs[pid]["title"],
                }
            )
    return en, train, held, paragraphs


def negatives(items: list[Item], paragraphs: dict[str, Any], ratio: float, rng: random.Random) -> list[Item]:
    """Question/paragraph pairs that do not answer: half from the question's own article."""
    by_article: dict[str, list[str]] = {}
    for pid, p in paragraphs.items():
        by_article.setdefault(p["title"], []).append(pid)
    allowed = {it["article"] for it in items}  # never a paragraph of a held-out article
    pool = [pid for t, pids in by_article.items() if t in allowed for pid in pids]
    out = []
    for it in items:
        if rng.random() >= ratio or not it["answers"]:
            continue
        same = [p for p in by_article[it["article"]] if p != it["pid"]]
        choices = same if same and rng.random() < 0.5 else pool
        pid = rng.choice(choices)
        text = paragraphs[pid]["text"]
        if pid == it["pid"] or any(a.lower() in text.lower() for _, a in it["answers"]):
            continue
        out.append({**it, "pid": pid, "answers": []})
    return out


def _target(offsets: list[tuple[int, int] | None], answer: tuple[int, str] | None) -> tuple[int, int]:
    if answer is None:
        return 0, 0
    a, b = answer[0], answer[0] + len(answer[1])
    s = [i for i, o in enumerate(offsets) if o is not None and o[0] <= a < o[1]]
    e = [i for i, o in enumerate(offsets) if o is not None and o[0] < b <= o[1]]
    return (s[0], e[-1]) if s and e and s[0] <= e[-1] else (0, 0)


def features(
    tokenizer: Any,
    items: list[Item],
    paragraphs: dict[str, Any],
    window: int = 0,
    window_negatives: float = 0.3,
    rng: random.Random | None = None,
) -> list[Feature]:
    """Token windows and their targets. ``window`` 0: every window of the whole passage (384 tokens);
    else one window of ``window`` tokens holding the answer (or, unanswerable, any one), plus at
    ``window_negatives`` one without it."""
    rng = rng or random.Random(0)
    out: list[Feature] = []
    step = 256
    for k in range(0, len(items), step):
        part = items[k : k + step]
        texts = [paragraphs[it["pid"]]["text"] for it in part]
        if window:
            enc = encode_pairs(tokenizer, [it["q"] for it in part], texts, max_length=window, stride=window // 2)
        else:
            enc = encode_pairs(tokenizer, [it["q"] for it in part], texts)
        by_sample: dict[int, list[int]] = {}
        for w, sample in enumerate(enc["overflow_to_sample_mapping"]):
            by_sample.setdefault(sample, []).append(w)
        for sample, ws in by_sample.items():
            answer = part[sample]["answers"][0] if part[sample]["answers"] else None
            targets = {w: _target(enc["context_offsets"][w], answer) for w in ws}
            if not window:
                out.extend((enc["input_ids"][w], *targets[w]) for w in ws)
                continue
            holding = [w for w in ws if targets[w] != (0, 0)]
            empty = [w for w in ws if targets[w] == (0, 0)]
            if answer is not None and not holding:
                continue  # the answer does not fit a window (or its offset is off): nothing to learn
            chosen = [rng.choice(holding)] if holding else [rng.choice(empty)]
            if holding and empty and rng.random() < window_negatives:
                chosen.append(rng.choice(empty))
            out.extend((enc["input_ids"][w], *targets[w]) for w in chosen)
    return out
