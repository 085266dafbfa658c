"""Sentence splitting: exact spans, Italian news conventions, stable ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.models import Article
from rag.text.sentences import make_sentences, split_sentences

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SQUAD_CORPUS = ROOT.parent / "shared" / "eval" / "squad_it" / "corpus.jsonl"


def sentences_of(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def assert_exact_spans(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans are ordered, disjoint, stripped, non-empty, and cover every non-blank character."""
    prev_end = 0
    covered = 0
    for a, b in spans:
        assert prev_end <= a < b <= len(text)
        piece = text[a:b]
        assert piece == piece.strip() and piece
        covered += sum(not ch.isspace() for ch in piece)
        prev_end = b
    assert covered == sum(not ch.isspace() for ch in text)


CASES = [
    pytest.param(
        "Ci sono circa 2.500 soldati in Iraq. Il tasso è del 3,5 per cento.",
        ["Ci sono circa 2.500 soldati in Iraq.", "Il tasso è del 3,5 per cento."],
        id="numbers",
    ),
    pytest.param(
        "Il costo è di 1.234,56 euro. Alle 10.30 inizia.",
        ["Il costo è di 1.234,56 euro.", "Alle 10.30 inizia."],
        id="decimals",
    ),
    pytest.param(
        "Il Sig. Rossi ha parlato. Il Dott. Bianchi no. La Dott.ssa Neri è arrivata.",
        ["Il Sig. Rossi ha parlato.", "Il Dott. Bianchi no.", "La Dott.ssa Neri è arrivata."],
        id="titles",
    ),
    pytest.param(
        "Il Prof. Verdi insegna a Roma. La Fiat S.p.A. ha chiuso in rialzo.",
        ["Il Prof. Verdi insegna a Roma.", "La Fiat S.p.A. ha chiuso in rialzo."],
        id="spa",
    ),
    pytest.param(
        "Mele, pere, ecc. sono frutti. Vedi l'art. 5 della legge n. 3 del 2020.",
        ["Mele, pere, ecc. sono frutti.", "Vedi l'art. 5 della legge n. 3 del 2020."],
        id="ecc-art-n",
    ),
    pytest.param(
        "Alcuni frutti, p.es. le mele, sono rossi. Altri no.",
        ["Alcuni frutti, p.es. le mele, sono rossi.", "Altri no."],
        id="p.es.",
    ),
    pytest.param("Gli U.S.A. hanno risposto. La Cina no.", ["Gli U.S.A. hanno risposto.", "La Cina no."], id="usa"),
    pytest.param(
        "John F. Kennedy fu ucciso a Dallas. J. F. Kennedy era presidente.",
        ["John F. Kennedy fu ucciso a Dallas.", "J. F. Kennedy era presidente."],
        id="initials",
    ),
    pytest.param(
        "Lo ha detto il sen. Renzi. Il Sen. Monti no. L'on. Meloni sì.",
        ["Lo ha detto il sen. Renzi.", "Il Sen. Monti no.", "L'on. Meloni sì."],
        id="elided-title",
    ),
    pytest.param(
        "Il 21 nov. 2023 è arrivato. Era il sec. XIX. Vedi pag. 12 e cfr. cap. 3. Fine.",
        ["Il 21 nov. 2023 è arrivato.", "Era il sec. XIX.", "Vedi pag. 12 e cfr. cap. 3.", "Fine."],
        id="before-number",
    ),
    pytest.param(
        "Lui disse: “Torneremo presto.” Poi se ne andò.",
        ["Lui disse: “Torneremo presto.”", "Poi se ne andò."],
        id="curly-quotes",
    ),
    pytest.param(
        "«Non è finita.» Così parlò il ministro. Ha detto: «Andremo avanti». Poi è uscito.",
        ["«Non è finita.»", "Così parlò il ministro.", "Ha detto: «Andremo avanti».", "Poi è uscito."],
        id="guillemets",
    ),
    pytest.param(
        '"Ci vendicheremo." Così ha detto il comandante.',
        ['"Ci vendicheremo."', "Così ha detto il comandante."],
        id="straight-quotes",
    ),
    pytest.param(
        "La commissione ha avviato “l’inizio del dialogo tra Iraq e Stati Uniti d’America”, ha affermato.",
        ["La commissione ha avviato “l’inizio del dialogo tra Iraq e Stati Uniti d’America”, ha affermato."],
        id="quote-mid-sentence",
    ),
    pytest.param(
        "Aspettava... Poi arrivò il treno. Chissà… Forse domani. Pensava... e poi partì.",
        ["Aspettava...", "Poi arrivò il treno.", "Chissà…", "Forse domani.", "Pensava... e poi partì."],
        id="ellipsis",
    ),
    pytest.param("Davvero? Sì! Certo.", ["Davvero?", "Sì!", "Certo."], id="question-exclamation"),
    pytest.param(
        "Titolo senza punto\nPrima frase. Seconda frase.\n\nNuovo paragrafo",
        ["Titolo senza punto", "Prima frase.", "Seconda frase.", "Nuovo paragrafo"],
        id="newlines",
    ),
    pytest.param(
        "Negli anni' 80, dopo aver acquisito una partecipazione dell' 80% in ESPN, si è fusa. Poi altro.",
        ["Negli anni' 80, dopo aver acquisito una partecipazione dell' 80% in ESPN, si è fusa.", "Poi altro."],
        id="squad-apostrophes",
    ),
    pytest.param(
        "Gli Stati Uniti hanno 2.500 truppe in Iraq e 900 nella NBC. Reuters non ha verificato.",
        ["Gli Stati Uniti hanno 2.500 truppe in Iraq e 900 nella NBC.", "Reuters non ha verificato."],
        id="acronym-ends-sentence",
    ),
    pytest.param(
        "Morì nel 1546. Lutero fu sepolto a Wittenberg. Era il 1990. 200 persone morirono.",
        ["Morì nel 1546.", "Lutero fu sepolto a Wittenberg.", "Era il 1990.", "200 persone morirono."],
        id="year-ends-sentence",
    ),
    pytest.param(
        "Il sito www.repubblica.it riporta la notizia.\u00a0Bene.",
        ["Il sito www.repubblica.it riporta la notizia.", "Bene."],
        id="url-nbsp",
    ),
    pytest.param("  \n  Una frase sola.  \n\n ", ["Una frase sola."], id="surrounding-blanks"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_split_cases(text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == expected
    assert_exact_spans(text, spans)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_newline_always_ends_a_sentence() -> None:
    text = "Roma, 21 novembre\nIl Sig.\nRossi"
    assert sentences_of(text) == ["Roma, 21 novembre", "Il Sig.", "Rossi"]


def test_stray_punctuation_joins_previous_sentence() -> None:
    assert sentences_of("Fine. » Poi.") == ["Fine. »", "Poi."]
    assert sentences_of("Fine.\n»") == ["Fine.", "»"]  # never across a line break


def test_crlf_and_unicode_line_breaks() -> None:
    text = "Uno.\r\nDue\u2028Tre.\rQuattro"
    assert sentences_of(text) == ["Uno.", "Due", "Tre.", "Quattro"]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_spans_are_exact(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    spans = split_sentences(text)
    assert_exact_spans(text, spans)
    sentences = [text[a:b] for a, b in spans]
    assert all("\n" not in s for s in sentences)
    # "2.500" and "d’America”" stay inside their sentences
    assert any("2.500 soldati" in s for s in sentences) or any("2.500 truppe" in s for s in sentences)


def test_seeds_found() -> None:
    assert SEEDS, "seeds/*.txt missing"


@pytest.mark.skipif(not SQUAD_CORPUS.exists(), reason="../shared/eval/squad_it/corpus.jsonl not present")
def test_squad_it_corpus_spans_are_exact() -> None:
    records = [json.loads(line) for line in SQUAD_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(records) == 708
    total = 0
    for record in records:
        text = record["text"]
        spans = split_sentences(text)
        assert_exact_spans(text, spans)
        total += len(spans)
    assert 3000 < total < 3700  # ~4.7 sentences per paragraph


def test_make_sentences_ids_and_text_are_stable() -> None:
    text = "Il Dott. Rossi è arrivato. Ha detto: “Bene.”\n\nPoi è ripartito."
    article = Article(article_id="art1", text=text)
    first = make_sentences(article)
    assert [s.sentence_id for s in first] == ["art1#s0", "art1#s1", "art1#s2"]
    assert [s.index for s in first] == [0, 1, 2]
    assert all(text[s.start : s.end] == s.text for s in first)
    assert make_sentences(Article(article_id="art1", text=text)) == first


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # hypothesis is a dev extra

    def test_spans_match_random_text() -> None:
        pytest.skip("hypothesis not installed")

else:
    _TOKENS = st.sampled_from(
        [
            "Sig.",
            "Dott.",
            "S.p.A.",
            "2.500",
            "3,5",
            "...",
            "…",
            "«",
            "»",
            "“",
            "”",
            '"',
            "'",
            "’",
            "?!",
            ".",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\r\n",
            "\u00a0",
            "\u2028",
            "\t",
            "é",
            "😀",
            "J.",
            "ecc.",
            "n.",
            "(",
            ")",
            "-",
            "Roma",
            "il",
            "A",
            "x",
        ]
    )
    _TEXT = st.one_of(st.text(max_size=200), st.lists(_TOKENS | st.text(max_size=3), max_size=60).map("".join))

    @settings(max_examples=400, deadline=None)
    @given(_TEXT)
    def test_spans_match_random_text(text: str) -> None:
        spans = split_sentences(text)
        assert_exact_spans(text, spans)
        assert split_sentences(text) == spans
