"""ui/archive.py: display titles (for showing only), the library's filters, sorts and timeline, where
a chat cited an article, and chat examples that fit the archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEEDS
from ui import archive as library

FIRST = (
    "Fonti della polizia irachena e testimoni hanno detto che un drone ha sparato almeno due razzi nella parte "
    "orientale di Baghdad contro una struttura utilizzata dal gruppo di miliziani iracheni al-Nujaba'a."
)


@pytest.mark.parametrize(
    ("title", "origin", "expected"),
    [
        ("004_5440dd308387ea49", "seeds/004_5440dd308387ea49.txt", True),
        ("004_5440dd308387ea49", "/abs/seeds/004_5440dd308387ea49.TXT", True),
        ("ponte_adige", "upload 3f2a/ponte_adige.txt", True),
        ("notes", "C:\\docs\\notes.md", True),
        ("Nuovo ponte a Verona", "upload 3f2a/ponte_adige.txt", False),  # a title of its own
        ("feed", "feed.jsonl:3", False),  # only plain text files are titled by their name
        ("page", "page.html", False),
        ("004_5440dd308387ea49", None, False),
        ("", "seeds/x.txt", False),
    ],
)
def test_a_title_is_the_file_name_only_for_a_plain_text_file_of_that_name(
    title: str, origin: str | None, expected: bool
) -> None:
    assert library.title_is_file_name(title, origin) is expected


def test_shorten_cuts_at_a_word_with_an_ellipsis() -> None:
    assert library.shorten("  Breve\n titolo  ") == "Breve titolo"
    short = library.shorten(FIRST)
    assert len(short) <= library.TITLE_CHARS and short.endswith("…") and FIRST.startswith(short[:-1])
    assert short[:-1] == short[:-1].rstrip() and FIRST[len(short) - 1] == " "  # cut between two words
    assert library.shorten("x" * 200, 10) == "x" * 9 + "…"  # one long word is cut where it must


def test_display_title_is_the_first_sentence_only_when_the_title_is_the_file_name() -> None:
    text = FIRST + "\n\nSecond sentence."
    payload = {
        "article_id": "a1",
        "title": "004_5440dd308387ea49",
        "origin": "seeds/004_5440dd308387ea49.txt",
        "text": text,
        "sentence_spans": [[0, len(FIRST)], [len(FIRST) + 2, len(text)]],
    }
    assert library.display_title(payload) == library.shorten(FIRST)
    engine_dict = {**payload, "sentences": [{"start": 0, "end": len(FIRST)}]}
    del engine_dict["sentence_spans"]
    assert library.display_title(engine_dict) == library.shorten(FIRST)
    assert library.display_title({**payload, "title": "Droni su Baghdad"}) == "Droni su Baghdad"
    assert library.display_title({**payload, "origin": "feed.jsonl:1"}) == "004_5440dd308387ea49"
    assert library.display_title({"article_id": "a2", "title": "", "text": "Solo testo.\nAltro"}) == "Solo testo."
    assert payload["title"] == "004_5440dd308387ea49"  # the stored title is never touched


def _rows() -> list[dict[str, Any]]:
    return [
        {"article_id": "a", "display_title": "Beta", "source": "ANSA", "date": "2024-03-02"},
        {"article_id": "b", "display_title": "alfa", "source": "Il Post", "date": "2023-12-30"},
        {"article_id": "c", "display_title": "Gamma", "source": "", "date": None},
        {"article_id": "d", "display_title": "Delta", "source": "ansa", "date": "2024-01-15"},
    ]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("newest first", "adbc"),  # undated last
        ("oldest first", "bdac"),
        ("title", "badc"),  # case-insensitive
        ("source", "adbc"),  # ANSA and ansa together, no source last
    ],
)
def test_sorts(sort: str, order: str) -> None:
    assert "".join(r["article_id"] for r in library.sort_rows(_rows(), sort)) == order


def test_an_unknown_sort_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sort"):
        library.sort_rows(_rows(), "random")


def test_the_timeline_counts_every_month_between_and_the_undated_apart() -> None:
    months, undated = library.timeline(_rows())
    assert undated == 1
    assert months == [
        {"month": "2023-12", "count": 1},
        {"month": "2024-01", "count": 1},
        {"month": "2024-02", "count": 0},
        {"month": "2024-03", "count": 1},
    ]
    assert library.timeline([{"date": None}, {"date": ""}]) == ([], 2)


def test_citations_of_an_article_name_their_question_and_quote() -> None:
    answered = [
        {"question": "Q1", "citations": [{"n": 1, "article_id": "a", "quote": "x", "start": 0, "end": 5}]},
        {"question": "Q2", "citations": []},
        {
            "question": "Q3",
            "citations": [
                {"n": 1, "article_id": "b", "quote": "y", "start": 3, "end": 9},
                {"n": 2, "article_id": "a", "quote": "z", "start": 10, "end": 20},
            ],
        },
    ]
    assert library.citations_of("a", answered) == [
        {"question": "Q1", "n": 1, "quote": "x", "start": 0, "end": 5},
        {"question": "Q3", "n": 2, "quote": "z", "start": 10, "end": 20},
    ]
    assert library.citations_of("a", None) == []


def test_title_questions_follow_the_articles_language() -> None:
    assert library.title_question("Nuovo ponte a Verona", "it") == "Cosa dice l'archivio su «Nuovo ponte a Verona»?"
    assert library.title_question("A new bridge", "en") == "What does the archive say about «A new bridge»?"


@pytest.mark.slow
def test_the_seeded_archive_lists_readable_titles_and_offers_the_seed_questions(seeded_engine: Any) -> None:
    rows = library.articles(seeded_engine)
    assert {r["title"] for r in rows} == {"000_6802bbc07cb0c99c", "004_5440dd308387ea49"}  # stored as it was
    shown = {r["title"]: r["display_title"] for r in rows}
    assert shown["004_5440dd308387ea49"] == library.shorten(FIRST)
    assert shown["000_6802bbc07cb0c99c"].startswith("Attualmente, ci sono circa 2.500 soldati")
    assert library.timeline(rows) == ([], 2)
    assert library.articles(seeded_engine, date_from="2020-01-01") == []  # undated: in no date range
    assert library.articles(seeded_engine, sources=["ANSA"]) == []
    one = library.article(seeded_engine, rows[0]["article_id"])
    assert one is not None and one["display_title"] == rows[0]["display_title"] and one["sentences"]
    assert library.article(seeded_engine, "nope") is None
    assert library.display_titles(seeded_engine, [r["article_id"] for r in rows] + ["nope"]) == {
        r["article_id"]: r["display_title"] for r in rows
    }
    assert library.chat_examples(seeded_engine) == [q for q, _ in library.SEED_QUESTIONS]


@pytest.mark.slow
def test_examples_drop_a_seed_question_whose_seed_is_gone_and_ask_about_the_newest_titles(
    seeded_index: Path, tmp_path: Path
) -> None:
    import shutil

    from rag.engine import Engine
    from tests.conftest import make_settings

    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    with Engine(make_settings(index)) as engine:
        syria = library.seed_article_id("004_5440dd308387ea49.txt")
        assert syria is not None and engine.delete_article(syria)
        docs = tmp_path / "docs"
        docs.mkdir()
        for day, title in (("2024-05-02", "Nuovo ponte a Verona"), ("2023-01-10", "Old news from Rome")):
            language = "it" if "ponte" in title else "en"
            body = "Il ponte è lungo 412 metri." if language == "it" else "The mayor opened a new museum."
            (docs / f"{day}.md").write_text(
                f"---\ntitle: {title}\ndate: {day}\nsource: ANSA\nlanguage: {language}\n---\n{body}\n",
                encoding="utf-8",
            )
        engine.ingest([docs])
        assert library.chat_examples(engine) == [
            "Quante truppe statunitensi ci sono in Iraq?",
            "Chi è il primo ministro iracheno?",
            "Cosa dice l'archivio su «Nuovo ponte a Verona»?",  # the newest first
            "What does the archive say about «Old news from Rome»?",
        ]
        assert library.chat_examples(engine, seeds=tmp_path / "no-seeds", n=2) == [
            "Cosa dice l'archivio su «Nuovo ponte a Verona»?",
            "What does the archive say about «Old news from Rome»?",
        ]
        dated = library.articles(engine, sources=["ansa"], date_from="2024-01-01")
        assert [r["display_title"] for r in dated] == ["Nuovo ponte a Verona"]
        months, undated = library.timeline(library.articles(engine))
        assert (months[0], months[-1], len(months), undated) == (
            {"month": "2023-01", "count": 1},
            {"month": "2024-05", "count": 1},
            17,
            1,
        )


def test_a_missing_seed_file_is_no_seed() -> None:
    assert library.seed_article_id("nope.txt") is None
    assert library.seed_article_id("004_5440dd308387ea49.txt", SEEDS) is not None


def test_a_timeline_of_more_than_two_years_counts_years_so_its_labels_do_not_overlap() -> None:
    rows = [{"date": "2019-03-02"}, {"date": "2019-11-30"}, {"date": "2022-06-01"}, {"date": None}]
    months, undated = library.timeline(rows)
    assert len(months) == 40 and undated == 1
    assert library.timeline_bars(months) == (
        "year",
        [{"month": "2019", "count": 2}, {"month": "2020", "count": 0}, {"month": "2021", "count": 0},
         {"month": "2022", "count": 1}],
    )  # fmt: skip
    short = library.timeline([{"date": "2024-01-05"}, {"date": "2024-03-01"}])[0]
    assert library.timeline_bars(short) == ("month", short)  # a short span keeps its months
