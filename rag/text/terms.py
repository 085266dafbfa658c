"""Words for the cross-lingual term vocabulary, and the tokens of a query.

The index keeps one ``term`` point per distinct archive word (its embedding as a one-word query).
A question in another language is turned into an archive-language BM25 query by looking up the
nearest archive words of each of its words (see
:class:`rag.search.cross_lingual_bm25.CrossLingualBm25Embedder`).
"""

from __future__ import annotations

import re

from rag.text.numbers import NUMBER

#: Words of three or more letters (no digits): what the vocabulary holds.
_WORD = re.compile(r"[^\W\d_]{3,}")
#: Snowball (stemmer and stopword) language names by ISO 639-1 code.
SNOWBALL = {
    "it": "italian",
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "pt": "portuguese",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "fi": "finnish",
    "no": "norwegian",
    "ru": "russian",
    "ro": "romanian",
    "hu": "hungarian",
    "tr": "turkish",
}


def vocabulary_words(text: str) -> set[str]:
    """Distinct lowercase words of ``text`` (three letters or more, no digits)."""
    return {w.lower() for w in _WORD.findall(text)}


def query_tokens(text: str) -> tuple[list[str], list[str]]:
    """``(words, numbers)`` of a query, each distinct and in order of appearance."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    numbers = list(dict.fromkeys(NUMBER.findall(text)))  # the same in every language: never translated
    return words, numbers
