"""Detects the language of a query (or any short text) offline with py3langid."""

from __future__ import annotations

from haystack import component

from rag.text.language import LANGUAGES, detect, identifier


@component
class QueryLanguageDetector:
    """Outputs the ISO 639-1 code of the text's language among ``languages``."""

    def __init__(self, languages: list[str] | None = None, default: str = "it") -> None:
        langs = list(languages or LANGUAGES)
        if default not in langs:
            raise ValueError(f"default language {default!r} must be one of {langs}")
        self.languages = langs
        self.default = default

    def warm_up(self) -> None:
        identifier(tuple(self.languages))

    def detect(self, text: str) -> str:
        if sum(ch.isalpha() for ch in text) < 3:
            return self.default
        return detect(_without_names(text), default=self.default, min_letters=0, languages=tuple(self.languages))

    @component.output_types(language=str)
    def run(self, text: str) -> dict[str, str]:
        return {"language": self.detect(text)}


def _without_names(text: str) -> str:
    """The text without its names (capitalised or numeric words after the first): "Did Juventus sack
    Thiago Motta?" is English, whatever the names' language. The whole text when too little is left.
    Measured on SQuAD-it DEV's questions: Italian detected .998 -> .9996, English .9988 -> .9992."""
    words = text.split()
    kept = [w for i, w in enumerate(words) if i == 0 or not (w[:1].isupper() or w[:1].isdigit())]
    rest = " ".join(kept)
    return rest if sum(ch.isalpha() for ch in rest) >= 4 else text
