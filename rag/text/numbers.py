"""Numbers as written in Italian and English news, compared by value: ``2.500``, ``2,500`` and
``2500`` are one number; ``3,5`` is ``3.5``."""

from __future__ import annotations

import re

#: A number as written: digits with ``.`` or ``,`` groups (``2.500``, ``3,5``, ``1.234.567``).
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def normalize_number(text: str) -> str:
    """``2.500`` / ``2,500`` / ``2500`` -> ``2500``; ``3,5`` -> ``3.5``; leading zeros kept."""
    if _THOUSANDS.fullmatch(text):
        return re.sub(r"[.,]", "", text)
    return text.replace(",", ".")


def numbers_in(text: str) -> set[str]:
    """The numbers ``text`` writes, normalized."""
    return {normalize_number(m.group()) for m in NUMBER.finditer(text)}
