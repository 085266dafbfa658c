"""Time in news questions and evidence: the period a question asks about, and the time of a sentence.

- A question's period ("in September 2020", "nel 2023", "a dicembre 2022", "last year") is read with
  ``dateparser`` (English and Italian), with its granularity (day, month or year): a constraint on
  the evidence's time, never a word a sentence must contain. "Now", "currently", "oggi", "attualmente"
  ask for the latest the archive holds (:attr:`QuestionTime.latest`), not for today's date.
- A sentence's time is the date it states ("nel gennaio 2020 un attacco…" in a 2024 article is
  January 2020), else its article's date; a sentence of an undated article that states none has no
  time: it is neither inside nor outside a period.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from rag.cite.verdict import values

#: Words asking for the latest the archive holds.
_LATEST = re.compile(
    r"\b(?:now|currently|current|today|at present|presently|these days|latest|most recent|"
    r"oggi|adesso|ora|attualmente|attuale|al momento|in questo momento|ultim[oaie])\b",
    re.IGNORECASE,
)
#: A period found by dateparser must name a year, or be a relative one ("last year"): a month or a day
#: without a year ("19 July") could be any year's, and is left to the question's words.
_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
_RELATIVE = re.compile(r"\b(?:last|this|next|scors[oa]|quest[oa]|prossim[oa])\b", re.IGNORECASE)
#: "early", "late", "inizio", "fine" narrow a period to its first or last third.
_EARLY = re.compile(r"\b(?:early|beginning of|start of|inizio|primi|inizi)\b", re.IGNORECASE)
_LATE = re.compile(r"\b(?:late|end of|fine|ultimi|finire)\b", re.IGNORECASE)


#: What is left dangling where the period's words were taken out ("in Iraq in early ?").
_DANGLING = re.compile(
    r"\s+(?:in|nel|nell'|a|ad|di|del|during|durante|at|on|early|late|inizio|fine|all'|alla|agli|ai|"
    r"l'|dell'|dall'|sull')\s*(?=[?.!,]|$)",
    re.IGNORECASE,
)


#: An article elided onto a day ("l'11 agosto 2025", "dell'8 marzo"): dateparser finds the date only
#: once the two are apart.
_ELIDED_DAY = re.compile(r"(\b(?:l|dell|all|nell|dall|sull)['’])(?=\d)", re.IGNORECASE)


#: Days a report may come after what it reports ("ieri…", "sabato…" aside: those are read).
LAG_DAYS = 3


#: Words before a period that are not the period ("in December 2023", "and in 2021", "nel 2023").
_LEADING = re.compile(r"^(?:(?:and|e|ed|in|on|nel|nell'|nella|a|ad|di|del|during|durante)\s+)+", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str  # as the question or sentence said it ("September 2020", "2023-05-04")
    #: the article's date, the sentence stating none: when it was reported, which is a few days after
    reported: bool = False

    def covers(self, when: Period) -> bool:
        """Whether ``when`` lies in this period; a report's date may come up to :data:`LAG_DAYS` after it."""
        if when.reported:
            return self.start <= when.start <= date.fromordinal(self.end.toordinal() + LAG_DAYS)
        return self.overlaps(when)

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def distance(self, other: Period) -> int:
        """Days between the two periods (0 when they overlap)."""
        if self.overlaps(other):
            return 0
        return min(abs((self.start - other.end).days), abs((other.start - self.end).days))

    def iso(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()


@dataclass(frozen=True)
class QuestionTime:
    period: Period | None = None
    latest: bool = False
    #: the question without the words that named the period (what retrieval's focus needs to find)
    rest: str = ""


def _span(year: int, month: int | None = None, day: int | None = None) -> tuple[date, date]:
    if day is not None and month is not None:
        d = date(year, month, day)
        return d, d
    if month is not None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(year, 1, 1), date(year, 12, 31)


def _narrow(start: date, end: date, text: str) -> tuple[date, date]:
    """ "early September 2020" is its first third; "late 2023" its last third."""
    days = (end - start).days
    if days < 10:
        return start, end
    if _EARLY.search(text):
        return start, date.fromordinal(start.toordinal() + days // 3)
    if _LATE.search(text):
        return date.fromordinal(end.toordinal() - days // 3), end
    return start, end


@lru_cache(maxsize=1)
def _parser() -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["it", "en"], settings={"PREFER_DAY_OF_MONTH": "first"})


def question_time(question: str) -> QuestionTime:
    """The period a question asks about (if any), whether it asks for the latest, and the question
    without the period's words."""
    from dateparser.search import search_dates

    question = _ELIDED_DAY.sub(r"\1 ", question).replace("’ ", "' ")
    found = search_dates(question, languages=["it", "en"], settings={"PREFER_DAY_OF_MONTH": "first"}) or []
    for text, _when in found:
        i = question.find(text)
        if not (_YEAR.search(text) or _RELATIVE.search(text)):
            continue  # "may win", "ore", a bare number; "19 July" of no year (which one? the words decide)
        data = _parser().get_date_data(text)
        when, grain = data.date_obj, data.period
        if when is None:
            continue
        if grain == "year":
            start, end = _span(when.year)
        elif grain == "month":
            start, end = _span(when.year, when.month)
        else:
            start, end = _span(when.year, when.month, when.day)
        before = question[max(0, i - 20) : i] if i >= 0 else ""
        start, end = _narrow(start, end, before + " " + text)
        rest = (question[:i] + " " + question[i + len(text) :]) if i >= 0 else question
        while (shorter := _DANGLING.sub("", rest)) != rest:
            rest = shorter
        label = _LEADING.sub("", text.strip())
        return QuestionTime(Period(start, end, label), False, " ".join(rest.split()).replace(" ?", "?"))
    return QuestionTime(None, bool(_LATEST.search(question)), question)


_WEEKDAYS = (
    "lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
#: A day said relative to the article's date: "ieri", "l'altro ieri", "lunedì (scorso)", "yesterday".
_RELATIVE_DAY = re.compile(
    rf"\b(?:l'altro\s+ieri|l’altro\s+ieri|ieri|yesterday|(?:last\s+)?(?:{_WEEKDAYS}))\b", re.IGNORECASE
)


def _relative_day(text: str, article_date: str) -> Period | None:
    m = _RELATIVE_DAY.search(text)
    if m is None:
        return None
    try:
        base = date.fromisoformat(article_date[:10])
    except ValueError:
        return None
    word = m.group().lower()
    if "altro" in word:
        day = date.fromordinal(base.toordinal() - 2)
    elif word in ("ieri", "yesterday"):
        day = date.fromordinal(base.toordinal() - 1)
    else:  # the last such weekday before the article's date
        names = _WEEKDAYS.split("|")
        target = names.index(word.split()[-1]) % 7
        back = (base.weekday() - target) % 7 or 7
        day = date.fromordinal(base.toordinal() - back)
    return Period(day, day, day.isoformat())


def sentence_period(text: str, article_date: str | None) -> Period | None:
    """A sentence's time: the first date it states (the whole month or year when it names no day), or
    the day it names relative to its article's date ("ieri"), else its article's date, else none."""
    for v in values(text):
        if v.kind != "date":
            continue
        parts = v.key.split("-")
        try:
            year = int(parts[0]) if parts[0] else (int(article_date[:4]) if article_date else 0)
            if not year:
                continue
            month = int(parts[1]) if len(parts) > 1 else None
            day = int(parts[2]) if len(parts) > 2 else None
            start, end = _span(year, month, day)
        except (ValueError, IndexError):
            continue
        return Period(start, end, v.text)
    if article_date and (relative := _relative_day(text, article_date)) is not None:
        return relative
    if article_date:
        try:
            d = date.fromisoformat(article_date[:10])
        except ValueError:
            return None
        return Period(d, d, d.isoformat(), reported=True)
    return None
