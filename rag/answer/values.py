"""An answer's value in English when the question is English and the source Italian: "13 miliardi di
euro" -> "13 billion euros", "2.500" -> "2,500", "19 luglio 2024" -> "19 July 2024".

Only a span that is wholly a value (an optional "circa"/"oltre"…, a number with its scale, currency,
percent or unit, or a date) is rendered; anything else stays verbatim. The quote and the highlighted
span keep the source's own words: this is only how the answer reads.
"""

from __future__ import annotations

import re

_MONTHS = {
    "gennaio": "January", "febbraio": "February", "marzo": "March", "aprile": "April", "maggio": "May",
    "giugno": "June", "luglio": "July", "agosto": "August", "settembre": "September", "ottobre": "October",
    "novembre": "November", "dicembre": "December",
}  # fmt: skip
_PREFIX = {
    "circa": "about", "oltre": "over", "quasi": "almost", "più di": "more than", "meno di": "less than",
    "fino a": "up to", "almeno": "at least", "solo": "only", "appena": "just",
}  # fmt: skip
_SCALE = {"mila": "thousand", "milione": "million", "milioni": "million", "miliardo": "billion", "miliardi": "billion"}
_UNIT = {
    "euro": "euros", "dollari": "dollars", "dollaro": "dollar", "sterline": "pounds", "persone": "people",
    "anni": "years", "anno": "year", "mesi": "months", "giorni": "days", "ore": "hours", "minuti": "minutes",
    "metri": "metres", "chilometri": "kilometres", "km": "km", "gradi": "degrees", "voti": "votes",
    "soldati": "soldiers", "truppe": "troops", "morti": "deaths", "vittime": "victims", "abitanti": "inhabitants",
    "per cento": "percent", "percento": "percent", "%": "%",
}  # fmt: skip
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_PREFIXES = "|".join(sorted(_PREFIX, key=len, reverse=True))
_UNITS = "|".join(map(re.escape, sorted(_UNIT, key=len, reverse=True)))
_VALUE = re.compile(
    rf"^(?:(?P<prefix>{_PREFIXES})\s+)?(?P<num>{_NUM})(?:\s*(?P<scale>{'|'.join(_SCALE)}))?"
    rf"(?:\s+(?:di\s+)?|\s*)(?P<unit>{_UNITS})?$",
    re.IGNORECASE,
)
_DATE = re.compile(
    rf"^(?:(?:il|nel|del|dal|al)\s+)?(?:(?P<day>\d{{1,2}})\s+)?(?P<month>{'|'.join(_MONTHS)})(?:\s+(?P<year>\d{{4}}))?$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?P<prep>nel|dal|del|entro il)\s+(?P<year>\d{4})$", re.IGNORECASE)


def _number(text: str) -> str:
    """Italian separators to English ones: 2.500 -> 2,500; 1,08 -> 1.08."""
    return text.replace(".", "\0").replace(",", ".").replace("\0", ",")


def english_value(span: str) -> str | None:
    """The span rendered in English when it is wholly a value, else ``None`` (keep it verbatim)."""
    text = " ".join(span.split())
    date = _DATE.match(text)
    if date and (date["day"] or date["year"]):
        parts = [date["day"], _MONTHS[date["month"].lower()], date["year"]]
        return " ".join(p for p in parts if p)
    year = _YEAR.match(text)
    if year:
        return {"nel": "in", "dal": "since", "del": "of", "entro il": "by"}[year["prep"].lower()] + f" {year['year']}"
    value = _VALUE.match(text)
    if not value:
        return None
    out = [_PREFIX[value["prefix"].lower()]] if value["prefix"] else []
    out.append(_number(value["num"]))
    if value["scale"]:
        out.append(_SCALE[value["scale"].lower()])
    unit = value["unit"]
    if unit:
        word = _UNIT[unit.lower()]
        if word in ("%",):
            out[-1] += "%"
        else:
            out.append(word)
    rendered = " ".join(out)
    return rendered if rendered != text else None
