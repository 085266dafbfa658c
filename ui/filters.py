"""The page's filter rows (sources, From and To date pickers) and what the page says about them: which
are on (shown on the closed accordion's label) and which dates are not dates (said beside the boxes,
before anything is asked)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import gradio as gr

from rag.models import Filters
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


def to_filters(sources: list[str] | None, date_from: str | None, date_to: str | None) -> Filters | None:
    """The store's filters for a filter row's values (None when nothing is set)."""
    start, end = (date_from or "").strip() or None, (date_to or "").strip() or None
    return Filters(sources=sources or None, date_from=start, date_to=end).or_none()


@dataclass
class FilterRow:
    """A filter row's components: sources, the two date pickers, an optional sort choice, the note that
    names a bad date, and a hidden button that the page script clicks when a date box loses focus (a bad
    date never changes a picker's value, so it is read from the box: :func:`typed_dates_js`)."""

    row_id: str
    sources: gr.Dropdown
    date_from: gr.DateTime
    date_to: gr.DateTime
    check: gr.Button
    sort: gr.Dropdown | None = None
    note: gr.HTML | None = None

    def typed(self, n_inputs: int, at: tuple[int, int]) -> str:
        return typed_dates_js(self.row_id, n_inputs, at)


def filter_row(name: str, choices: list[str], *, sort: Sequence[str] | None = None, note: bool = True) -> FilterRow:
    """Sources, then From and To date pickers (Gradio's own calendar, offline; typing YYYY-MM-DD works
    too), then a sort choice when ``sort`` names the orders (the first is the default). With ``note``, a
    line under the row names a bad date as soon as its box loses focus."""
    row_id = f"{name}-filter-row"
    with gr.Row(elem_id=row_id, elem_classes="filter-row"):
        sources = gr.Dropdown(
            choices, multiselect=True, label="Sources", scale=2, min_width=200, elem_id=f"{name}-sources"
        )
        pickers = [
            gr.DateTime(
                include_time=False, type="string", label=label, elem_classes="date-filter", scale=1, min_width=190
            )
            for label in ("From (YYYY-MM-DD)", "To (YYYY-MM-DD)")
        ]
        order = None
        if sort:
            order = gr.Dropdown(list(sort), value=sort[0], label="Sort", scale=1, min_width=150, elem_id=f"{name}-sort")
        check = gr.Button("check dates", elem_classes="date-check", min_width=0)
    row = FilterRow(row_id, sources, pickers[0], pickers[1], check, order)
    if note:
        row.note = gr.HTML(elem_id=f"{name}-filter-note", elem_classes="filter-note-box")
        for trigger in (check.click, pickers[0].change, pickers[1].change):
            trigger(date_problems, pickers, row.note, js=row.typed(2, (0, 1)))
    return row


def typed_dates_js(row_id: str, n_inputs: int, at: tuple[int, int]) -> str:
    """An event's ``js``: its inputs with the two dates replaced by what the row's boxes show. A
    picker keeps its last valid date while its box shows a bad one (marked red); the handler must
    see the bad one, to say so instead of filtering by a date no longer on the screen."""
    row = json.dumps(row_id)
    return (
        f"(...args) => {{ const a = args.slice(0, {n_inputs}); const row = document.getElementById({row});"
        " const boxes = row ? [...row.querySelectorAll('.date-filter input.time')] : [];"
        f" if (boxes.length === 2) {{ a[{at[0]}] = boxes[0].value; a[{at[1]}] = boxes[1].value; }} return a; }}"
    )
