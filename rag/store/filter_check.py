"""What a researcher's filters mean against this archive, said before searching.

- Sources match case-insensitively ("Ansa" finds "ANSA"); a source the archive does not hold is an
  error that lists the sources it does hold, instead of an empty result.
- A date range never matches an article without a date; :func:`undated_excluded` counts those the
  range left out, so answers and searches can say so.
"""

from __future__ import annotations

from dataclasses import replace

from rag.errors import ConfigError
from rag.models import Filters
from rag.store.base import VectorStore

#: Dates wide enough to hold every dated article.
_EVER = ("0001-01-01", "9999-12-31")


def resolve_sources(store: VectorStore, filters: Filters | None) -> Filters | None:
    """``filters`` with each source spelt as the archive spells it; raises when one matches none."""
    if filters is None or not filters.sources:
        return filters
    known = list(store.facet("source", "article", limit=1000))
    by_fold: dict[str, list[str]] = {}
    for name in known:
        by_fold.setdefault(name.casefold(), []).append(name)
    resolved: list[str] = []
    for wanted in filters.sources:
        found = by_fold.get(wanted.strip().casefold())
        if not found:
            listed = ", ".join(sorted(k for k in known if k)[:30]) or "none (no article names a source)"
            raise ConfigError(f"no article has the source {wanted!r}", hint=f"sources in the archive: {listed}")
        resolved.extend(found)
    return replace(filters, sources=list(dict.fromkeys(resolved)))


def undated_excluded(store: VectorStore, filters: Filters | None) -> int:
    """How many articles a date range in ``filters`` left out only because they have no date."""
    if filters is None or not (filters.date_from or filters.date_to):
        return 0
    rest = replace(filters, date_from=None, date_to=None)
    dated = replace(rest, date_from=_EVER[0], date_to=_EVER[1])
    return max(0, store.count("article", rest) - store.count("article", dated))


def undated_notice(store: VectorStore, filters: Filters | None) -> str | None:
    """ "The date filter left out N articles without a date.", or None when it left out none."""
    n = undated_excluded(store, filters)
    return f"The date filter left out {n} article{'s' if n > 1 else ''} without a date." if n else None
