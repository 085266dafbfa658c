"""What the page says about its filters: which are on (shown on the closed accordion's label) and
which dates are not dates (said beside the boxes, before anything is asked)."""

from __future__ import annotations

import datetime as dt

from ui.render import escape

BASE_LABEL = "Answerer and filters"


def describe(answerer: str | None, sources: list[str] | None, date_from: str | None, date_to: str | None) -> str:
    """The accordion's label: the base, then what is active ("· active: ANSA; from 2024-01-01")."""
    parts = []
    if answerer and answerer != "default":
        parts.append(f"answerer {answerer}")
    if sources:
        parts.append(", ".join(sources))
    if (date_from or "").strip():
        parts.append(f"from {date_from.strip()}")  # type: ignore[union-attr]
    if (date_to or "").strip():
        parts.append(f"to {date_to.strip()}")  # type: ignore[union-attr]
    return f"{BASE_LABEL} · active: {'; '.join(parts)}" if parts else BASE_LABEL


def date_problems(date_from: str | None, date_to: str | None) -> str:
    """Escaped HTML naming each box whose text is not a YYYY-MM-DD date (or a reversed range); empty
    when both are fine."""
    found: list[str] = []
    parsed: list[dt.date | None] = []
    for name, value in (("From", date_from), ("To", date_to)):
        text = (value or "").strip()
        if not text:
            parsed.append(None)
            continue
        try:
            parsed.append(dt.date.fromisoformat(text))
        except ValueError:
            parsed.append(None)
            found.append(f"{name}: {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31.")
    if parsed[0] and parsed[1] and parsed[0] > parsed[1]:
        found.append("From is after To: swap the two dates.")
    if not found:
        return ""
    return "<div class='filter-note'>" + "<br>".join(escape(f) for f in found) + "</div>"
