"""Folds of SQuAD-it DEV by article, for training on some articles and reporting on the others.

DEV's 16 articles, sorted by title (plain code-point order, as the data's own split rule), go to fold
``position % 3``. A model trained on folds other than ``k`` is measured on fold ``k`` only: no
article, paragraph or question of a reported figure was seen in training.
"""

from __future__ import annotations

from pathlib import Path

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
