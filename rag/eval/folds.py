"""Folds of SQuAD-it DEV by article, for training on some articles and reporting on the others.

DEV's 16 articles, sorted by title (plain code-point order, as the data's own split rule), go to fold
``position % 3``. A model trained on folds other than ``k`` is measured on fold ``k`` only: no
article, paragraph or question of a reported figure was seen in training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.eval.data import read_jsonl

FOLDS = 3


def article_titles(corpus: Path) -> dict[str, str]:
    """paragraph id -> article title."""
    return {str(r["id"]): str(r["title"]) for r in read_jsonl(corpus)}


def fold_of_titles(titles: set[str] | list[str], folds: int = FOLDS) -> dict[str, int]:
    return {t: i % folds for i, t in enumerate(sorted(set(titles)))}


def paragraph_folds(corpus: Path, folds: int = FOLDS) -> dict[str, int]:
    """paragraph id -> fold of its article."""
    titles = article_titles(corpus)
    by_title = fold_of_titles(set(titles.values()), folds)
    return {pid: by_title[t] for pid, t in titles.items()}


def split_corpus(corpus: Path, fold: int, out_held: Path, out_rest: Path | None = None) -> tuple[int, int]:
    """Writes the paragraphs of ``fold`` (and, if asked, of the other folds) as JSON Lines files."""
    import json

    folds = paragraph_folds(corpus)
    held: list[dict] = []
    rest: list[dict] = []
    for row in read_jsonl(corpus):
        (held if folds[str(row["id"])] == fold else rest).append(row)
    out_held.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in held), encoding="utf-8")
    if out_rest is not None:
        out_rest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rest), encoding="utf-8")
    return len(held), len(rest)


def half_of(corpus: Path, fold: int, half: str) -> set[str]:
    """Titles of ``half`` (``a``: even positions, ``b``: odd, ``all``) of a fold's sorted articles: one
    half chooses a setting, the other reports on it."""
    titles = sorted(t for t, k in fold_of_titles(set(article_titles(corpus).values())).items() if k == fold)
    if half == "all":
        return set(titles)
    return {t for i, t in enumerate(titles) if i % 2 == (0 if half == "a" else 1)}


def fold_questions(questions: list[Any], corpus: Path, fold: int, half: str = "all") -> list[Any]:
    """The questions (``.paragraph_id``) whose article is in that fold (and half)."""
    titles = article_titles(corpus)
    keep = half_of(corpus, fold, half)
    return [q for q in questions if titles.get(q.paragraph_id) in keep]


def other_folds_corpus(corpus: Path, fold: int, folder: Path) -> Path:
    """A corpus of every paragraph outside ``fold`` (the unanswerable index of that fold's questions)."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"eval-folds-except-{fold}-{corpus.stem}.jsonl"
    folds = paragraph_folds(corpus)
    rows = [r for r in read_jsonl(corpus) if folds[str(r["id"])] != fold]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")
    return out
