"""Which language a text is in: py3langid, offline, among the languages this project handles."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

#: The languages articles and questions are told apart among (ISO 639-1).
LANGUAGES = ("it", "en", "fr", "de", "es", "pt")


@lru_cache(maxsize=8)
def identifier(languages: tuple[str, ...] = LANGUAGES) -> Any:
    """py3langid's identifier restricted to ``languages`` (loaded once per set)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(languages))
    return ident


def detect(text: str, *, default: str, min_letters: int, languages: tuple[str, ...] = LANGUAGES) -> str:
    """``text``'s language among ``languages``; ``default`` when it has fewer than ``min_letters`` letters."""
    if sum(ch.isalpha() for ch in text) < min_letters:
        return default
    language, _ = identifier(tuple(languages)).classify(text)
    return str(language)
