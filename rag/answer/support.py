"""Does a sentence support a claim? Checked with the claim's own words, across languages.

A claim's *key terms* are its numbers, its names (capitalised words not opening a sentence,
acronyms) and its other content words (stopwords of its language removed). A term is *found* in
a sentence when

- a number: the same value (``2.500`` = ``2500`` = ``2,500``; ``3,5`` = ``3.5``);
- a word or name: the same word or Snowball stem (in the sentence's or the claim's language), a
  near spelling of a name (``Syria``/``Siria``), or, across languages, a word of the sentence
  whose embedding is close enough (``troops`` ~ ``truppe`` .92); names are compared with the
  sentence's capitalised phrases (``US`` ~ ``Stati Uniti`` .91, while ``Afghanistan`` ~ ``Iraq``
  stays below the bar; the pairs measured are in tests/answer/test_support.py).

A claim is supported when every number and every name is found, and either most content words
are found or the claim and the sentence are close by embedding (the second signal). Which checks
passed is reported with each citation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from rag.text.bm25 import Bm25Encoder, is_stopword, stems
from rag.text.negation import denial, denies_anything
from rag.text.numbers import NUMBER, normalize_number, numbers_in
from rag.text.terms import SNOWBALL

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;]\s+|[\n\"“«(])\s*$")

#: Embeds short texts (as queries) into unit vectors, one row per text.
Embed = Callable[[Sequence[str]], "np.ndarray"]
#: Unit vectors of lowercase words (e.g. from the index's term vocabulary), by word.
WordVectors = Callable[[Sequence[str]], "dict[str, np.ndarray]"]
_NAME_PHRASE = re.compile(r"(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*)(?:\s+(?:d[aei]l?l?[a']?\s*|of\s+|de\s+)?[A-ZÀ-ÖØ-Þ][\w'’.-]*)*")


def _denied_numbers(sentence: str, numbers: set[str]) -> bool:
    """Whether some of ``numbers`` occur in ``sentence`` only where it denies them."""
    at: dict[str, list[bool]] = {}
    for m in NUMBER.finditer(sentence):
        key = normalize_number(m.group())
        if key in numbers:
            at.setdefault(key, []).append(denial(sentence, m.start(), m.end()) is not None)
    return any(all(flags) for flags in at.values())


def _glued(ch: str) -> bool:
    """Whether ``ch`` continues a word or number (a letter, digit or combining mark)."""
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def whole_at(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` does not cut a word or a number in two: ``900`` is not whole in
    ``2.900``, ``1900`` or ``900,5``; ``Roma`` is not in ``Romania``; ``e`` is not whole before a
    combining accent."""
    if start > 0 and _glued(text[start]) and _glued(text[start - 1]):
        return False
    if end < len(text) and _glued(text[end - 1]) and _glued(text[end]):
        return False
    if text[start].isdigit() and start >= 2 and text[start - 1] in ".," and text[start - 2].isdigit():
        return False
    return not (text[end - 1].isdigit() and end + 1 < len(text) and text[end] in ".," and text[end + 1].isdigit())


def _folded(text: str) -> tuple[str, dict[int, int]]:
    """``text`` case-folded one character at a time, and the offset in ``text`` of every folded
    offset where a character starts (and of the end): folding may change the length (``İ``, ``ß``)."""
    parts: list[str] = []
    where: dict[int, int] = {}
    pos = 0
    for i, ch in enumerate(text):
        where.setdefault(pos, i)
        folded = ch.casefold()
        parts.append(folded)
        pos += len(folded)
    where[pos] = len(text)
    return "".join(parts), where


def quote_span(quote: str, sentence: str, *, ignore_case: bool = False) -> tuple[int, int] | None:
    """``(start, end)`` of the first place ``sentence`` quotes ``quote`` as whole words and numbers
    (:func:`whole_at`), or ``None``. ``ignore_case``: compared by Unicode case folding, offsets still
    into ``sentence``."""
    if not quote:
        return None
    if ignore_case:
        haystack, where = _folded(sentence)
        needle = quote.casefold()
    else:
        haystack, where, needle = sentence, {}, quote
    i = haystack.find(needle)
    while i >= 0:
        j = i + len(needle)
        a, b = (where.get(i), where.get(j)) if ignore_case else (i, j)
        if a is not None and b is not None and a < b and whole_at(sentence, a, b):
            return a, b
        i = haystack.find(needle, i + 1)
    return None


@dataclass(frozen=True)
class KeyTerms:
    numbers: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.numbers or self.names or self.words)


@dataclass
class Support:
    """The outcome of :meth:`SupportChecker.check` for one claim and one sentence."""

    supported: bool
    passed: list[str] = field(default_factory=list)  # of "numbers", "names", "terms", "similarity", "quote"
    missing: list[str] = field(default_factory=list)  # key terms not found
    term_coverage: float = 0.0
    similarity: float | None = None


class SupportChecker:
    """Checks claims against sentences; ``neighbours`` looks words up in the archive vocabulary."""

    def __init__(
        self,
        *,
        corpus_bm25_language: str = "italian",
        embed: Embed | None = None,
        word_vectors: WordVectors | None = None,
        min_term_coverage: float = 0.5,
        min_similarity: float = 0.85,
        min_word_similarity: float = 0.9,
        min_name_similarity: float = 0.91,
        min_name_ratio: float = 0.75,
    ) -> None:
        if not 0 <= min_term_coverage <= 1:
            raise ValueError(f"min_term_coverage must be in [0, 1], got {min_term_coverage}")
        self.corpus_bm25_language = corpus_bm25_language
        self.embed = embed
        self.word_vectors = word_vectors
        self.min_term_coverage = min_term_coverage
        self.min_similarity = min_similarity
        self.min_word_similarity = min_word_similarity
        self.min_name_similarity = min_name_similarity
        self.min_name_ratio = min_name_ratio
        self._encoders: dict[str, Bm25Encoder] = {}

    def _bm25(self, name: str) -> Bm25Encoder:
        if name not in self._encoders:
            self._encoders[name] = Bm25Encoder(language=name)
        return self._encoders[name]

    def _stems(self, word: str, language: str) -> set[int]:
        return set(stems(word, language))

    def is_stopword(self, word: str, language: str) -> bool:
        snowball = SNOWBALL.get(language)
        return bool(snowball) and is_stopword(word, snowball)  # type: ignore[arg-type]

    def key_terms(self, text: str, language: str) -> KeyTerms:
        """Numbers, names (capitalised phrases, case kept: "US" is not "us" to an embedding) and
        other content words of ``text``."""
        numbers = [normalize_number(m.group()) for m in NUMBER.finditer(text)]
        names: list[str] = []
        in_names: set[int] = set()
        for m in _NAME_PHRASE.finditer(text):
            words = m.group().rstrip(".").split()
            if _SENTENCE_START.search(text[: m.start()]) and not (len(words[0]) >= 2 and words[0].isupper()):
                words = words[1:]  # a capital that only opens the sentence
            while words and self.is_stopword(words[0], language):
                words = words[1:]
            while words and self.is_stopword(words[-1], language):
                words = words[:-1]
            if words:
                names.append(" ".join(words))
                in_names.update(range(m.start(), m.end()))
        content: list[str] = []
        for m in _TOKEN.finditer(text):
            tok = m.group()
            if tok[0].isdigit() or m.start() in in_names or len(tok) < 3:
                continue
            low = tok.lower()
            if not self.is_stopword(low, language):
                content.append(low)
        return KeyTerms(*(tuple(dict.fromkeys(x)) for x in (numbers, names, content)))

    # -- matching ---------------------------------------------------------------------------------

    def _sentence_index(self, sentence: str, language: str) -> tuple[set[str], set[int], set[int], set[str]]:
        tokens = {m.group().lower() for m in _TOKEN.finditer(sentence) if not m.group()[0].isdigit()}
        corpus_stems = set(self._bm25(self.corpus_bm25_language).embed_documents([sentence])[0][0])
        snowball = SNOWBALL.get(language)
        own_stems = set(self._bm25(snowball).embed_documents([sentence])[0][0]) if snowball else set()
        return tokens, corpus_stems, own_stems, numbers_in(sentence)

    def find(self, terms: KeyTerms, sentence: str, language: str, context: str = "") -> tuple[list[str], list[str]]:
        """``(found, missing)`` key terms of a ``language`` claim in ``sentence`` (and ``context``,
        e.g. the article title, for names)."""
        tokens, corpus_stems, own_stems, numbers = self._sentence_index(sentence, language)
        ctx_tokens: set[str] = set()
        ctx_stems: set[int] = set()
        if context:
            ctx_tokens, ctx_stems, _, _ = self._sentence_index(context, language)
        snowball = SNOWBALL.get(language)
        found: list[str] = []
        missing: list[str] = []
        pending: list[str] = []
        for n in terms.numbers:
            (found if n in numbers else missing).append(n)
        for word in (*terms.names, *terms.words):
            is_name = word in terms.names
            pool_tokens = tokens | ctx_tokens if is_name else tokens
            pool_stems = corpus_stems | ctx_stems if is_name else corpus_stems
            parts = word.lower().split()
            if (
                all(p in pool_tokens for p in parts)
                or self._all_stems(word, self.corpus_bm25_language, pool_stems)
                or (snowball and self._all_stems(word, snowball, own_stems))
                or (is_name and len(parts) == 1 and self._near_spelling(parts[0], pool_tokens))
            ):
                found.append(word)
            else:
                pending.append(word)
        if pending and self.embed is not None:
            found_late = self._by_embedding(pending, terms.names, sentence, context, language)
            for word in pending:
                (found if word in found_late else missing).append(word)
        else:
            missing.extend(pending)
        return found, missing

    def _by_embedding(
        self, pending: list[str], names: Sequence[str], sentence: str, context: str, language: str
    ) -> set[str]:
        """Pending terms matched across languages: a name to a capitalised phrase of the sentence (or
        context), or word by word to its content words; other words to its content words."""
        assert self.embed is not None
        out: set[str] = set()
        phrases = sorted(
            {self._strip_phrase(m.group()) for t in (sentence, context) for m in _NAME_PHRASE.finditer(t)} - {""}
        )  # case kept, as for the names
        pending_names = [w for w in pending if w in names]
        if pending_names and phrases:
            texts = list(dict.fromkeys([*pending_names, *phrases]))
            vectors = self.embed(texts)
            row = {t: vectors[i] for i, t in enumerate(texts)}
            for name in pending_names:
                if max(float(row[name] @ row[p]) for p in phrases) >= self.min_name_similarity:
                    out.add(name)
        stop = self._stopwords_of(sentence)
        sentence_words = sorted(
            {m.group().lower() for m in _TOKEN.finditer(sentence) if not m.group()[0].isdigit() and len(m.group()) >= 3}
            - stop
        )
        if not sentence_words:
            return out
        # each remaining term as words: all of a name's words must match, at the name bar
        parts = {
            term: [w for w in term.lower().split() if not self.is_stopword(w, language)] or [term.lower()]
            for term in pending
            if term not in out
        }
        lookup = self.word_vectors or (lambda ws: dict(zip(ws, self.embed(list(ws)), strict=True)))  # type: ignore[misc]
        vecs = lookup(list(dict.fromkeys([*sentence_words, *(w for ws in parts.values() for w in ws)])))
        matrix = np.stack([vecs[w] for w in sentence_words])
        for term, words in parts.items():
            bar = self.min_name_similarity if term in names else self.min_word_similarity
            if all(float(np.max(matrix @ vecs[w])) >= bar for w in words):
                out.add(term)
        return out

    def _stopwords_of(self, sentence: str) -> set[str]:
        corpus = self.corpus_bm25_language
        return {
            m.group().lower()
            for m in _TOKEN.finditer(sentence)
            if not m.group()[0].isdigit() and not self._bm25(corpus).embed_query(m.group())[0]
        }

    def _strip_phrase(self, phrase: str) -> str:
        """A capitalised phrase without leading stopwords (``Gli Stati Uniti`` -> ``stati uniti``)."""
        words = phrase.split()
        while words and not self._bm25(self.corpus_bm25_language).embed_query(words[0])[0]:
            words = words[1:]
        return " ".join(words).strip(".")

    def anchor_spans(self, terms: KeyTerms, sentence: str, language: str) -> list[tuple[int, int]]:
        """Where in ``sentence`` its key terms (names, numbers) are mentioned, across languages."""
        spans: list[tuple[int, int]] = []
        for m in NUMBER.finditer(sentence):
            if normalize_number(m.group()) in terms.numbers:
                spans.append((m.start(), m.end()))
        if not terms.names:
            return spans
        phrases = [(m.start(), m.end(), self._strip_phrase(m.group())) for m in _NAME_PHRASE.finditer(sentence)]
        tokens = [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(sentence)]
        snowball = SNOWBALL.get(language)
        pending: list[str] = []
        for name in terms.names:
            parts = name.lower().split()
            hits = [
                (a, b)
                for a, b, tok in tokens
                if tok in parts
                or self._stems(tok, self.corpus_bm25_language) & self._stems(name, self.corpus_bm25_language)
                or (snowball and self._stems(tok, snowball) & self._stems(name, snowball))
                or (len(parts) == 1 and self._near_spelling(parts[0], {tok}))
            ]
            spans.extend(hits)
            if not hits:
                pending.append(name)
        if pending and self.embed is not None and phrases:
            texts = list(dict.fromkeys([*pending, *(p for _, _, p in phrases if p)]))
            vectors = self.embed(texts)
            row = {t: vectors[i] for i, t in enumerate(texts)}
            for name in pending:
                for a, b, phrase in phrases:
                    if phrase and float(row[name] @ row[phrase]) >= self.min_name_similarity:
                        spans.append((a, b))
        return sorted(spans)

    def _all_stems(self, text: str, language: str, pool: set[int]) -> bool:
        stems = self._stems(text, language)
        return bool(stems) and stems <= pool

    def _near_spelling(self, name: str, tokens: set[str]) -> bool:
        if len(name) < 4:
            return False
        return any(
            t[:1] == name[:1]
            and abs(len(t) - len(name)) <= 3
            and SequenceMatcher(None, name, t).ratio() >= self.min_name_ratio
            for t in tokens
        )

    def check(
        self, claim: str, sentence: str, language: str, *, similarity: float | None = None, context: str = ""
    ) -> Support:
        """Whether ``sentence`` supports ``claim`` (written in ``language``). ``similarity``: the claim's
        and the sentence's embedding cosine when the caller has it; computed when needed otherwise."""
        affirms = not denies_anything(claim)
        if _TOKEN.search(claim) and (quoted := quote_span(claim.strip(), sentence)) is not None:  # a word or number
            if affirms and denial(sentence, *quoted):  # "Non è vero che … 99 milioni" does not state 99 million
                return Support(False, [], ["denied"], 0.0, similarity)
            return Support(True, ["quote"], [], 1.0, similarity)
        terms = self.key_terms(claim, language)
        found, missing = self.find(terms, sentence, language, context)
        if affirms and terms.numbers and _denied_numbers(sentence, set(terms.numbers)):
            return Support(False, [], ["denied"], 0.0, similarity)
        passed: list[str] = []
        hard_ok = True
        if terms.numbers:
            ok = all(n in found for n in terms.numbers)
            hard_ok &= ok
            if ok:
                passed.append("numbers")
        if terms.names:
            ok = all(n in found for n in terms.names)
            hard_ok &= ok
            if ok:
                passed.append("names")
        coverage = sum(w in found for w in terms.words) / len(terms.words) if terms.words else 1.0
        soft = False
        if terms.words and coverage >= self.min_term_coverage:
            passed.append("terms")
            soft = True
        if not soft and similarity is None and self.embed is not None:
            pair = self.embed([claim, sentence])
            similarity = round(float(pair[0] @ pair[1]), 4)
        if similarity is not None and similarity >= self.min_similarity:
            passed.append("similarity")
            soft = True
        if not terms.words and (terms.numbers or terms.names):
            soft = True  # a bare number or name: found is all there is to check
        return Support(bool(terms) and hard_ok and soft, passed, missing, round(coverage, 3), similarity)
