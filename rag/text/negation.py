"""Whether a sentence denies what it names: "Non è vero che il nuovo stadio costerà 99 milioni" names 99
million and denies it. Such a sentence never supports the value as an answer or as a claim.

A *strong* cue denies the rest of its clause up to a colon, semicolon or the end of the sentence
("non è vero che", "è falso che", "smentisce", "denied", "not true that"); a *weak* one ("non", "not",
"never", "mai", "-n't") only up to the next comma or a contrasting conjunction ("ma", "but"). Cues
that qualify a quantity instead ("non meno di 900", "not more than", "non solo"), and "se non" ("if
not": "difficile, se non impossibile"), deny nothing. Two
cues over the same words cancel ("non è vero che non costerà…" affirms it).
"""

from __future__ import annotations

import re

_STRONG = re.compile(
    r"\b(?:non\s+(?:è|e'|era|sarebbe)\s+vero|(?:è|e'|sarebbe)\s+falso|falso\s+che|smentit\w*|smentisc\w*|"
    r"smentend\w*|smentì|neg(?:a|ano|ato|ava|ò)\s+che|(?:is|was|it's|not)\s+(?:not\s+)?(?:true|untrue)\s+that|"
    r"untrue|(?:is|was)\s+false|false\s+that|den(?:y|ies|ied|ying)|refut\w*|rebutt?\w*)\b",
    re.IGNORECASE,
)
_WEAK = re.compile(r"\b(?:non|not|never|mai|nessun[oa]?|neppure|nemmeno)\b|n't\b", re.IGNORECASE)
_QUANTITY = re.compile(
    r"\b(?:non|not)\s+(?:meno|più|oltre|solo|soltanto|appena|less|more|fewer|only|just|under|over)\b"
    r"|\bnot\s+(?:a\s+)?(?:few|little)\b|\bse\s+non\b|\bif\s+not\b",
    re.IGNORECASE,
)
_END_STRONG = re.compile(r"[;:!?]|\.(?:\s|$)")
_END_WEAK = re.compile(r"[,;:!?()«»]|\.(?:\s|$)|\s(?:ma|però|bensì|but|however|whereas|while|mentre)\s", re.IGNORECASE)


def _scopes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, cue) of every denial in ``text``."""
    out: list[tuple[int, int, str]] = []
    strong = list(_STRONG.finditer(text))
    quantities = [m.span() for m in _QUANTITY.finditer(text)]
    for m in strong:
        end = _END_STRONG.search(text, m.end())
        out.append((m.start(), end.start() if end else len(text), m.group()))
    inside = [m.span() for m in strong] + quantities
    for m in _WEAK.finditer(text):
        if any(a <= m.start() < b for a, b in inside):
            continue  # part of a strong cue ("non è vero"), or a quantity ("non meno di")
        end = _END_WEAK.search(text, m.end())
        out.append((m.start(), end.start() if end else len(text), m.group()))
    return out


def denial(text: str, start: int, end: int) -> str | None:
    """The cue that denies ``text[start:end]``, if an odd number of denials cover it."""
    covering = [cue for a, b, cue in _scopes(text) if a < start and end <= b]
    return covering[0] if len(covering) % 2 else None


def denies_anything(text: str) -> bool:
    """Whether ``text`` as a whole is denied (its last words under an odd number of denials)."""
    n = len(text.rstrip(" .!?"))
    return denial(text, n - 1, n) is not None if n else False
