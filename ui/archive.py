"""The source browser's logic, apart from the page: the archive's articles listed, filtered and sorted,
a timeline of articles per month, an article with the places a chat cited it, readable titles for
files that came without one, and chat examples that fit what the archive holds.

Display titles are for showing only: the stored title is embedded with every chunk, so changing it
would change retrieval (see the revert in 51dacd3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from rag.errors import RagError
from rag.loaders import load_file
from rag.models import Article, Filters

#: Loaders that fall back on the file name when a file has no title of its own (rag/loaders/text.py).
FILE_NAME_TITLED = (".txt", ".md")
TITLE_CHARS = 80
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
#: The seed questions and the seed article each needs: offered only while that article is in the archive.
SEED_QUESTIONS = (
    ("How many US troops are in Syria?", "004_5440dd308387ea49.txt"),
    ("Quante truppe statunitensi ci sono in Iraq?", "000_6802bbc07cb0c99c.txt"),
    ("Chi è il primo ministro iracheno?", "000_6802bbc07cb0c99c.txt"),
)
EXAMPLES = 4
SORTS = ("newest first", "oldest first", "title", "source")
Sort = Literal["newest first", "oldest first", "title", "source"]
MAX_ARTICLES = 5000


# -- display titles ---------------------------------------------------------------------------------
def title_is_file_name(title: str | None, origin: str | None) -> bool:
    """True when ``title`` is only the name of the plain-text file the article came from (``seeds/004_ab.txt``
    titled ``004_ab``), which is what the text loader gives a file without a title of its own."""
    if not title or not origin:
        return False
    path = PurePosixPath(origin.replace("\\", "/"))
    return path.suffix.lower() in FILE_NAME_TITLED and title.strip() == path.stem.strip()


def shorten(text: str, limit: int = TITLE_CHARS) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"


def first_sentence(text: str, spans: Sequence[Sequence[int]] | None) -> str:
    """The article's first sentence (by its stored spans), else its first line."""
    if spans:
        start, end = int(spans[0][0]), int(spans[0][1])
        if 0 <= start < end <= len(text):
            return text[start:end]
    return text.strip().split("\n", 1)[0]


def display_title(article: Mapping[str, Any]) -> str:
    """The title to show: the stored one, or the first sentence (shortened) when the stored title is
    just the file name. ``article``: a stored article payload (``text``, ``sentence_spans``) or
    :meth:`rag.engine.Engine.get_article`'s dict (``sentences``)."""
    title = str(article.get("title") or "")
    if title and not title_is_file_name(title, article.get("origin")):
        return title
    spans = article.get("sentence_spans")
    if spans is None:
        spans = [(s["start"], s["end"]) for s in article.get("sentences") or []]
    sentence = shorten(first_sentence(str(article.get("text") or ""), spans))
    return sentence or title or str(article.get("article_id", ""))


# -- reading the archive ----------------------------------------------------------------------------
def _payloads(engine: Any, filters: Filters | None = None, limit: int = MAX_ARTICLES) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = None
    while len(out) < limit:
        page, offset = engine.store.scroll("article", filters, limit=min(500, limit - len(out)), offset=offset)
        out.extend(r.payload for r in page)
        if offset is None:
            break
    return out


def _row(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "article_id": p.get("article_id"),
        "title": p.get("title") or "",
        "display_title": display_title(p),
        "source": p.get("source") or "",
        "date": p.get("date") or None,
        "url": p.get("url"),
        "language": p.get("language"),
        "origin": p.get("origin"),
        "n_sentences": int(p.get("n_sentences") or 0),
    }


def _in_range(date: str | None, start: str | None, end: str | None) -> bool:
    if not (start or end):
        return True
    if not date:
        return False  # as the store's date filters: an undated article is in no range
    day = date[:10]
    return (not start or day >= start) and (not end or day <= end)


def sort_rows(rows: list[dict[str, Any]], sort: str = "newest first") -> list[dict[str, Any]]:
    """Newest or oldest first (undated last either way), by title, or by source then title."""

    def title(r: Mapping[str, Any]) -> str:
        return str(r.get("display_title") or r.get("title") or "").casefold()

    if sort in ("newest first", "oldest first"):
        dated = sorted((r for r in rows if r.get("date")), key=title)
        dated.sort(key=lambda r: str(r["date"]), reverse=sort == "newest first")
        return dated + sorted((r for r in rows if not r.get("date")), key=title)
    if sort == "source":
        return sorted(rows, key=lambda r: (not r.get("source"), str(r.get("source") or "").casefold(), title(r)))
    if sort == "title":
        return sorted(rows, key=title)
    raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")


def articles(
    engine: Any,
    *,
    sources: Iterable[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    sort: str = "newest first",
    limit: int = MAX_ARTICLES,
) -> list[dict[str, Any]]:
    """Article summaries (with ``display_title``), filtered by source (any of ``sources``, as spelt in
    the archive) and by an inclusive ``YYYY-MM-DD`` date range, then sorted."""
    wanted = {s.casefold() for s in sources or () if s}
    rows = [_row(p) for p in _payloads(engine, limit=limit)]
    rows = [
        r for r in rows if (not wanted or r["source"].casefold() in wanted) and _in_range(r["date"], date_from, date_to)
    ]
    return sort_rows(rows, sort)


def source_counts(engine: Any) -> dict[str, int]:
    """Articles per named source, most first (empty when the archive cannot be read)."""
    try:
        found = engine.store.facet("source", "article", limit=1000)
    except RagError:
        return {}
    return dict(sorted(((k, int(v)) for k, v in found.items() if k), key=lambda kv: (-kv[1], kv[0].casefold())))


def timeline(rows: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Articles per month (``{"month": "YYYY-MM", "count": n}``, every month between the first and the
    last, empty ones as 0) and how many articles have no date (they are in no month)."""
    months: Counter[str] = Counter()
    undated = 0
    for r in rows:
        date = r.get("date")
        if date and len(str(date)) >= 7:
            months[str(date)[:7]] += 1
        else:
            undated += 1
    if not months:
        return [], undated
    first, last = min(months), max(months)
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        key = f"{y:04d}-{m:02d}"
        out.append({"month": key, "count": months.get(key, 0)})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out, undated


#: Beyond this many months the timeline counts years: a label per month would overlap.
MONTHS_SHOWN = 24


def timeline_bars(months: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The timeline as the chart shows it: ``("month", months)`` for up to :data:`MONTHS_SHOWN` months,
    else ``("year", [{"month": "YYYY", "count": n}, …])`` (every year between, empty ones as 0)."""
    if len(months) <= MONTHS_SHOWN:
        return "month", months
    years: Counter[str] = Counter()
    for m in months:
        years[m["month"][:4]] += int(m["count"])
    first, last = int(min(years)), int(max(years))
    return "year", [{"month": f"{y:04d}", "count": years.get(f"{y:04d}", 0)} for y in range(first, last + 1)]


# -- one article and where it was cited ---------------------------------------------------------------
def article(engine: Any, article_id: str) -> dict[str, Any] | None:
    """The stored article (:meth:`rag.engine.Engine.get_article`) with its ``display_title``."""
    found = engine.get_article(article_id)
    if found is None:
        return None
    return {**found, "display_title": display_title(found)}


def display_titles(engine: Any, article_ids: Iterable[str]) -> dict[str, str]:
    """``article_id -> display title`` for the given articles (those still in the archive)."""
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return {}
    return {str(p["article_id"]): display_title(p) for p in _payloads(engine, Filters(article_ids=ids), len(ids))}


def citations_of(article_id: str, answered: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The places this chat cited the article: one entry per citation of it in ``answered`` (the
    session's answer results, oldest first): the question, the citation's number, quote and span."""
    out = []
    for result in answered or []:
        for c in result.get("citations") or []:
            if c.get("article_id") == article_id:
                out.append(
                    {
                        "question": str(result.get("question") or ""),
                        "n": c.get("n"),
                        "quote": str(c.get("quote") or ""),
                        "start": int(c["start"]),
                        "end": int(c["end"]),
                    }
                )
    return out


# -- chat examples --------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _seed_id(path: Path, mtime: float) -> str | None:
    for item in load_file(path):
        if isinstance(item, Article):
            return item.article_id
    return None


def seed_article_id(name: str, seeds: Path = SEEDS) -> str | None:
    """The id the seed file ``name`` gets when ingested (None when the file is not there)."""
    path = seeds / name
    try:
        return _seed_id(path, path.stat().st_mtime)
    except OSError:
        return None


def title_question(title: str, language: str | None) -> str:
    short = shorten(title, 60)
    if (language or "").startswith("it"):
        return f"Cosa dice l'archivio su «{short}»?"
    return f"What does the archive say about «{short}»?"


def example_rows(engine: Any, *, seeds: Path = SEEDS, n: int = EXAMPLES) -> list[dict[str, Any]]:
    """The newest articles that are not seeds (those the chat's examples ask about), ``n`` at most."""
    try:
        rows = articles(engine, sort="newest first")
    except RagError:
        return []
    seeded = {seed_article_id(name, seeds) for _, name in SEED_QUESTIONS}
    return [r for r in rows if r["article_id"] not in seeded][:n]


def chat_examples(engine: Any, *, seeds: Path = SEEDS, n: int = EXAMPLES) -> list[str]:
    """Example questions for what the archive holds: each seed question whose seed article is in it,
    then, for the newest other articles, the question the local LLM wrote about each and the archive
    answers (rag/examples.py), else a question about its title; ``n`` at most."""
    from rag import examples

    try:
        rows = articles(engine, sort="newest first")
    except RagError:
        return []
    held = {r["article_id"] for r in rows}
    out = [q for q, name in SEED_QUESTIONS if (seed := seed_article_id(name, seeds)) is not None and seed in held]
    written = examples.load(engine)
    for r in example_rows(engine, seeds=seeds, n=n):
        if len(out) >= n:
            break
        out.append(written.get(r["article_id"]) or title_question(r["display_title"], r["language"]))
    return out[:n]
